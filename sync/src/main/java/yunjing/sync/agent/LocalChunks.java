package yunjing.sync.agent;

import yunjing.sync.chunk.Chunk;
import yunjing.sync.chunk.FastCdc;
import yunjing.sync.store.Manifest;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Index of chunks available on this node, by SHA-256: where each can be read locally. Built from
 * the previous revision's manifest (its chunk lists, cut with the same {@link FastCdc}) and by
 * chunking any other local file.
 *
 * <p>Most entries are hints: {@link #read} re-hashes what it reads, so a local file changed or
 * damaged since indexing costs a fetch, never a wrong byte. Entries of files named trusted (a
 * revision this agent activated, whose files still have the size and mtime recorded then, see
 * {@link RevisionStamps}) are copied without being read or hashed here: the whole-file SHA-256
 * of the assembled file still covers them, and a mismatch there makes the assembler start over
 * with {@link #distrust()}.
 *
 * <p>Built on the syncing thread; then read by every file being assembled at once (the maps are
 * concurrent). Keeps the local files open until {@link #close}.
 */
final class LocalChunks implements AutoCloseable {

    /** Where a chunk lies locally; {@code trusted} when it may be copied without a hash of its own. */
    record Location(Path file, long offset, int length, boolean trusted) {
    }

    private final Map<String, Location> bySha = new ConcurrentHashMap<>();
    private final Map<Path, FileChannel> open = new ConcurrentHashMap<>();

    /** Adds the chunks a manifest lists for the files of {@code directory}, without reading them. */
    void addRevision(Path directory, Manifest manifest) throws IOException {
        addRevision(directory, manifest, Set.of());
    }

    /** As above; the chunks of files whose paths are in {@code trustedPaths} may be copied without a hash of their own. */
    void addRevision(Path directory, Manifest manifest, Set<String> trustedPaths) throws IOException {
        for (Manifest.Entry entry : manifest.entries()) {
            Path file = directory.resolve(entry.path());
            if (entry.chunks().isEmpty()) {
                addFile(file);
            } else if (Files.isRegularFile(file)) {
                boolean trusted = trustedPaths.contains(entry.path());
                for (Chunk c : entry.chunks()) {
                    Location at = new Location(file, c.offset(), c.length(), trusted);
                    // A trusted location beats an unverified one for the same content.
                    bySha.merge(c.sha256(), at, (old, added) -> !old.trusted() && added.trusted() ? added : old);
                }
            }
        }
    }

    /** Chunks every regular file under {@code directory} (manifest files excluded). */
    void addDirectory(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(directory)) {
            for (Path file : (Iterable<Path>) walk.filter(Files::isRegularFile)
                    .filter(p -> !p.getFileName().toString().equals(Manifest.FILE_NAME))::iterator) {
                addFile(file);
            }
        }
    }

    private void addFile(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return;
        }
        try (InputStream in = Files.newInputStream(file)) {
            FastCdc.chunk(in, c -> bySha.putIfAbsent(c.sha256(), new Location(file, c.offset(), c.length(), false)));
        } catch (NoSuchFileException e) {
            // Gone since the listing: nothing to reuse from it.
        }
    }

    int size() {
        return bySha.size();
    }

    /** True if some chunk may be copied without a hash of their own. */
    boolean hasTrusted() {
        return bySha.values().stream().anyMatch(Location::trusted);
    }

    /** Forgets every trust: from now on each chunk is read and re-hashed. */
    void distrust() {
        bySha.replaceAll((sha, at) -> at.trusted() ? new Location(at.file(), at.offset(), at.length(), false) : at);
    }

    /** The trusted location of {@code chunk}, or null when it has none (absent, or only a hint). */
    Location trusted(Chunk chunk) {
        Location at = bySha.get(chunk.sha256());
        return at != null && at.trusted() && at.length() == chunk.length() ? at : null;
    }

    /**
     * Reads the local bytes of {@code chunk} into {@code buf} (cleared, then flipped) and returns
     * true if they are present and hash to {@code chunk.sha256()}.
     */
    boolean read(Chunk chunk, ByteBuffer buf, ChunkHasher hasher) {
        Location at = bySha.get(chunk.sha256());
        if (at == null || at.length() != chunk.length()) {
            return false;
        }
        buf.clear().limit(chunk.length());
        try {
            FileChannel channel = channel(at.file());
            long position = at.offset();
            while (buf.hasRemaining()) {
                if (channel.read(buf, position + buf.position()) < 0) {
                    return false;
                }
            }
        } catch (IOException e) {
            return false;
        }
        buf.flip();
        return hasher.matches(buf, chunk.sha256());
    }

    /** The open channel of a local file; opened once per sync rather than once per chunk. */
    FileChannel channel(Path file) throws IOException {
        try {
            return open.computeIfAbsent(file, f -> {
                try {
                    return FileChannel.open(f, StandardOpenOption.READ);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    @Override
    public void close() {
        for (FileChannel channel : open.values()) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // Read-only: nothing is lost.
            }
        }
        open.clear();
    }
}
