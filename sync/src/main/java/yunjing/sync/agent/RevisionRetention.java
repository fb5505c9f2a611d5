package yunjing.sync.agent;

import yunjing.sync.store.ArtifactStore;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Keeps a replica's disk bounded: after a revision is activated, only the {@code keep} most
 * recently activated revisions of the repository stay (the active one among them), plus any a ref
 * still names; older ones are deleted ({@link ArtifactStore#deleteRevision}), with the stamps the
 * agent kept for them. Files a kept revision shares by hard link stay. A revision deleted here and
 * wanted again later (a rollback past the kept ones) is fetched again, through the caches, reusing
 * whatever chunks the kept revisions have.
 */
final class RevisionRetention {

    private static final System.Logger LOG = System.getLogger(RevisionRetention.class.getName());

    private RevisionRetention() {
    }

    /** Prunes {@code repo} down to {@code keep} revisions (0: keeps everything); returns the ids deleted. */
    static List<String> prune(ArtifactStore store, String repo, int keep, Path stampDirectory) throws IOException {
        if (keep <= 0) {
            return List.of();
        }
        ArtifactStore.Pruned pruned = store.pruneRevisions(repo, keep, Set.of());
        List<String> deleted = pruned.deleted();
        removeOrphanStamps(stampDirectory, new HashSet<>(pruned.kept()));
        if (!deleted.isEmpty()) {
            LOG.log(System.Logger.Level.INFO, () -> "sync " + repo + ": deleted " + deleted.size()
                    + " old revision(s), keeping the newest " + keep + ": " + deleted);
        }
        return deleted;
    }

    /** Stamps of revisions no longer in the store: deleted here or by hand. */
    private static void removeOrphanStamps(Path stampDirectory, Set<String> present) throws IOException {
        if (!Files.isDirectory(stampDirectory)) {
            return;
        }
        try (DirectoryStream<Path> stamps = Files.newDirectoryStream(stampDirectory, Files::isRegularFile)) {
            for (Path stamp : stamps) {
                String id = stamp.getFileName().toString();
                if (ArtifactStore.isRevisionId(id) && !present.contains(id)) {
                    Files.deleteIfExists(stamp);
                }
            }
        }
    }
}
