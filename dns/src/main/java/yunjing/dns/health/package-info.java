/**
 * Active health checks of the targets ({@code GET /readyz}) on one daemon thread, published for
 * lock-free reads from the event loops. Internal to {@code yunjing.dns}.
 */
package yunjing.dns.health;
