/**
 * Steering: the addresses a steered name resolves to for one query. {@link yunjing.dns.steer.SteeringPolicy}
 * is the seam; {@link yunjing.dns.steer.HealthWeightedPolicy} steers by health and weight only,
 * {@link yunjing.dns.steer.CarrierProvincePolicy} by the client's carrier and province, ranking inside
 * its group by the measured RTTs of {@link yunjing.dns.steer.RttTable} with hysteresis. Internal to {@code yunjing.dns}.
 */
package yunjing.dns.steer;
