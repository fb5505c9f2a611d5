package yunjing.dns.steer;

/**
 * Chooses the addresses a steered name resolves to for one query. This is the seam the
 * carrier/province/RTT steering replaces; the foundation ships {@link HealthWeightedPolicy}.
 *
 * <p>Runs on a Netty event loop for every steered A/AAAA query: implementations must be
 * thread-safe, must not block, and should not allocate much. Anything slow (GeoIP lookups that
 * touch disk, RTT aggregation, health probes) belongs on another thread, published as an
 * immutable snapshot that {@link #steer} only reads.
 */
public interface SteeringPolicy {

    /**
     * @return the addresses for {@code query}'s family and the TTL to give them; an empty answer
     *         means the name has no address of that family (the server replies NODATA)
     */
    SteeringAnswer steer(SteeringQuery query);
}
