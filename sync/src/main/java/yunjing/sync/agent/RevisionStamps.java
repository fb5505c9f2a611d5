package yunjing.sync.agent;

import yunjing.sync.store.Manifest;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The size and mtime of each file of a revision at the moment the agent verified and activated
 * it, one line per file: {@code SIZE MTIME_NANOS PATH}. A file that still has both is taken to
 * hold the bytes the manifest lists, so the next sync copies its chunks without re-reading and
 * re-hashing them (the new file's whole SHA-256 is still checked). Anything that rewrites a file
 * changes its mtime unless it sets it back on purpose; even then the whole-file check catches it.
 *
 * <p>Stateless; the caller serializes writes per revision (one sync at a time per store).
 */
final class RevisionStamps {

    private RevisionStamps() {
    }

    /** Records the current size and mtime of every file of {@code manifest} under {@code directory}. */
    static void write(Path stampFile, Path directory, Manifest manifest) throws IOException {
        StringBuilder lines = new StringBuilder();
        for (Manifest.Entry e : manifest.entries()) {
            BasicFileAttributes a = Files.readAttributes(directory.resolve(e.path()), BasicFileAttributes.class);
            lines.append(a.size()).append(' ').append(a.lastModifiedTime().to(TimeUnit.NANOSECONDS)).append(' ')
                    .append(e.path()).append('\n');
        }
        Files.createDirectories(stampFile.getParent());
        Path temp = stampFile.resolveSibling(stampFile.getFileName() + ".tmp");
        Files.writeString(temp, lines, StandardCharsets.UTF_8);
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        Files.move(temp, stampFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The paths of {@code manifest} whose files under {@code directory} still match their stamp; empty without a stamp file. */
    static Set<String> unchanged(Path stampFile, Path directory, Manifest manifest) throws IOException {
        if (!Files.isRegularFile(stampFile)) {
            return Set.of();
        }
        Map<String, String> stamped = new HashMap<>();
        for (String line : Files.readAllLines(stampFile, StandardCharsets.UTF_8)) {
            String[] f = line.split(" ", 3);
            if (f.length == 3) {
                stamped.put(f[2], f[0] + " " + f[1]);
            }
        }
        Set<String> unchanged = new HashSet<>();
        for (Manifest.Entry e : manifest.entries()) {
            Path file = directory.resolve(e.path());
            if (!Files.isRegularFile(file)) {
                continue;
            }
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            String now = a.size() + " " + a.lastModifiedTime().to(TimeUnit.NANOSECONDS);
            if (a.size() == e.size() && now.equals(stamped.get(e.path()))) {
                unchanged.add(e.path());
            }
        }
        return unchanged;
    }
}
