package yunjing.proxy.cache;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The node's bound on slice bytes in flight: slices being fetched plus their writes queued for the disk
 * tier. A slice fill takes its length from the budget before it starts and gives it back once its bytes
 * are on disk (or dropped), so heap held by slices is bounded per node, and when the disk is slower than
 * the network, readers wait for it instead of slices being dropped from L2. A fill that does not fit
 * waits its turn (first come, first served); one always runs when nothing else is in flight, so a slice
 * larger than the whole budget still proceeds. Thread-safe; granted tasks run outside the lock.
 */
final class SliceBudget {

    private record Waiting(long bytes, Runnable granted) {
    }

    private final long capacity;
    private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
    private long used;

    SliceBudget(long capacity) {
        this.capacity = capacity;
    }

    /** Takes {@code bytes} now if they fit and nobody waits before us; false leaves the budget as it was. */
    synchronized boolean tryTake(long bytes) {
        if (waiting.isEmpty() && fits(bytes)) {
            used += bytes;
            return true;
        }
        return false;
    }

    /** Takes {@code bytes} and runs {@code granted}: at once when they fit, else when enough is given back. */
    void take(long bytes, Runnable granted) {
        synchronized (this) {
            if (!waiting.isEmpty() || !fits(bytes)) {
                waiting.add(new Waiting(bytes, granted));
                return;
            }
            used += bytes;
        }
        granted.run();
    }

    /** Gives back what a {@link #take} took, and starts the waiters that now fit. */
    void give(long bytes) {
        List<Runnable> start = new ArrayList<>();
        synchronized (this) {
            used -= bytes;
            while (!waiting.isEmpty() && fits(waiting.peek().bytes())) {
                Waiting next = waiting.poll();
                used += next.bytes();
                start.add(next.granted());
            }
        }
        start.forEach(Runnable::run);
    }

    synchronized long used() {
        return used;
    }

    private boolean fits(long bytes) {
        return used == 0 || used + bytes <= capacity;
    }
}
