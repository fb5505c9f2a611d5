/**
 * Steering: the addresses a steered name resolves to for one query. {@link yunjing.dns.steer.SteeringPolicy}
 * is the seam; {@link yunjing.dns.steer.HealthWeightedPolicy} steers by health and weight only,
 * {@link yunjing.dns.steer.CarrierProvincePolicy} by the client's carrier and province; RTT ranking
 * will come through {@link yunjing.dns.steer.RttTable}. Internal to {@code yunjing.dns}.
 */
package yunjing.dns.steer;
