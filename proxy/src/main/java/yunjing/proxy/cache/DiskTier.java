package yunjing.proxy.cache;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.zip.CRC32C;

/**
 * L2: complete entries on disk, bounded in bytes, surviving restarts.
 *
 * <h2>Files</h2>
 * One file per entry, named by the SHA-256 of its secondary key: magic {@code YJC1}, the head (key,
 * primary key, status, request and response times, Vary names, header fields), the body length and
 * bytes, then a CRC32C of everything before it. An entry is written to a temporary file, forced to the
 * device and renamed over the final name, so a crash leaves either the old entry, the new one, or a
 * temporary file that the next start deletes — never a half entry under an entry's name. A file whose
 * magic, structure or checksum is wrong is deleted when read and never served.
 *
 * <h2>Index</h2>
 * Rebuilt at start by reading the head of every entry file (the checksum is verified when an entry is
 * read). Eviction removes the least recently used entries until the total is within the bound.
 *
 * <h2>Threads</h2>
 * All file I/O runs on one daemon thread of this tier, never on an event loop; results come back as
 * futures completed on that thread. The index maps are concurrent so lookups run on the event loops.
 * Bodies are held in memory while written and read (entries are at most {@code l1MaxObjectBytes}); the
 * disk tier for larger objects and zero-copy sends are the next step.
 */
final class DiskTier implements AutoCloseable {

    private static final Logger log = Logger.getLogger(DiskTier.class.getName());
    private static final int MAGIC = 0x594A4331; // "YJC1"
    private static final String SUFFIX = ".entry";
    private static final int PIECE = 64 * 1024;

    private record Stored(Path file, long size, AtomicLong lastUsed, String primary) {
    }

    private final Path dir;
    private final long maxBytes;
    private final LongConsumer evicted;
    private final ExecutorService io;
    private final Map<String, Stored> index = new ConcurrentHashMap<>();
    private final Map<String, List<String>> varyByPrimary = new ConcurrentHashMap<>();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong clock = new AtomicLong();

    /** Opens the tier and rebuilds its index; blocks (call it from the starting thread, not an event loop). */
    DiskTier(Path dir, long maxBytes, String nodeId, LongConsumer evicted) throws IOException {
        this.dir = dir;
        this.maxBytes = maxBytes;
        this.evicted = evicted;
        Files.createDirectories(dir);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (name.startsWith(".tmp-")) {
                    Files.deleteIfExists(file); // a write that did not finish before a crash
                } else if (name.endsWith(SUFFIX)) {
                    indexFile(file);
                }
            }
        }
        this.io = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "yunjing-cache-disk-" + nodeId);
            t.setDaemon(true);
            return t;
        });
    }

    private void indexFile(Path file) {
        try (InputStream in = Files.newInputStream(file); DataInputStream data = new DataInputStream(in)) {
            if (data.readInt() != MAGIC) {
                throw new IOException("bad magic");
            }
            byte[] head = new byte[data.readInt()];
            data.readFully(head);
            DataInputStream h = new DataInputStream(new java.io.ByteArrayInputStream(head));
            String key = readString(h);
            String primary = readString(h);
            h.readInt();
            h.readLong();
            h.readLong();
            List<String> vary = readStrings(h);
            long size = Files.size(file);
            index.put(key, new Stored(file, size, new AtomicLong(clock.incrementAndGet()), primary));
            varyByPrimary.put(primary, vary);
            bytes.addAndGet(size);
        } catch (IOException | RuntimeException e) {
            log.log(Level.WARNING, "dropping unreadable cache entry " + file + ": " + e);
            deleteQuietly(file);
        }
    }

    /** The secondary key a disk entry for {@code request} would have, or null when there is none. */
    String keyFor(CacheRequest request) {
        List<String> vary = varyByPrimary.get(request.primaryKey());
        if (vary == null) {
            return null;
        }
        String key = request.secondaryKey(vary);
        return index.containsKey(key) ? key : null;
    }

    /** Reads and verifies an entry; null when it is gone or corrupt (then it is deleted). */
    CompletableFuture<CacheEntry> read(String key, long maxHeuristicMillis, long negativeTtlMillis) {
        try {
            return readAsync(key, maxHeuristicMillis, negativeTtlMillis);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.completedFuture(null); // closing: a miss
        }
    }

    private CompletableFuture<CacheEntry> readAsync(String key, long maxHeuristicMillis, long negativeTtlMillis) {
        return CompletableFuture.supplyAsync(() -> {
            Stored stored = index.get(key);
            if (stored == null) {
                return null;
            }
            try {
                CacheEntry entry = decode(Files.readAllBytes(stored.file()), maxHeuristicMillis, negativeTtlMillis);
                if (!entry.key.equals(key)) {
                    throw new IOException("entry holds another key");
                }
                stored.lastUsed().set(clock.incrementAndGet());
                return entry;
            } catch (IOException | RuntimeException e) {
                log.log(Level.WARNING, "dropping corrupt cache entry " + stored.file() + ": " + e);
                drop(key, stored);
                return null;
            }
        }, io);
    }

    /** Writes a complete entry (replacing any older one for its key) in the background. */
    void write(CacheEntry entry) {
        submit(() -> {
            Path file = dir.resolve(fileName(entry.key));
            Path tmp = dir.resolve(".tmp-" + fileName(entry.key) + "-" + Thread.currentThread().threadId());
            try {
                byte[] encoded = encode(entry);
                try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                    ByteBuffer buffer = ByteBuffer.wrap(encoded);
                    while (buffer.hasRemaining()) {
                        channel.write(buffer);
                    }
                    channel.force(true); // on the device before it gets its name
                }
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                Stored previous = index.put(entry.key, new Stored(file, encoded.length, new AtomicLong(clock.incrementAndGet()),
                        entry.primaryKey));
                varyByPrimary.put(entry.primaryKey, entry.varyNames);
                bytes.addAndGet(encoded.length - (previous == null ? 0 : previous.size()));
                evictIfNeeded();
            } catch (IOException | RuntimeException e) {
                log.log(Level.WARNING, "cannot write cache entry " + file + ": " + e);
                deleteQuietly(tmp);
            }
        });
    }

    void remove(String key) {
        submit(() -> {
            Stored stored = index.get(key);
            if (stored != null) {
                drop(key, stored);
            }
        });
    }

    /**
     * Removes every entry whose primary key {@code purged} accepts: from the index at once (so lookups miss
     * from now on), and again on the I/O thread after the writes queued before this call, whose files are
     * deleted there. Returns the keys removed from the index now.
     */
    Set<String> purge(Predicate<String> purged) {
        Set<String> removed = new HashSet<>();
        for (Map.Entry<String, Stored> e : index.entrySet()) {
            if (purged.test(e.getValue().primary()) && index.remove(e.getKey(), e.getValue())) {
                bytes.addAndGet(-e.getValue().size());
                removed.add(e.getKey());
                Path file = e.getValue().file();
                submit(() -> deleteQuietly(file));
            }
        }
        varyByPrimary.keySet().removeIf(purged);
        submit(() -> {
            for (Map.Entry<String, Stored> e : index.entrySet()) {
                if (purged.test(e.getValue().primary())) {
                    drop(e.getKey(), e.getValue());
                }
            }
            varyByPrimary.keySet().removeIf(purged);
        });
        return removed;
    }

    int entries() {
        return index.size();
    }

    long bytes() {
        return bytes.get();
    }

    private void submit(Runnable task) {
        try {
            io.execute(task);
        } catch (RejectedExecutionException e) {
            log.log(Level.FINE, "disk tier closed; dropping a write or removal");
        }
    }

    /** On the I/O thread. */
    private void evictIfNeeded() {
        if (bytes.get() <= maxBytes) {
            return;
        }
        List<Map.Entry<String, Stored>> byAge = new ArrayList<>(index.entrySet());
        byAge.sort(Comparator.comparingLong(e -> e.getValue().lastUsed().get()));
        for (Map.Entry<String, Stored> e : byAge) {
            if (bytes.get() <= maxBytes) {
                break;
            }
            drop(e.getKey(), e.getValue());
            evicted.accept(e.getValue().size());
        }
    }

    private void drop(String key, Stored stored) {
        if (index.remove(key, stored)) {
            bytes.addAndGet(-stored.size());
        }
        deleteQuietly(stored.file());
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.log(Level.FINE, "cannot delete " + file, e);
        }
    }

    static String fileName(String key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest) + SUFFIX;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] encode(CacheEntry entry) throws IOException {
        ByteArrayOutputStream headBytes = new ByteArrayOutputStream();
        DataOutputStream head = new DataOutputStream(headBytes);
        writeString(head, entry.key);
        writeString(head, entry.primaryKey);
        head.writeInt(entry.status.code());
        head.writeLong(entry.requestTime);
        head.writeLong(entry.responseTime);
        head.writeInt(entry.varyNames.size());
        for (String name : entry.varyNames) {
            writeString(head, name);
        }
        List<Map.Entry<String, String>> fields = entry.headers.entries();
        head.writeInt(fields.size());
        for (Map.Entry<String, String> field : fields) {
            writeString(head, field.getKey());
            writeString(head, field.getValue());
        }
        head.flush();
        List<byte[]> pieces = entry.body.pieces();
        ByteArrayOutputStream all = new ByteArrayOutputStream(headBytes.size() + (int) entry.body.length() + 32);
        DataOutputStream out = new DataOutputStream(all);
        out.writeInt(MAGIC);
        out.writeInt(headBytes.size());
        headBytes.writeTo(out);
        out.writeLong(entry.body.length());
        for (byte[] piece : pieces) {
            out.write(piece);
        }
        out.flush();
        CRC32C crc = new CRC32C();
        byte[] bytes = all.toByteArray();
        crc.update(bytes, 0, bytes.length);
        out.writeInt((int) crc.getValue());
        out.flush();
        return all.toByteArray();
    }

    static CacheEntry decode(byte[] file, long maxHeuristicMillis, long negativeTtlMillis) throws IOException {
        if (file.length < 20) {
            throw new IOException("truncated");
        }
        CRC32C crc = new CRC32C();
        crc.update(file, 0, file.length - 4);
        int expected = ByteBuffer.wrap(file, file.length - 4, 4).getInt();
        if ((int) crc.getValue() != expected) {
            throw new IOException("checksum mismatch");
        }
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(file, 0, file.length - 4));
        if (in.readInt() != MAGIC) {
            throw new IOException("bad magic");
        }
        in.readInt(); // head length
        String key = readString(in);
        String primary = readString(in);
        int status = in.readInt();
        long requestTime = in.readLong();
        long responseTime = in.readLong();
        List<String> vary = readStrings(in);
        int fields = in.readInt();
        HttpHeaders headers = new DefaultHttpHeaders();
        for (int i = 0; i < fields; i++) {
            headers.add(readString(in), readString(in));
        }
        long length = in.readLong();
        if (length != in.available()) {
            throw new IOException("body length " + length + " does not match the file");
        }
        List<byte[]> pieces = new ArrayList<>();
        for (long read = 0; read < length; ) {
            byte[] piece = new byte[(int) Math.min(PIECE, length - read)];
            in.readFully(piece);
            pieces.add(piece);
            read += piece.length;
        }
        CacheControl cc = CacheControl.parse(headers);
        long lifetime = CachePolicy.freshnessLifetime(status, headers, cc, responseTime, maxHeuristicMillis, negativeTtlMillis);
        return new CacheEntry(primary, key, HttpResponseStatus.valueOf(status), headers, vary, requestTime, responseTime,
                lifetime, GrowingBody.completed(pieces));
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private static String readString(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > 1 << 20) {
            throw new IOException("bad string length " + length);
        }
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static List<String> readStrings(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > 1024) {
            throw new IOException("bad count " + n);
        }
        List<String> strings = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            strings.add(readString(in));
        }
        return List.copyOf(strings);
    }

    /** Finishes pending writes (bounded wait), then stops the I/O thread. */
    @Override
    public void close() {
        io.shutdown();
        try {
            if (!io.awaitTermination(10, TimeUnit.SECONDS)) {
                io.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            io.shutdownNow();
        }
    }
}
