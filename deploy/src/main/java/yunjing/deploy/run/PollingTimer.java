package yunjing.deploy.run;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** One daemon thread running a reloader's check with a fixed delay, off the event loops. */
final class PollingTimer implements AutoCloseable {

    private final ScheduledExecutorService timer;

    PollingTimer(String threadName, long periodMillis, Runnable check) {
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(check, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
    }

    /** Stops polling; a check in progress is interrupted. */
    @Override
    public void close() {
        timer.shutdownNow();
    }

    /** Stops polling and waits up to {@code seconds} for a check in progress to finish. */
    void closeAndAwait(long seconds) {
        timer.shutdownNow();
        try {
            timer.awaitTermination(seconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
