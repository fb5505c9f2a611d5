package yunjing.proxy.upstream;

import io.netty.channel.EventLoop;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The deadlines of one upstream exchange, as timers on its event loop:
 * <ul>
 *   <li><em>first byte</em>: armed when the request's last byte is written upstream, disarmed by the
 *       first byte of the response (an interim 1xx counts);</li>
 *   <li><em>idle</em>: the longest gap between two response pieces, armed by the first; while the client
 *       side holds the response back ({@link #paused}) the gap does not count. One timer per gap
 *       length, re-armed for the remainder, not one per piece: a large body costs no timer churn;</li>
 *   <li><em>total</em>: the whole exchange, retries included; only for LLM API requests.</li>
 * </ul>
 * Confined to the exchange's event loop. {@link #cancel()} disarms everything for good.
 */
final class ExchangeDeadlines {

    enum Deadline {
        FIRST_BYTE("first_byte", "first byte"), IDLE("idle", "idle"), TOTAL("total", "total");

        /** The metric tag value. */
        final String tag;
        final String words;

        Deadline(String tag, String words) {
            this.tag = tag;
            this.words = words;
        }
    }

    private final EventLoop loop;
    private final long firstByteNanos;
    private final long idleNanos;
    private final Consumer<Deadline> expired;
    private ScheduledFuture<?> total;
    private ScheduledFuture<?> firstByte;
    private ScheduledFuture<?> idle;
    private long lastActivity;
    private boolean paused;
    private boolean cancelled;

    ExchangeDeadlines(EventLoop loop, long firstByteNanos, long idleNanos, Consumer<Deadline> expired) {
        this.loop = loop;
        this.firstByteNanos = firstByteNanos;
        this.idleNanos = idleNanos;
        this.expired = expired;
    }

    void startTotal(long nanos) {
        if (!cancelled && total == null) {
            total = loop.schedule(() -> fire(Deadline.TOTAL), nanos, TimeUnit.NANOSECONDS);
        }
    }

    /** The request is fully written: the parent's turn to answer. */
    void requestSent() {
        if (!cancelled && firstByte == null && idle == null) {
            firstByte = loop.schedule(() -> fire(Deadline.FIRST_BYTE), firstByteNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** A piece of the response arrived. */
    void responseActivity() {
        if (cancelled) {
            return;
        }
        cancel(firstByte);
        firstByte = null;
        lastActivity = System.nanoTime();
        if (idle == null) {
            idle = loop.schedule(this::checkIdle, idleNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** The exchange moves to another connection or parent: the per-attempt timers start over. */
    void attemptEnded() {
        cancel(firstByte);
        cancel(idle);
        firstByte = null;
        idle = null;
    }

    void paused(boolean paused) {
        this.paused = paused;
        lastActivity = System.nanoTime();
    }

    void cancel() {
        cancelled = true;
        attemptEnded();
        cancel(total);
        total = null;
    }

    private void checkIdle() {
        if (cancelled) {
            return;
        }
        long now = System.nanoTime();
        if (paused) {
            lastActivity = now;
        }
        long quiet = now - lastActivity;
        if (quiet >= idleNanos) {
            idle = null;
            fire(Deadline.IDLE);
        } else {
            idle = loop.schedule(this::checkIdle, idleNanos - quiet, TimeUnit.NANOSECONDS);
        }
    }

    private void fire(Deadline deadline) {
        if (!cancelled) {
            expired.accept(deadline);
        }
    }

    private static void cancel(ScheduledFuture<?> timer) {
        if (timer != null) {
            timer.cancel(false);
        }
    }
}
