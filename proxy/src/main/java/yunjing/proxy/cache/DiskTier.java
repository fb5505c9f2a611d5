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
import java.nio.file.attribute.BasicFileAttributes;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.zip.CRC32C;

/**
 * L2: complete entries on disk, bounded in bytes, surviving restarts.
 *
 * <h2>Files</h2>
 * One file per entry, named by the SHA-256 of its key: magic {@code YJC3}, the head (key, primary key,
 * status, request and response times, Vary names, header fields, the sliced length or -1, the digest its
 * body is stored under or "" — {@link DigestBodies}: such a head's body length is 0, its body being the
 * file of the digest's body entry), the body length and bytes, then a CRC32C of everything before it.
 * Files of other formats (an older {@code YJC2} included) are dropped at start. An entry is written to a temporary file, forced to the
 * device and renamed over the final name, so a crash leaves either the old entry, the new one, or a
 * temporary file that the next start deletes — never a half entry under an entry's name. A file whose
 * magic, structure or checksum is wrong is deleted when read and never served.
 *
 * <h2>Index</h2>
 * Rebuilt at start by reading the head of every entry file (the checksum is verified when an entry is
 * read). Eviction removes the least recently used entries until the total is within the bound.
 *
 * <h2>Sending without reading</h2>
 * {@link #openBody} opens a file for {@code sendfile} ({@link DiskBody}), which cannot check the bytes as
 * they go. So the checksum is verified before a file's first such send in this process (a file this
 * process wrote counts as verified), and the file's stamp (size, mtime, inode) is remembered in the index;
 * a file whose stamp changed since is verified again before it is sent. A failed check deletes it, and the
 * caller treats it as a miss. What this does not catch: a change that keeps size and mtime (bits rotting
 * under an unchanged mtime after the check) — the price of not reading every byte per send.
 *
 * <h2>Threads</h2>
 * All file I/O runs on one daemon thread of this tier, never on an event loop; results come back as
 * futures completed on that thread. The index maps are concurrent so lookups run on the event loops.
 * Files opened for sending stay open until the last send releases them ({@link DiskBody}); a purge or
 * eviction meanwhile only unlinks them. Bodies are held in memory while read (entries are at most {@code l1MaxObjectBytes}: larger objects are
 * stored as slices, see {@link Slices}) and written piece by piece from the entry's body.
 */
final class DiskTier implements AutoCloseable {

    private static final Logger log = Logger.getLogger(DiskTier.class.getName());
    private static final int MAGIC = 0x594A4333; // "YJC3"
    /** The format before bodies were stored once by digest: its files are dropped at start. */
    private static final int OLD_MAGIC = 0x594A4332; // "YJC2"
    private static final String SUFFIX = ".entry";
    private static final int PIECE = 64 * 1024;

    /**
     * An indexed entry file. {@code verified}: the file's stamp when its checksum last passed in this
     * process (or when this process wrote it), else null; a send without reading needs it to match.
     */
    private record Stored(Path file, long size, AtomicLong lastUsed, String primary, String digest,
            AtomicReference<FileStamp> verified) {
    }

    /** What tells that a file changed since its checksum was verified: its size, mtime and inode. */
    private record FileStamp(long size, long modifiedNanos, Object fileKey) {
        static FileStamp of(Path file) throws IOException {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return new FileStamp(a.size(), a.lastModifiedTime().to(TimeUnit.NANOSECONDS), a.fileKey());
        }

        /** The stamp, or null (not verified: checked before its first send) when it cannot be read. */
        static FileStamp ofOrNull(Path file) {
            try {
                return of(file);
            } catch (IOException e) {
                return null;
            }
        }
    }

    private final Path dir;
    private final long maxBytes;
    private final LongConsumer evicted;
    private final ExecutorService io;
    private final Map<String, Stored> index = new ConcurrentHashMap<>();
    private final Map<String, List<String>> varyByPrimary = new ConcurrentHashMap<>();
    /** Entries handed to {@link #write} whose file is not in the index yet: found by lookups meanwhile. */
    private final Map<String, CacheEntry> pending = new ConcurrentHashMap<>();
    /** Body bytes of {@link #pending}: bounded, so a disk slower than the network cannot fill the heap. */
    private final AtomicLong pendingBytes = new AtomicLong();
    private final long maxPendingBytes;
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong clock = new AtomicLong();
    private final AtomicInteger openFiles = new AtomicInteger();
    /** The I/O thread's buffer for checksum reads of files opened for sending. */
    private final ByteBuffer verifyBuffer = ByteBuffer.allocateDirect(256 * 1024);

    /** Opens the tier and rebuilds its index; blocks (call it from the starting thread, not an event loop). */
    DiskTier(Path dir, long maxBytes, long maxPendingBytes, String nodeId, LongConsumer evicted) throws IOException {
        this.dir = dir;
        this.maxPendingBytes = maxPendingBytes;
        this.maxBytes = maxBytes;
        this.evicted = evicted;
        Files.createDirectories(dir);
        int older = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (name.startsWith(".tmp-")) {
                    Files.deleteIfExists(file); // a write that did not finish before a crash
                } else if (name.endsWith(SUFFIX) && !indexFile(file)) {
                    older++;
                }
            }
        }
        if (older > 0) {
            int dropped = older;
            log.info(() -> "dropped " + dropped + " cache entries of an older format in " + dir);
        }
        this.io = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "yunjing-cache-disk-" + nodeId);
            t.setDaemon(true);
            return t;
        });
    }

    /** Indexes an entry file (deleting it when unreadable); false for a file of the older format, deleted. */
    private boolean indexFile(Path file) {
        try (InputStream in = Files.newInputStream(file); DataInputStream data = new DataInputStream(in)) {
            int magic = data.readInt();
            if (magic == OLD_MAGIC) {
                deleteQuietly(file);
                return false;
            }
            if (magic != MAGIC) {
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
            String digest = Digests.sha256(readFields(h));
            long size = Files.size(file);
            index.put(key, new Stored(file, size, new AtomicLong(clock.incrementAndGet()), primary, digest,
                    new AtomicReference<>())); // not verified: a file from before this process
            varyByPrimary.put(primary, vary);
            bytes.addAndGet(size);
        } catch (IOException | RuntimeException e) {
            log.log(Level.WARNING, "dropping unreadable cache entry " + file + ": " + e);
            deleteQuietly(file);
        }
        return true;
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

    boolean contains(String key) {
        return index.containsKey(key) || pending.containsKey(key);
    }

    /** Whether an entry with this primary key is in the index (any Vary variant). Any thread. */
    boolean holds(String primary) {
        return varyByPrimary.containsKey(primary);
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
        CacheEntry writing = pending.get(key);
        if (writing != null) {
            return CompletableFuture.completedFuture(writing);
        }
        return CompletableFuture.supplyAsync(() -> {
            Stored stored = index.get(key);
            if (stored == null) {
                return null;
            }
            try {
                // Stamped before reading: a change during the read gives the file another stamp.
                FileStamp stamp = FileStamp.of(stored.file());
                CacheEntry entry = decode(Files.readAllBytes(stored.file()), maxHeuristicMillis, negativeTtlMillis);
                if (!entry.key.equals(key)) {
                    throw new IOException("entry holds another key");
                }
                stored.verified().set(stamp);
                stored.lastUsed().set(clock.incrementAndGet());
                return entry;
            } catch (IOException | RuntimeException e) {
                log.log(Level.WARNING, "dropping corrupt cache entry " + stored.file() + ": " + e);
                drop(key, stored);
                return null;
            }
        }, io);
    }

    /**
     * Opens an entry's file to send its body without reading it ({@link DiskBody}): the head is decoded, and
     * the whole file's checksum is verified first unless it was verified (or written) by this process and
     * its size, mtime and inode have not changed since. A file that fails is deleted; the future then
     * yields null, as it does when the entry is gone or still being written. The caller owns the result.
     * A head whose body is stored by digest ({@link CacheEntry#sharedBody}) opens with no body bytes: its
     * body is sent from the file of the digest's body entry, opened under {@link DigestBodies#key}.
     */
    CompletableFuture<DiskBody> openBody(String key, long maxHeuristicMillis, long negativeTtlMillis) {
        try {
            return CompletableFuture.supplyAsync(() -> openOnIoThread(key, maxHeuristicMillis, negativeTtlMillis), io);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.completedFuture(null); // closing: a miss
        }
    }

    private DiskBody openOnIoThread(String key, long maxHeuristicMillis, long negativeTtlMillis) {
        Stored stored = index.get(key);
        if (stored == null || pending.containsKey(key)) {
            return null;
        }
        FileChannel channel = null;
        try {
            FileStamp stamp = FileStamp.of(stored.file());
            channel = FileChannel.open(stored.file(), StandardOpenOption.READ);
            long size = channel.size();
            if (!stamp.equals(stored.verified().get())) {
                verifyChecksum(channel, size);
                stored.verified().set(stamp);
            }
            ByteBuffer start = readFully(channel, 0, 8);
            if (start.getInt() != MAGIC) {
                throw new IOException("bad magic");
            }
            int headLength = start.getInt();
            if (headLength < 0 || headLength > size - 20) {
                throw new IOException("bad head length " + headLength);
            }
            ByteBuffer headBytes = readFully(channel, 8, headLength + 8);
            DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(headBytes.array()));
            Head head = Head.read(in);
            long length = ByteBuffer.wrap(headBytes.array(), headLength, 8).getLong();
            long bodyOffset = 8L + headLength + 8;
            if (length < 0 || bodyOffset + length + 4 != size) {
                throw new IOException("body length " + length + " does not match the file");
            }
            if (!head.key().equals(key)) {
                throw new IOException("entry holds another key");
            }
            stored.lastUsed().set(clock.incrementAndGet());
            CacheEntry entry = head.entry(GrowingBody.completed(List.of()), length, maxHeuristicMillis, negativeTtlMillis);
            DiskBody body = new DiskBody(entry, channel, bodyOffset, length, openFiles);
            channel = null; // the DiskBody owns it
            return body;
        } catch (IOException | RuntimeException e) {
            log.log(Level.WARNING, "dropping corrupt cache entry " + stored.file() + ": " + e);
            drop(key, stored);
            return null;
        } finally {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException e) {
                    log.log(Level.FINE, "closing " + stored.file(), e);
                }
            }
        }
    }

    /** Checks the CRC32C that ends the file against everything before it. On the I/O thread. */
    private void verifyChecksum(FileChannel channel, long size) throws IOException {
        if (size < 20) {
            throw new IOException("truncated");
        }
        CRC32C crc = new CRC32C();
        long end = size - 4;
        for (long position = 0; position < end; ) {
            verifyBuffer.clear().limit((int) Math.min(verifyBuffer.capacity(), end - position));
            int n = channel.read(verifyBuffer, position);
            if (n < 0) {
                throw new IOException("truncated");
            }
            crc.update(verifyBuffer.flip());
            position += n;
        }
        if ((int) crc.getValue() != readFully(channel, end, 4).getInt()) {
            throw new IOException("checksum mismatch");
        }
    }

    private static ByteBuffer readFully(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new IOException("truncated");
            }
        }
        return buffer.flip();
    }

    /** Whether {@code key} has an entry file (not only a write queued), and its size; -1 when none. */
    long fileSize(String key) {
        Stored stored = index.get(key);
        return stored == null || pending.containsKey(key) ? -1 : stored.size();
    }

    /** Entry files held open for sending ({@link DiskBody}s not yet released). */
    int openFiles() {
        return openFiles.get();
    }

    /**
     * Writes a complete entry (replacing any older one for its key) in the background. Returns false, writing
     * nothing, when the writes already queued hold {@code maxPendingBytes}: the disk cannot keep up, and
     * queueing more would hold their bodies in memory without bound.
     */
    boolean write(CacheEntry entry) {
        return write(entry, () -> { });
    }

    /** As {@link #write(CacheEntry)}; when queued, {@code written} runs on the disk thread once the write ended. */
    boolean write(CacheEntry entry, Runnable written) {
        long bodyBytes = entry.body.length();
        if (pendingBytes.addAndGet(bodyBytes) > maxPendingBytes && bodyBytes > 0) {
            pendingBytes.addAndGet(-bodyBytes);
            return false;
        }
        pending.put(entry.key, entry);
        boolean queued = submit(() -> {
            Path file = dir.resolve(fileName(entry.key));
            Path tmp = dir.resolve(".tmp-" + fileName(entry.key) + "-" + Thread.currentThread().threadId());
            try {
                long size;
                try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                    size = encode(entry, channel);
                    channel.force(true); // on the device before it gets its name
                }
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                // Written from the entry's bytes just now and forced: its checksum is known to hold.
                Stored previous = index.put(entry.key, new Stored(file, size, new AtomicLong(clock.incrementAndGet()),
                        entry.primaryKey, entry.digest, new AtomicReference<>(FileStamp.ofOrNull(file))));
                varyByPrimary.put(entry.primaryKey, entry.varyNames);
                bytes.addAndGet(size - (previous == null ? 0 : previous.size()));
                evictIfNeeded();
            } catch (IOException | RuntimeException e) {
                log.log(Level.WARNING, "cannot write cache entry " + file + ": " + e);
                deleteQuietly(tmp);
            } finally {
                pending.remove(entry.key, entry);
                pendingBytes.addAndGet(-bodyBytes);
                written.run();
            }
        });
        if (!queued) {
            pending.remove(entry.key, entry);
            pendingBytes.addAndGet(-bodyBytes);
        }
        return queued;
    }

    void remove(String key) {
        pending.remove(key);
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
        return purge(purged, digest -> false);
    }

    /** As {@link #purge(Predicate)}, also removing every entry whose head names a digest {@code digests} accepts. */
    Set<String> purge(Predicate<String> purged, Predicate<String> digests) {
        Predicate<Stored> matches = stored -> purged.test(stored.primary())
                || (stored.digest() != null && digests.test(stored.digest()));
        Set<String> removed = new HashSet<>();
        pending.values().removeIf(entry -> purged.test(entry.primaryKey)
                || (entry.digest != null && digests.test(entry.digest)));
        for (Map.Entry<String, Stored> e : index.entrySet()) {
            if (matches.test(e.getValue()) && index.remove(e.getKey(), e.getValue())) {
                bytes.addAndGet(-e.getValue().size());
                removed.add(e.getKey());
                Path file = e.getValue().file();
                submit(() -> deleteQuietly(file));
            }
        }
        varyByPrimary.keySet().removeIf(purged);
        submit(() -> {
            for (Map.Entry<String, Stored> e : index.entrySet()) {
                if (matches.test(e.getValue())) {
                    drop(e.getKey(), e.getValue());
                }
            }
            varyByPrimary.keySet().removeIf(purged);
        });
        return removed;
    }

    /** The digests named by the heads of entries whose primary key {@code primaries} accepts, queued writes included. */
    Set<String> digestsNamed(Predicate<String> primaries) {
        Set<String> named = new HashSet<>();
        for (Stored stored : index.values()) {
            if (stored.digest() != null && primaries.test(stored.primary())) {
                named.add(stored.digest());
            }
        }
        for (CacheEntry entry : pending.values()) {
            if (entry.digest != null && primaries.test(entry.primaryKey)) {
                named.add(entry.digest);
            }
        }
        return named;
    }

    int entries() {
        return index.size();
    }

    long bytes() {
        return bytes.get();
    }

    private boolean submit(Runnable task) {
        try {
            io.execute(task);
            return true;
        } catch (RejectedExecutionException e) {
            log.log(Level.FINE, "disk tier closed; dropping a write or removal");
            return false;
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

    /** Writes the entry's file format to {@code out}; returns the bytes written. */
    static long encode(CacheEntry entry, java.nio.channels.WritableByteChannel out) throws IOException {
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
        head.writeLong(entry.slicedLength);
        writeString(head, entry.sharedBody == null ? "" : entry.sharedBody);
        head.flush();
        CRC32C crc = new CRC32C();
        ByteBuffer start = ByteBuffer.allocate(8 + headBytes.size() + 8);
        start.putInt(MAGIC).putInt(headBytes.size()).put(headBytes.toByteArray()).putLong(entry.body.length()).flip();
        long written = writeAll(out, start, crc);
        for (byte[] piece : entry.body.pieces()) {
            written += writeAll(out, ByteBuffer.wrap(piece), crc);
        }
        ByteBuffer trailer = ByteBuffer.allocate(4).putInt((int) crc.getValue()).flip();
        return written + writeAll(out, trailer, null);
    }

    private static long writeAll(java.nio.channels.WritableByteChannel out, ByteBuffer buffer, CRC32C crc)
            throws IOException {
        if (crc != null) {
            crc.update(buffer.duplicate());
        }
        long n = buffer.remaining();
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
        return n;
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
        Head head = Head.read(in);
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
        return head.entry(GrowingBody.completed(pieces), length, maxHeuristicMillis, negativeTtlMillis);
    }

    /**
     * The fields of an entry's head, as stored. {@code sharedBody}: the digest its body is stored under
     * ({@link DigestBodies}), or "" when the file holds the body.
     */
    private record Head(String key, String primary, int status, long requestTime, long responseTime, List<String> vary,
            HttpHeaders headers, long slicedLength, String sharedBody) {

        static Head read(DataInputStream in) throws IOException {
            String key = readString(in);
            String primary = readString(in);
            int status = in.readInt();
            long requestTime = in.readLong();
            long responseTime = in.readLong();
            List<String> vary = readStrings(in);
            HttpHeaders headers = readFields(in);
            long slicedLength = in.readLong();
            String sharedBody = readString(in);
            return new Head(key, primary, status, requestTime, responseTime, vary, headers, slicedLength, sharedBody);
        }

        /** The entry with {@code body} ({@code length} bytes in the file): a head only when its body is shared. */
        CacheEntry entry(GrowingBody body, long length, long maxHeuristicMillis, long negativeTtlMillis)
                throws IOException {
            CacheControl cc = CacheControl.parse(headers);
            long lifetime = CachePolicy.freshnessLifetime(status, headers, cc, responseTime, maxHeuristicMillis,
                    negativeTtlMillis);
            CacheEntry entry = new CacheEntry(primary, key, HttpResponseStatus.valueOf(status), headers, vary,
                    requestTime, responseTime, lifetime, body, slicedLength);
            if (sharedBody.isEmpty()) {
                return entry;
            }
            if (length != 0) {
                throw new IOException("a head whose body is stored by digest holds " + length + " body bytes");
            }
            return entry.headOnly(sharedBody);
        }
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

    private static HttpHeaders readFields(DataInputStream in) throws IOException {
        int fields = in.readInt();
        if (fields < 0 || fields > 10_000) {
            throw new IOException("bad field count " + fields);
        }
        HttpHeaders headers = new DefaultHttpHeaders();
        for (int i = 0; i < fields; i++) {
            headers.add(readString(in), readString(in));
        }
        return headers;
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
