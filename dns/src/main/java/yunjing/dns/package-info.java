/**
 * yunjing's authoritative DNS for the mirror zone. The public surface is {@link yunjing.dns.DnsServer},
 * {@link yunjing.dns.DnsConfig} and {@link yunjing.dns.DnsTarget}; the subpackages are internal
 * (public only where the root package wires them together):
 * <ul>
 * <li>{@code zone}: the zone's static data: generated apex, master file, steered names;
 * <li>{@code steer}: which addresses a steered name gets, behind {@link yunjing.dns.steer.SteeringPolicy};
 * <li>{@code health}: probing the targets' {@code /readyz};
 * <li>{@code answer}: building the response to one query from the zone and the steering;
 * <li>{@code wire}: Netty UDP/TCP listeners and the message envelope (EDNS, errors, truncation, metrics).
 * </ul>
 */
package yunjing.dns;
