package yunjing.sync.agent;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A token bucket over bytes read: every fetch worker of one agent draws from the same bucket, so
 * the agent as a whole stays under {@code bytesPerSecond}. The bucket holds at most a twentieth
 * of a second's worth (and at least 16 KiB), so bursts stay short; a read larger than what is
 * left puts the bucket in debt and its reader sleeps until the debt is paid.
 *
 * <p>Thread-safe: {@link #acquire} holds the lock only to do the arithmetic, never while sleeping.
 */
public final class RateLimiter {

    private final long bytesPerSecond;
    private final long burst;
    private final LongSupplier nanoTime;
    private final long burstNanos;
    private long evenAt;

    public RateLimiter(long bytesPerSecond) {
        this(bytesPerSecond, System::nanoTime);
    }

    RateLimiter(long bytesPerSecond, LongSupplier nanoTime) {
        if (bytesPerSecond <= 0) {
            throw new IllegalArgumentException("bytesPerSecond: " + bytesPerSecond + " (expected: > 0)");
        }
        this.bytesPerSecond = bytesPerSecond;
        this.burst = Math.max(16 << 10, bytesPerSecond / 20);
        this.nanoTime = nanoTime;
        this.burstNanos = burst * 1_000_000_000L / bytesPerSecond;
        this.evenAt = nanoTime.getAsLong() - burstNanos;
    }

    public long bytesPerSecond() {
        return bytesPerSecond;
    }

    /** Largest read worth asking for at once: bigger reads only make the pacing coarser. */
    int maxRead() {
        return (int) Math.min(Integer.MAX_VALUE, burst);
    }

    /**
     * Takes {@code bytes} from the bucket; returns how long the caller must wait, in nanoseconds
     * (0: none). Kept as the time at which the bucket is even (GCRA): a full bucket is a time
     * {@code burst} bytes' worth in the past.
     */
    synchronized long reserve(long bytes) {
        long now = nanoTime.getAsLong();
        evenAt = Math.max(evenAt, now - burstNanos) + bytes * 1_000_000_000L / bytesPerSecond;
        return Math.max(0, evenAt - now);
    }

    /** Blocks until {@code bytes} more may be read under the limit. */
    public void acquire(long bytes) throws InterruptedIOException {
        long wait = reserve(bytes);
        if (wait > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted waiting for the bandwidth limit");
            }
        }
    }

    /** {@code in}, read no faster than this limit allows (together with every other stream it wraps). */
    public InputStream throttle(InputStream in) {
        return new FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                int b = in.read();
                if (b >= 0) {
                    acquire(1);
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = in.read(b, off, Math.min(len, maxRead()));
                if (n > 0) {
                    acquire(n);
                }
                return n;
            }
        };
    }

    /**
     * Parses a rate as curl's and rsync's {@code --limit-rate}/{@code --bwlimit} take it: bytes per
     * second, with an optional K, M or G suffix (powers of 1024), e.g. {@code 500K}, {@code 10M}.
     */
    public static long parse(String rate) {
        String s = rate.strip().toUpperCase(Locale.ROOT);
        if (s.endsWith("/S")) {
            s = s.substring(0, s.length() - 2);
        }
        if (s.endsWith("B")) {
            s = s.substring(0, s.length() - 1);
        }
        long unit = 1;
        if (!s.isEmpty()) {
            switch (s.charAt(s.length() - 1)) {
                case 'K' -> unit = 1L << 10;
                case 'M' -> unit = 1L << 20;
                case 'G' -> unit = 1L << 30;
                default -> unit = 1;
            }
        }
        String digits = unit == 1 ? s : s.substring(0, s.length() - 1);
        try {
            double value = Double.parseDouble(digits);
            long bytes = (long) (value * unit);
            if (!(value > 0) || bytes <= 0 || !digits.matches("[0-9]+(\\.[0-9]+)?")) {
                throw new NumberFormatException();
            }
            return bytes;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + rate + "' (expected: bytes per second > 0, e.g. 500K, 10M, 1G)");
        }
    }
}
