/**
 * Steering: the addresses a steered name resolves to for one query. {@link yunjing.dns.steer.SteeringPolicy}
 * is the seam; {@link yunjing.dns.steer.HealthWeightedPolicy} is the health-only foundation that
 * carrier/province/RTT steering will replace. Internal to {@code yunjing.dns}.
 */
package yunjing.dns.steer;
