package yunjing.sync.store;

import yunjing.sync.chunk.Chunk;
import yunjing.sync.chunk.FastCdc;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

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
     * and returns their manifest entries in the order of {@code files}. The first failure is thrown
     * once every file in progress has stopped.
     */
    static List<Manifest.Entry> copyAndIndex(Path source, List<Path> files, Path staging) throws IOException {
        int threads = Math.min(files.size(), Runtime.getRuntime().availableProcessors());
        if (threads <= 1) {
            List<Manifest.Entry> entries = new ArrayList<>(files.size());
            for (Path file : files) {
                entries.add(copyAndIndex(source, file, staging));
            }
            return entries;
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> Thread.ofPlatform().daemon().name("publish-index").unstarted(r));
        try {
            List<Future<Manifest.Entry>> futures = new ArrayList<>(files.size());
            for (Path file : files) {
                futures.add(pool.submit(() -> copyAndIndex(source, file, staging)));
            }
            List<Manifest.Entry> entries = new ArrayList<>(files.size());
            IOException failure = null;
            for (Future<Manifest.Entry> f : futures) {
                try {
                    entries.add(f.get());
                } catch (ExecutionException e) {
                    if (failure == null) {
                        failure = e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
                        futures.forEach(other -> other.cancel(false)); // files not started yet are not needed
                    }
                } catch (java.util.concurrent.CancellationException skipped) {
                    // Cancelled after the first failure.
                }
            }
            if (failure != null) {
                throw failure;
            }
            return entries;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while indexing " + source);
        } finally {
            pool.shutdownNow();
        }
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
