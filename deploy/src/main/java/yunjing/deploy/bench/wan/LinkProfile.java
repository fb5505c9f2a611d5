package yunjing.deploy.bench.wan;

import java.time.Duration;
import java.util.Objects;

/**
 * How one emulated network link behaves, per direction: one-way delay with uniform jitter, a bandwidth
 * cap shared by every connection on the link, and faults drawn per request turn (see {@link FaultPlan}).
 *
 * @param name           for reports, e.g. {@code cross-border}
 * @param oneWayDelay    base delay of each direction (RTT = 2 × this, before jitter)
 * @param jitter         each chunk's delay varies uniformly within ± this (order is kept, as TCP keeps it)
 * @param bitsPerSecond  bandwidth of each direction, shared by the link's connections; 0 = unlimited
 * @param faults         which turns fail and how
 */
public record LinkProfile(String name, Duration oneWayDelay, Duration jitter, long bitsPerSecond, FaultPlan faults) {

    public LinkProfile {
        Objects.requireNonNull(name, "name");
        if (oneWayDelay.isNegative()) {
            throw new IllegalArgumentException("oneWayDelay: " + oneWayDelay + " (expected: >= 0)");
        }
        if (jitter.isNegative() || jitter.compareTo(oneWayDelay) > 0) {
            throw new IllegalArgumentException("jitter: " + jitter + " (expected: 0 <= jitter <= oneWayDelay)");
        }
        if (bitsPerSecond < 0) {
            throw new IllegalArgumentException("bitsPerSecond: " + bitsPerSecond + " (expected: >= 0, 0 = unlimited)");
        }
        Objects.requireNonNull(faults, "faults");
    }

    /** China ↔ overseas: RTT ~180 ms ± 20 ms, 20 Mbit/s, 1 % of turns fail (refused, reset mid-response, stalled). */
    public static LinkProfile crossBorder() {
        return new LinkProfile("cross-border", Duration.ofMillis(90), Duration.ofMillis(10), 20_000_000L,
                FaultPlan.of(0.01));
    }

    /** Domestic backbone inside one carrier: RTT ~25 ms. */
    public static LinkProfile domesticWithinCarrier() {
        return new LinkProfile("domestic", Duration.ofMillis(12), Duration.ofMillis(2), 1_000_000_000L, FaultPlan.NONE);
    }

    /** Domestic backbone across carriers (the interconnects are the bottleneck in China): RTT ~40 ms. */
    public static LinkProfile domesticCrossCarrier() {
        return new LinkProfile("domestic-cross-carrier", Duration.ofMillis(20), Duration.ofMillis(4), 300_000_000L,
                FaultPlan.NONE);
    }

    /** A client to its own carrier's edge: RTT 5–10 ms. */
    public static LinkProfile clientToEdge() {
        return new LinkProfile("client-edge", Duration.ofMillis(4), Duration.ofMillis(1), 100_000_000L, FaultPlan.NONE);
    }

    /** No delay, no cap, no faults: a hop inside one data centre. */
    public static LinkProfile local(String name) {
        return new LinkProfile(name, Duration.ZERO, Duration.ZERO, 0, FaultPlan.NONE);
    }

    /** The same link without faults: health probes ride it, so a parent is not marked down by the emulated faults alone. */
    public LinkProfile withoutFaults() {
        return new LinkProfile(name + "-probe", oneWayDelay, jitter, bitsPerSecond, FaultPlan.NONE);
    }

    public LinkProfile withFaults(FaultPlan plan) {
        return new LinkProfile(name, oneWayDelay, jitter, bitsPerSecond, plan);
    }

    /** Round-trip time without jitter, in milliseconds. */
    public long rttMillis() {
        return 2 * oneWayDelay.toMillis();
    }
}
