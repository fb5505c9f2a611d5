package yunjing.proxy.cache;

import java.io.DataInputStream;
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

/**
 * L2: complete entries on disk, bounded in bytes, surviving restarts.
 *
 * <h2>Files</h2>
 * One file per entry, named by the SHA-256 of its key, in the format of {@link EntryFile} (a head, the body,
 * a CRC32C); a head whose body is stored by digest ({@link DigestBodies}) has no body bytes, its body being
 * the file of the digest's body entry. Files of other formats (an older {@code YJC2} included) are dropped
 * at start. An entry is written to a temporary file, forced to the
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
    private static final String SUFFIX = ".entry";

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
            if (magic == EntryFile.OLD_MAGIC) {
                deleteQuietly(file);
                return false;
            }
            if (magic != EntryFile.MAGIC) {
                throw new IOException("bad magic");
            }
            EntryFile.Head head = EntryFile.readHead(data);
            String key = head.key();
            String primary = head.primary();
            List<String> vary = head.vary();
            String digest = Digests.sha256(head.headers());
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
                CacheEntry entry = EntryFile.decode(Files.readAllBytes(stored.file()), maxHeuristicMillis, negativeTtlMillis);
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
                EntryFile.verifyChecksum(channel, size, verifyBuffer);
                stored.verified().set(stamp);
            }
            EntryFile.Layout file = EntryFile.layout(channel, size);
            if (!file.head().key().equals(key)) {
                throw new IOException("entry holds another key");
            }
            stored.lastUsed().set(clock.incrementAndGet());
            CacheEntry entry = file.head().entry(GrowingBody.completed(List.of()), file.bodyLength(), maxHeuristicMillis,
                    negativeTtlMillis);
            DiskBody body = new DiskBody(entry, channel, file.bodyOffset(), file.bodyLength(), openFiles);
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
                    size = EntryFile.encode(entry, channel);
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
