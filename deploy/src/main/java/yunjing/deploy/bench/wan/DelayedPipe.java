package yunjing.deploy.bench.wan;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.ArrayDeque;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One direction of a relayed connection: chunks read from {@code source} are paced at the link's rate,
 * held for the one-way delay (plus jitter, never reordering) and then written to {@code target}.
 *
 * <p>Memory is bounded: when more than {@link #maxInFlight} bytes are queued or unwritten, or the target
 * is not writable, the source stops reading (autoRead off) until the queue drains below half.
 *
 * <p>Thread confinement: both channels of a relayed connection share one event loop, and every method
 * here runs on it. Ownership: each queued {@link ByteBuf} belongs to this pipe until written (then to
 * the target channel) or released by {@link #discard()}.
 */
final class DelayedPipe {
    /** Pacing granularity: a 64 KiB read at 20 Mbit/s would otherwise arrive as one 26 ms lump. */
    static final int SLICE = 16 * 1024;

    private record Pending(long deliverAtNanos, ByteBuf data) {
    }

    private final Channel source;
    private final Channel target;
    private final LinkPacer pacer;
    private final LinkProfile profile;
    private final SplittableRandom random;
    private final AtomicLong byteCounter;
    private final long maxInFlight;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private ScheduledFuture<?> timer;
    private long inFlight;
    private long lastDeliverNanos;
    private long stallUntilNanos;
    private boolean closeWhenDrained;
    private boolean resetWhenDrained;
    private boolean discarded;

    DelayedPipe(Channel source, Channel target, LinkPacer pacer, LinkProfile profile, SplittableRandom random,
                AtomicLong byteCounter) {
        this.source = source;
        this.target = target;
        this.pacer = pacer;
        this.profile = profile;
        this.random = random;
        this.byteCounter = byteCounter;
        // Twice the bandwidth-delay product keeps a single flow at the link rate; at least 256 KiB.
        long bdp = profile.bitsPerSecond() == 0 ? 0
                : profile.bitsPerSecond() / 8 * profile.oneWayDelay().toMillis() * 2 / 1000;
        this.maxInFlight = Math.max(256 * 1024, 2 * bdp);
    }

    /** Takes ownership of {@code data}. */
    void send(ByteBuf data) {
        if (discarded || closeWhenDrained) {
            data.release();
            return;
        }
        try {
            while (data.isReadable()) {
                int length = Math.min(SLICE, data.readableBytes());
                ByteBuf slice = data.readRetainedSlice(length);
                long now = System.nanoTime();
                long sent = pacer.reserve(length, now);
                long deliver = Math.max(sent + delayNanos(), Math.max(lastDeliverNanos, stallUntilNanos));
                lastDeliverNanos = deliver;
                inFlight += length;
                byteCounter.addAndGet(length);
                queue.add(new Pending(deliver, slice));
            }
        } finally {
            data.release();
        }
        armTimer();
        throttle();
    }

    /** Nothing sent now is delivered before {@code nanoTime}: the TCP handshake a user-space relay skips. */
    void notBefore(long nanoTime) {
        stallUntilNanos = Math.max(stallUntilNanos, nanoTime);
    }

    /** Holds everything sent from now on for {@code nanos} more (a stall on the path). */
    void stall(long nanos) {
        stallUntilNanos = System.nanoTime() + nanos;
    }

    /** Delivers what is queued, then closes the target (graceful) or resets it. */
    void finish(boolean reset) {
        if (discarded || closeWhenDrained) {
            resetWhenDrained |= reset;
            return;
        }
        closeWhenDrained = true;
        resetWhenDrained = reset;
        if (queue.isEmpty()) {
            closeTarget();
        }
    }

    /** Drops what is queued (the target is gone). */
    void discard() {
        discarded = true;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        for (Pending p; (p = queue.poll()) != null; ) {
            p.data().release();
        }
        inFlight = 0;
    }

    /** The target's writability changed, or a write completed: maybe read the source again. */
    void maybeResume() {
        if (!discarded && !source.config().isAutoRead() && inFlight < maxInFlight / 2 && target.isWritable()) {
            source.config().setAutoRead(true);
        }
    }

    private void throttle() {
        if (inFlight > maxInFlight || !target.isWritable()) {
            source.config().setAutoRead(false);
        }
    }

    private long delayNanos() {
        long base = profile.oneWayDelay().toNanos();
        long jitter = profile.jitter().toNanos();
        return jitter == 0 ? base : base - jitter + random.nextLong(2 * jitter + 1);
    }

    private void armTimer() {
        if (timer != null || queue.isEmpty() || discarded) {
            return;
        }
        long wait = Math.max(0, queue.peek().deliverAtNanos() - System.nanoTime());
        timer = target.eventLoop().schedule(this::deliverDue, wait, TimeUnit.NANOSECONDS);
    }

    private void deliverDue() {
        timer = null;
        if (discarded) {
            return;
        }
        long now = System.nanoTime();
        boolean wrote = false;
        while (!queue.isEmpty() && queue.peek().deliverAtNanos() <= now) {
            Pending p = queue.poll();
            int length = p.data().readableBytes();
            if (!target.isActive()) {
                p.data().release();
                inFlight -= length;
                continue;
            }
            wrote = true;
            target.write(p.data()).addListener(f -> {
                inFlight -= length;
                maybeResume();
            });
        }
        if (wrote) {
            target.flush();
        }
        if (queue.isEmpty() && closeWhenDrained) {
            closeTarget();
        }
        armTimer();
    }

    private void closeTarget() {
        if (resetWhenDrained) {
            reset(target);
        } else {
            target.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Closes with an RST instead of a FIN (SO_LINGER 0), as a middlebox dropping the flow would. */
    static void reset(Channel channel) {
        if (channel.isOpen()) {
            try {
                channel.config().setOption(ChannelOption.SO_LINGER, 0);
            } catch (RuntimeException ignored) {
                // Already closing: a plain close is all that is left.
            }
            channel.close();
        }
    }
}
