package yunjing.proxy.accesslog;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import yunjing.proxy.metrics.ProxyMetrics;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A node's JSON access log: {@link #log} queues an entry and returns at once (event loops never wait for
 * the disk); one writer thread formats the entries ({@link AccessLine}) and appends them to the file,
 * flushing after each batch. When the queue ({@link #QUEUE_CAPACITY} entries) is full the entry is
 * dropped and counted ({@link #dropped()}, {@code yunjing.proxy.access.log.dropped}): a slow disk costs
 * log lines, never latency.
 *
 * <p>The file is opened for appending ({@code O_APPEND}), so an external rotation by copy-and-truncate
 * works. Lifecycle: {@link #open} → running → {@link #close()}, which writes what is queued, closes the
 * file and ends the thread. {@link #OFF} logs nothing. Thread-safe.
 */
public final class AccessLog implements AutoCloseable {

    private static final Logger log = Logger.getLogger(AccessLog.class.getName());

    /** Entries waiting for the writer; beyond this they are dropped. */
    public static final int QUEUE_CAPACITY = 16_384;
    private static final int BATCH = 512;
    private static final long CLOSE_WAIT_MILLIS = 5000;

    /** Logs nothing. */
    public static final AccessLog OFF = new AccessLog();

    private final BlockingQueue<AccessEntry> queue;
    private final ProxyMetrics metrics;
    private final Path file;
    private final Thread writer;
    private final AtomicLong dropped = new AtomicLong();
    private volatile boolean closed;

    private AccessLog() {
        this.queue = null;
        this.metrics = null;
        this.file = null;
        this.writer = null;
    }

    private AccessLog(Path file, String nodeId, ProxyMetrics metrics, OutputStream out) {
        this.file = file;
        this.metrics = metrics;
        this.queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
        AccessLine line = new AccessLine(nodeId);
        this.writer = new Thread(() -> run(out, line), "access-log-" + nodeId);
        writer.setDaemon(true);
    }

    /**
     * Opens (creating it and its directory if needed) {@code file} for appending and starts the writer.
     *
     * @throws IOException naming the file when it cannot be opened
     */
    public static AccessLog open(Path file, String nodeId, ProxyMetrics metrics) throws IOException {
        OutputStream out;
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                    StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new IOException("access log " + file + ": " + e.getMessage(), e);
        }
        AccessLog accessLog = new AccessLog(file, nodeId, metrics, out);
        accessLog.writer.start();
        return accessLog;
    }

    /** Whether entries are written anywhere: callers skip building them otherwise. */
    public boolean enabled() {
        return queue != null;
    }

    /** The file written, or null for {@link #OFF}. */
    public Path file() {
        return file;
    }

    /** Queues one entry; never blocks. Dropped (and counted) when the queue is full or the log closed. */
    public void log(AccessEntry entry) {
        if (queue == null) {
            return;
        }
        if (closed || !queue.offer(entry)) {
            dropped.incrementAndGet();
            metrics.accessLogDropped();
        }
    }

    /** Entries lost since open: queue full, log closed, or a failed write. */
    public long dropped() {
        return dropped.get();
    }

    private void run(OutputStream out, AccessLine line) {
        List<AccessEntry> batch = new ArrayList<>(BATCH);
        JsonFactory json = JsonFactory.builder().build();
        try (OutputStream file = new BufferedOutputStream(out, 64 * 1024);
             JsonGenerator generator = json.createGenerator(file, JsonEncoding.UTF8)) {
            generator.setRootValueSeparator(null);
            boolean failing = false;
            while (!closed || !queue.isEmpty()) {
                AccessEntry first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, BATCH - 1);
                try {
                    for (AccessEntry entry : batch) {
                        line.write(generator, entry);
                    }
                    generator.flush();
                    failing = false;
                } catch (IOException e) {
                    dropped.addAndGet(batch.size());
                    if (!failing) {
                        log.log(Level.WARNING, "access log " + this.file + ": write failed, dropping lines until it works again", e);
                    }
                    failing = true;
                }
                batch.clear();
            }
        } catch (IOException e) {
            log.log(Level.WARNING, "access log " + file + ": close failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Writes what is queued (waiting up to 5 s), closes the file and ends the writer. Idempotent. */
    @Override
    public void close() {
        if (writer == null || closed) {
            return;
        }
        closed = true;
        try {
            writer.join(CLOSE_WAIT_MILLIS);
            if (writer.isAlive()) {
                // A disk that does not answer: stop waiting; the interrupt ends the writer's next poll.
                writer.interrupt();
                writer.join(CLOSE_WAIT_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
