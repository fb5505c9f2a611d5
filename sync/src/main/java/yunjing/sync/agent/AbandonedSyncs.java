package yunjing.sync.agent;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Removes what interrupted syncs left in a store's {@code tmp/}: {@code agent-{revision}/} (the staged
 * files) and {@code agent-{revision}.parts/} (part files and their resume logs) of revisions that no
 * sync has touched for {@link #MAX_IDLE}. They are what a restart resumes from, so a sync that is
 * interrupted and tried again within that time keeps its verified chunks; a revision that is never
 * synced again (a newer one came first) would otherwise hold its partial copy forever.
 *
 * <p>Idle means: no file inside changed for that long (a sync in progress writes its part files and
 * resume logs continuously), so a sync of another repository running beside this one is never
 * disturbed. The revision being synced now is kept whatever its age.
 */
final class AbandonedSyncs {

    static final Duration MAX_IDLE = Duration.ofHours(24);
    private static final String PREFIX = "agent-";
    private static final String PARTS = ".parts";

    private AbandonedSyncs() {
    }

    /**
     * Deletes the idle leftovers in {@code tmp} except those of {@code keepRevision}; a failure to
     * delete one is skipped (tried again at the next sync).
     *
     * @return how many leftover directories were removed
     */
    static int sweep(Path tmp, String keepRevision, Duration maxIdle, Clock clock) throws IOException {
        Instant cutoff = clock.instant().minus(maxIdle);
        int removed = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(tmp, PREFIX + "*")) {
            for (Path dir : entries) {
                String name = dir.getFileName().toString();
                String revision = name.substring(PREFIX.length(), name.endsWith(PARTS) ? name.length() - PARTS.length()
                        : name.length());
                if (revision.equals(keepRevision) || !Files.isDirectory(dir)) {
                    continue;
                }
                try {
                    if (lastModified(dir).isBefore(cutoff)) {
                        DeltaAgent.deleteRecursively(dir);
                        removed++;
                    }
                } catch (IOException e) {
                    // Gone meanwhile, or unreadable: leave it to the next sweep.
                }
            }
        }
        return removed;
    }

    /** The newest modification time of the directory and anything in it. */
    private static Instant lastModified(Path dir) throws IOException {
        AtomicReference<FileTime> newest = new AtomicReference<>(Files.getLastModifiedTime(dir));
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (attrs.lastModifiedTime().compareTo(newest.get()) > 0) {
                    newest.set(attrs.lastModifiedTime());
                }
                return FileVisitResult.CONTINUE;
            }
        });
        return newest.get().toInstant();
    }
}
