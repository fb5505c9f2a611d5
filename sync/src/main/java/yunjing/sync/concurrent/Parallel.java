package yunjing.sync.concurrent;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Independent I/O tasks run a few at a time (files of a revision, published or assembled), with
 * the failure handling they share: after the first failure no task starts, those running finish,
 * and the first failure is thrown as it was.
 */
public final class Parallel {

    private Parallel() {
    }

    /** A task that may fail with an I/O error. */
    @FunctionalInterface
    public interface Task<T> {
        T call() throws IOException;
    }

    /**
     * Runs {@code tasks}, at most {@code threads} at once on daemon threads named {@code name-N},
     * and returns their results in task order. With {@code threads <= 1} (or one task) they run on
     * the caller, one after another.
     */
    public static <T> List<T> map(List<? extends Task<T>> tasks, int threads, String name) throws IOException {
        List<T> results = new ArrayList<>(tasks.size());
        int n = Math.min(threads, tasks.size());
        if (n <= 1) {
            for (Task<T> task : tasks) {
                results.add(task.call());
            }
            return results;
        }
        AtomicInteger count = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(n,
                r -> Thread.ofPlatform().daemon().name(name + "-" + count.incrementAndGet()).unstarted(r));
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try {
            List<Future<T>> futures = new ArrayList<>(tasks.size());
            for (Task<T> task : tasks) {
                futures.add(pool.submit(() -> {
                    if (failure.get() != null) {
                        return null; // fails anyway: start nothing new
                    }
                    try {
                        return task.call();
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                        return null;
                    }
                }));
            }
            for (Future<T> f : futures) {
                try {
                    results.add(f.get());
                } catch (ExecutionException | CancellationException e) {
                    failure.compareAndSet(null, e.getCause() != null ? e.getCause() : e);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while running " + name + " tasks");
        } finally {
            pool.shutdownNow();
        }
        rethrow(failure.get());
        return results;
    }

    /** Throws {@code failure} as it was (an I/O, unchecked or error), any other wrapped in an IOException; nothing for null. */
    public static void rethrow(Throwable failure) throws IOException {
        if (failure instanceof IOException io) {
            throw io;
        } else if (failure instanceof RuntimeException re) {
            throw re;
        } else if (failure instanceof Error err) {
            throw err;
        } else if (failure != null) {
            throw new IOException(failure);
        }
    }
}
