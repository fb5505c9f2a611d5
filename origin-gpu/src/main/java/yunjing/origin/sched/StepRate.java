package yunjing.origin.sched;

/**
 * Measured speed of the scheduler's steps, as exponentially weighted moving averages: tokens processed per second
 * of step time (prefill and decode tokens together) and seconds per decode step. Admission control turns queued
 * work into an expected wait with them.
 *
 * <p>Written by the scheduler thread after each step, read by any thread.
 */
final class StepRate {

    /** Weight of the newest sample: about the last ten steps dominate. */
    private static final double ALPHA = 0.1;

    private volatile double tokensPerSecond = Double.NaN;
    private volatile double secondsPerStep = Double.NaN;

    /** Records one step that processed {@code tokens} tokens in {@code nanos}. */
    void record(int tokens, long nanos) {
        if (tokens <= 0 || nanos <= 0) {
            return;
        }
        double seconds = nanos / 1e9;
        tokensPerSecond = blend(tokensPerSecond, tokens / seconds);
        secondsPerStep = blend(secondsPerStep, seconds);
    }

    /** NaN until the first step was measured. */
    double tokensPerSecond() {
        return tokensPerSecond;
    }

    /** NaN until the first step was measured. */
    double secondsPerStep() {
        return secondsPerStep;
    }

    private static double blend(double average, double sample) {
        return Double.isNaN(average) ? sample : average + ALPHA * (sample - average);
    }
}
