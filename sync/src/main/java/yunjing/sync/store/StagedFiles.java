package yunjing.sync.store;

import yunjing.sync.chunk.Chunk;
import yunjing.sync.chunk.FastCdc;
import yunjing.sync.concurrent.Parallel;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The files of a revision being published: each copied into the staging directory, fsynced and
 * indexed (size, SHA-256, content-defined chunks with their hashes), several files at once, one
 * per core. Chunking and hashing run at a few hundred MB/s per core, so the shards of a model
 * publish about as many times faster as there are cores and shards.
 */
final class StagedFiles {

    private StagedFiles() {
    }

    /**
     * Copies {@code files} (under {@code source}) to the same relative paths under {@code staging}
     * and returns their manifest entries in the order of {@code files}, one file per core at a time
     * ({@link Parallel#map}: after a failure no file starts, and the first failure is thrown).
     */
    static List<Manifest.Entry> copyAndIndex(Path source, List<Path> files, Path staging) throws IOException {
        List<Parallel.Task<Manifest.Entry>> tasks = files.stream()
                .<Parallel.Task<Manifest.Entry>>map(file -> () -> copyAndIndex(source, file, staging)).toList();
        return Parallel.map(tasks, Runtime.getRuntime().availableProcessors(), "publish-index");
    }

    private static Manifest.Entry copyAndIndex(Path source, Path file, Path staging) throws IOException {
        String relative = source.relativize(file).toString().replace('\\', '/');
        Manifest.checkPath(relative);
        Path target = staging.resolve(relative);
        Files.createDirectories(target.getParent());
        Files.copy(file, target, StandardCopyOption.COPY_ATTRIBUTES);
        try (FileChannel channel = FileChannel.open(target, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        return index(relative, target);
    }

    /** Size, SHA-256 and chunks of {@code file}, read once. */
    static Manifest.Entry index(String path, Path file) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
        List<Chunk> chunks;
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha)) {
            chunks = FastCdc.chunks(in);
        }
        long size = chunks.isEmpty() ? 0 : chunks.getLast().end();
        return new Manifest.Entry(path, size, HexFormat.of().formatHex(sha.digest()), chunks);
    }
}
