package yunjing.origin.sched;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Requests waiting for a place in the running batch, best first. Rank is the plan priority ({@code free=1},
 * {@code pro=10}) plus {@code agingPerSecond} for every second waited, so a low-priority request overtakes newer
 * high-priority ones after {@code (high - low) / agingPerSecond} seconds and never starves. Because every entry
 * ages at the same rate, {@code priority + aging × (now - enqueued)} orders entries exactly as the fixed key
 * {@code priority - aging × enqueued} does: the order never needs recomputing. Ties go to the earlier request.
 * Preempted sequences were admitted before anything still waiting and go back in front of all of them.
 *
 * <p>Thread-safe: submitters add and estimate, the scheduler thread takes and sweeps.
 */
final class WaitingQueue {

    private final double agingPerNano;
    private final ArrayDeque<ScheduledSequence> preempted = new ArrayDeque<>();
    private final TreeSet<ScheduledSequence> ranked;

    WaitingQueue(double agingPerSecond) {
        this.agingPerNano = agingPerSecond / 1e9;
        this.ranked = new TreeSet<>(Comparator.comparingDouble((ScheduledSequence s) -> key(s)).reversed()
                .thenComparingLong(s -> s.order));
    }

    private double key(ScheduledSequence s) {
        return key(s.priority, s.enqueuedNanos);
    }

    private double key(int priority, long enqueuedNanos) {
        return priority - agingPerNano * enqueuedNanos;
    }

    synchronized int size() {
        return ranked.size() + preempted.size();
    }

    synchronized void add(ScheduledSequence s) {
        ranked.add(s);
    }

    synchronized void addPreempted(ScheduledSequence s) {
        preempted.addFirst(s);
    }

    synchronized ScheduledSequence peek() {
        return !preempted.isEmpty() ? preempted.peekFirst() : ranked.isEmpty() ? null : ranked.first();
    }

    synchronized void remove(ScheduledSequence s) {
        if (!preempted.remove(s)) {
            ranked.remove(s);
        }
    }

    /** Removes and returns every entry matching {@code condition}. */
    synchronized List<ScheduledSequence> removeIf(Predicate<ScheduledSequence> condition) {
        List<ScheduledSequence> removed = new ArrayList<>();
        for (var it = preempted.iterator(); it.hasNext(); ) {
            ScheduledSequence s = it.next();
            if (condition.test(s)) {
                it.remove();
                removed.add(s);
            }
        }
        for (var it = ranked.iterator(); it.hasNext(); ) {
            ScheduledSequence s = it.next();
            if (condition.test(s)) {
                it.remove();
                removed.add(s);
            }
        }
        return removed;
    }

    /**
     * Tokens of work queued ahead of a request of {@code priority} arriving at {@code nowNanos}: every entry that
     * would be admitted before it.
     */
    synchronized long workAhead(int priority, long nowNanos) {
        double newcomer = key(priority, nowNanos);
        long work = 0;
        for (ScheduledSequence s : preempted) {
            work += s.remainingWork();
        }
        for (ScheduledSequence s : ranked) {
            if (key(s) < newcomer) {
                break; // ranked best first: the rest come after the newcomer
            }
            work += s.remainingWork();
        }
        return work;
    }
}
