package yunjing.deploy.bench.report;

import java.util.Arrays;

/**
 * Mean and nearest-rank percentiles of one set of durations, in milliseconds. Empty sets give NaN.
 */
public record Distribution(int count, double mean, double p50, double p95, double p99) {

    static Distribution ofNanos(long[] nanos) {
        long[] valid = Arrays.stream(nanos).filter(n -> n >= 0).sorted().toArray();
        if (valid.length == 0) {
            return new Distribution(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        double mean = Arrays.stream(valid).average().orElseThrow() / 1e6;
        return new Distribution(valid.length, mean, rank(valid, 50), rank(valid, 95), rank(valid, 99));
    }

    /** Nearest rank: the smallest value with at least p % of the set at or below it. */
    private static double rank(long[] sorted, int percent) {
        int index = (int) Math.ceil(percent / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, index)] / 1e6;
    }
}
