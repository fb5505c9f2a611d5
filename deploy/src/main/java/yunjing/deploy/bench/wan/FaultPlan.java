package yunjing.deploy.bench.wan;

import java.time.Duration;
import java.util.SplittableRandom;

/**
 * Which turns of a relayed connection fail, and how. A turn starts when a connection is accepted and each
 * time the client sends again after the server answered (a new request on a keep-alive connection), so
 * the rate applies per request whether clients reuse connections or not, without parsing HTTP.
 *
 * @param rate        fraction of turns that fail, in [0, 1]
 * @param refuseShare share of failures that are {@link FaultKind#REFUSE}
 * @param resetShare  share that are {@link FaultKind#RESET}; the rest are {@link FaultKind#STALL}
 * @param stall       how long a stall holds the response
 */
public record FaultPlan(double rate, double refuseShare, double resetShare, Duration stall) {

    public static final FaultPlan NONE = new FaultPlan(0, 0, 0, Duration.ZERO);

    public FaultPlan {
        if (!(rate >= 0 && rate <= 1)) {
            throw new IllegalArgumentException("rate: " + rate + " (expected: 0 <= rate <= 1)");
        }
        if (refuseShare < 0 || resetShare < 0 || refuseShare + resetShare > 1 + 1e-9) {
            throw new IllegalArgumentException("refuseShare + resetShare: " + (refuseShare + resetShare)
                    + " (expected: each >= 0, sum <= 1)");
        }
        if (stall.isNegative()) {
            throw new IllegalArgumentException("stall: " + stall + " (expected: >= 0)");
        }
    }

    /** {@code rate} of turns fail: 40 % refused, 40 % reset mid-response, 20 % stalled for 3 s. */
    public static FaultPlan of(double rate) {
        return new FaultPlan(rate, 0.4, 0.4, Duration.ofSeconds(3));
    }

    /** The fault of one turn, or null for a healthy one. */
    public FaultKind draw(SplittableRandom random) {
        if (rate == 0 || random.nextDouble() >= rate) {
            return null;
        }
        double kind = random.nextDouble();
        return kind < refuseShare ? FaultKind.REFUSE : kind < refuseShare + resetShare ? FaultKind.RESET : FaultKind.STALL;
    }
}
