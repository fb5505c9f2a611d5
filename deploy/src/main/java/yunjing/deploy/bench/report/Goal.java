package yunjing.deploy.bench.report;

/**
 * One acceptance goal of issue 8, measured against the direct path in the same run.
 *
 * @param measured the measured value (a reduction or a rate, as a fraction)
 * @param target   the goal (met when {@code measured >= target})
 */
public record Goal(String name, double target, double measured, String note) {

    public boolean met() {
        return measured >= target;
    }
}
