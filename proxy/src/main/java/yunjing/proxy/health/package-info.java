/**
 * Parent health: active {@code GET /readyz} probes on one daemon thread plus passive reports of
 * failed connects from the forwarding path.
 *
 * <p>Internal to the proxy module: public only so that the sibling packages can use it.
 */
package yunjing.proxy.health;
