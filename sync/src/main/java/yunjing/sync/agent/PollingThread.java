package yunjing.sync.agent;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A daemon thread that runs one poll at once and then every {@code interval} after the previous one ends,
 * until closed; what the manifest and replica followers share. The task handles its own errors.
 */
public final class PollingThread implements AutoCloseable {

    private final ScheduledExecutorService timer;

    private PollingThread(ScheduledExecutorService timer) {
        this.timer = timer;
    }

    /** Starts polling {@code task} on a daemon thread named {@code name}. */
    public static PollingThread start(String name, Duration interval, Runnable task) {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval: " + interval + " (expected: > 0)");
        }
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(task, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        return new PollingThread(timer);
    }

    /** Stops polling; waits up to 10 s for a poll in progress to end. */
    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
