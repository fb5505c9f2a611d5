package yunjing.sync.agent;

import yunjing.sync.chunk.Chunk;
import yunjing.sync.chunk.FastCdc;
import yunjing.sync.store.Manifest;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Index of chunks available on this node, by SHA-256: where each can be read locally. Built from
 * the previous revision's manifest (its chunk lists, cut with the same {@link FastCdc}) and by
 * chunking any other local file. Entries are hints: {@link #read} re-hashes what it reads, so a
 * local file changed or damaged since indexing costs a fetch, never a wrong byte.
 *
 * <p>Confined to the syncing thread.
 */
final class LocalChunks {

    private record Location(Path file, long offset, int length) {
    }

    private final Map<String, Location> bySha = new HashMap<>();

    /** Adds the chunks a manifest lists for the files of {@code directory}, without reading them. */
    void addRevision(Path directory, Manifest manifest) throws IOException {
        for (Manifest.Entry entry : manifest.entries()) {
            Path file = directory.resolve(entry.path());
            if (entry.chunks().isEmpty()) {
                addFile(file);
            } else if (Files.isRegularFile(file)) {
                for (Chunk c : entry.chunks()) {
                    bySha.putIfAbsent(c.sha256(), new Location(file, c.offset(), c.length()));
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
            FastCdc.chunk(in, c -> bySha.putIfAbsent(c.sha256(), new Location(file, c.offset(), c.length())));
        } catch (NoSuchFileException e) {
            // Gone since the listing: nothing to reuse from it.
        }
    }

    int size() {
        return bySha.size();
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
        try (FileChannel channel = FileChannel.open(at.file(), StandardOpenOption.READ)) {
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
}
