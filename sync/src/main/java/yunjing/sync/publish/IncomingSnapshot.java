package yunjing.sync.publish;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Path, size and mtime of every file of one incoming repository directory: what "stable" is
 * judged on. Files still being written by common tools are left out, since they are renamed
 * into place when done: names starting with {@code .} and ending in {@code .tmp}, {@code .part},
 * {@code .partial} or {@code .incomplete}.
 */
record IncomingSnapshot(Map<String, Stamp> files) {

    record Stamp(long size, long modifiedNanos) {
    }

    static final IncomingSnapshot EMPTY = new IncomingSnapshot(Map.of());

    IncomingSnapshot {
        files = Map.copyOf(files);
    }

    boolean isEmpty() {
        return files.isEmpty();
    }

    static IncomingSnapshot of(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return EMPTY;
        }
        Map<String, Stamp> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.forEach(p -> {
                if (inProgress(dir, p)) {
                    return;
                }
                try {
                    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                    if (a.isRegularFile()) {
                        long nanos = a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS);
                        files.put(dir.relativize(p).toString().replace('\\', '/'), new Stamp(a.size(), nanos));
                    }
                } catch (NoSuchFileException gone) {
                    // Removed or renamed while we walked: the next scan sees the new state.
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return new IncomingSnapshot(files);
    }

    /** A temporary name anywhere on the way from {@code dir} down (a hidden directory hides its files too). */
    private static boolean inProgress(Path dir, Path p) {
        for (Path part : dir.relativize(p)) {
            if (!part.toString().isEmpty() && isInProgress(part.toString())) {
                return true;
            }
        }
        return false;
    }

    static boolean isInProgress(String name) {
        return name.startsWith(".") || name.endsWith(".tmp") || name.endsWith(".part")
                || name.endsWith(".partial") || name.endsWith(".incomplete");
    }
}
