package yunjing.sync.agent;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Closes a response body whose reader has been blocked for longer than {@code timeout}.
 * {@link java.net.http.HttpRequest.Builder#timeout} stops at the response headers, so without
 * this a parent that stalls midway through a body (or a connection dropped without a FIN) would
 * block the agent forever. Only time spent inside {@code read} counts, so a slow consumer
 * (fsync after a range) never trips it. A tripped stream throws {@link IOException}, which the
 * agent treats like a truncated response.
 */
final class StallGuardInputStream extends FilterInputStream {

    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "yunjing-sync-stall-guard");
        t.setDaemon(true);
        return t;
    });

    private final Duration timeout;
    private final ScheduledFuture<?> check;
    /** {@link System#nanoTime} when the current read began; 0 while not reading. */
    private volatile long readingSince;
    private volatile boolean stalled;

    StallGuardInputStream(InputStream in, Duration timeout) {
        super(in);
        this.timeout = timeout;
        long period = Math.max(10, timeout.toMillis() / 4);
        this.check = TIMER.scheduleAtFixedRate(this::check, period, period, TimeUnit.MILLISECONDS);
    }

    private void check() {
        long since = readingSince;
        if (since != 0 && System.nanoTime() - since > timeout.toNanos()) {
            stalled = true;
            check.cancel(false);
            try {
                in.close();
            } catch (IOException ignored) {
                // Closing is how the blocked reader is woken; a failure to close changes nothing.
            }
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        readingSince = System.nanoTime();
        int n;
        try {
            n = in.read(b, off, len);
        } catch (IOException e) {
            throw stalled ? stalledException(e) : e;
        } finally {
            readingSince = 0;
        }
        if (stalled) {
            throw stalledException(null);
        }
        return n;
    }

    private IOException stalledException(IOException cause) {
        return new IOException("response body stalled: no data for " + timeout, cause);
    }

    @Override
    public void close() throws IOException {
        check.cancel(false);
        in.close();
    }
}
