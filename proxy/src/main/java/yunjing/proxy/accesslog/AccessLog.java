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
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
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
 * works; so does rename-and-reopen (logrotate's default, nginx's {@code -s reopen}): after the file was
 * renamed, {@link #reopen()} (or {@link #reopenAll()}, which {@link AccessLogSignal} runs on SIGUSR1) has
 * the writer finish the batch in hand in the renamed file, then open the path anew and write every later
 * batch there. Lines are never split across the two files nor lost; the ones written between the rename
 * and the reopen are in the renamed file.
 *
 * <p>Lifecycle: {@link #open} → running → {@link #close()}, which writes what is queued, closes the
 * file and ends the thread. {@link #OFF} logs nothing. Thread-safe.
 */
public final class AccessLog implements AutoCloseable {

    private static final Logger log = Logger.getLogger(AccessLog.class.getName());

    /** Entries waiting for the writer; beyond this they are dropped. */
    public static final int QUEUE_CAPACITY = 16_384;
    private static final int BATCH = 512;
    private static final long CLOSE_WAIT_MILLIS = 5000;
    /** How long {@link #reopen()} waits for the writer: its poll (100 ms) plus a batch on a slow disk. */
    private static final long REOPEN_WAIT_MILLIS = 5000;
    /** Logs open in this process, for {@link #reopenAll()}. */
    private static final Set<AccessLog> OPEN = ConcurrentHashMap.newKeySet();

    /** Put in the queue by {@link #reopen()} to wake the writer at once; never written. */
    private static final AccessEntry WAKE_UP = new AccessEntry(0, "", "", "", false, "", null, "", 0, 0, 0, -1,
            null, null, null, null, null, "");

    /** Logs nothing. */
    public static final AccessLog OFF = new AccessLog();

    private final BlockingQueue<AccessEntry> queue;
    private final ProxyMetrics metrics;
    private final Path file;
    private final Thread writer;
    private final AtomicLong dropped = new AtomicLong();
    /** Reopens asked for and not done yet; the writer completes them between batches. */
    private final Queue<CompletableFuture<Void>> reopens = new ConcurrentLinkedQueue<>();
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
            out = openForAppend(file);
        } catch (IOException e) {
            throw new IOException("access log " + file + ": " + e.getMessage(), e);
        }
        AccessLog accessLog = new AccessLog(file, nodeId, metrics, out);
        accessLog.writer.start();
        OPEN.add(accessLog);
        return accessLog;
    }

    private static OutputStream openForAppend(Path file) throws IOException {
        return Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                StandardOpenOption.WRITE);
    }

    /**
     * Has the writer open the file's path anew (after a rotation renamed it) and returns once it writes
     * there. Lines already written stay in the old file; none is split or lost. No-op for {@link #OFF}
     * and after {@link #close()}.
     *
     * @throws IOException naming the file when it cannot be opened (the writer keeps the old one), or when
     *                     the writer did not get to it within 5 s
     */
    public void reopen() throws IOException {
        if (writer == null || closed) {
            return;
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        reopens.add(done);
        queue.offer(WAKE_UP); // when the queue is full the writer is busy and gets to it after this batch
        try {
            done.get(REOPEN_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("access log " + file + ": the writer did not reopen it within "
                    + REOPEN_WAIT_MILLIS + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("access log " + file + ": interrupted while reopening", e);
        }
    }

    /**
     * {@link #reopen()} for every log open in this process (what SIGUSR1 does, see {@link AccessLogSignal});
     * a log that cannot be reopened is logged and keeps its old file. Returns how many were reopened.
     */
    public static int reopenAll() {
        int reopened = 0;
        for (AccessLog accessLog : OPEN) {
            try {
                accessLog.reopen();
                reopened++;
            } catch (IOException e) {
                log.log(Level.WARNING, e.getMessage(), e);
            }
        }
        return reopened;
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
        JsonGenerator output = null;
        try {
            output = generator(json, out);
            boolean failing = false;
            while (!closed || !queue.isEmpty()) {
                output = reopenIfAsked(json, output);
                AccessEntry first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, BATCH - 1);
                try {
                    for (AccessEntry entry : batch) {
                        if (entry != WAKE_UP) {
                            line.write(output, entry);
                        }
                    }
                    output.flush();
                    failing = false;
                } catch (IOException e) {
                    dropped.addAndGet(batch.stream().filter(entry -> entry != WAKE_UP).count());
                    if (!failing) {
                        log.log(Level.WARNING, "access log " + this.file + ": write failed, dropping lines until it works again", e);
                    }
                    failing = true;
                }
                batch.clear();
            }
        } catch (IOException e) {
            log.log(Level.WARNING, "access log " + file + ": cannot write", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            OPEN.remove(this);
            closeQuietly(output, out);
            CompletableFuture<Void> waiting;
            while ((waiting = reopens.poll()) != null) {
                waiting.completeExceptionally(new IOException("access log " + file + ": closed before it was reopened"));
            }
        }
    }

    /**
     * Between batches, on the writer: when a reopen was asked for, opens the path anew and closes the old
     * file (everything written to it was flushed with its batch); if the path cannot be opened, keeps the old.
     */
    private JsonGenerator reopenIfAsked(JsonFactory json, JsonGenerator output) {
        if (reopens.isEmpty()) {
            return output; // the usual case, every batch and every idle 100 ms
        }
        // Every request here now is served by this one open; one asked while it runs waits for the next.
        List<CompletableFuture<Void>> asked = new ArrayList<>();
        for (CompletableFuture<Void> request; (request = reopens.poll()) != null; ) {
            asked.add(request);
        }
        if (asked.isEmpty()) {
            return output;
        }
        JsonGenerator reopened;
        try {
            reopened = generator(json, openForAppend(file));
        } catch (IOException e) {
            IOException failure = new IOException("access log " + file + ": cannot reopen: " + e.getMessage(), e);
            asked.forEach(request -> request.completeExceptionally(failure));
            return output;
        }
        closeQuietly(output, null);
        asked.forEach(request -> request.complete(null));
        return reopened;
    }

    private void closeQuietly(JsonGenerator output, OutputStream raw) {
        try {
            if (output != null) {
                output.close(); // flushes and closes the stream under it
            } else if (raw != null) {
                raw.close();
            }
        } catch (IOException e) {
            log.log(Level.WARNING, "access log " + file + ": close failed", e);
        }
    }

    /** The JSON generator writing lines into one open file, through its buffer. */
    private static JsonGenerator generator(JsonFactory json, OutputStream out) throws IOException {
        JsonGenerator generator = json.createGenerator(new BufferedOutputStream(out, 64 * 1024), JsonEncoding.UTF8);
        generator.setRootValueSeparator(null);
        return generator;
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
