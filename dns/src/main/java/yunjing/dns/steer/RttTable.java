package yunjing.dns.steer;

import yunjing.dns.DnsTarget;
import yunjing.dns.locate.Location;

import java.util.OptionalDouble;

/**
 * Measured round-trip times from clients to targets: the seam for RTT steering (issue 5, step 3),
 * not implemented yet. The plan: an EWMA per (client prefix or carrier × province, target), fed by
 * the edges' TCP_INFO reports and by active probes, published as an immutable snapshot;
 * {@link CarrierProvincePolicy} will rank the targets inside its chosen group by it, with
 * hysteresis. Until then {@link #NONE} is the only table, and the policy does not call it.
 */
public interface RttTable {

    /** Knows nothing. */
    RttTable NONE = (client, target) -> OptionalDouble.empty();

    /** Smoothed RTT in milliseconds from clients like {@code client} to {@code target}, if measured. */
    OptionalDouble rttMillis(Location client, DnsTarget target);
}
