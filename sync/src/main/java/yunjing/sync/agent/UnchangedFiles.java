package yunjing.sync.agent;

import yunjing.sync.store.Manifest;
import yunjing.sync.store.Revision;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Files of the previous revision that a new revision lists again, byte for byte (same SHA-256 and
 * size, under any path): the new revision gets a hard link to them instead of a copy, as rsync's
 * {@code --link-dest} does. A typical model update rewrites a few shards of many, so this is what
 * keeps a sync proportional to the change rather than to the repository.
 *
 * <p>Only files the agent verified when it activated them and whose size and mtime have not changed
 * since ({@link RevisionStamps}) are linked: their bytes are the ones the old manifest lists, and
 * the new manifest names the same digest. Revisions are never written after activation, so sharing
 * an inode between two of them is safe. Where links are impossible (another file system, a link
 * limit, a file system without them) the file is assembled from its chunks as before.
 */
final class UnchangedFiles {

    private static final System.Logger LOG = System.getLogger(UnchangedFiles.class.getName());

    private final Map<String, Path> bySha256AndSize;

    private UnchangedFiles(Map<String, Path> bySha256AndSize) {
        this.bySha256AndSize = bySha256AndSize;
    }

    /** The trusted files of {@code current} (null: none); {@code trustedPaths} from {@link RevisionStamps#unchanged}. */
    static UnchangedFiles of(Revision current, Set<String> trustedPaths) {
        Map<String, Path> files = new HashMap<>();
        if (current != null) {
            for (Manifest.Entry e : current.manifest().entries()) {
                if (trustedPaths.contains(e.path())) {
                    files.putIfAbsent(key(e), current.directory().resolve(e.path()));
                }
            }
        }
        return new UnchangedFiles(files);
    }

    private static String key(Manifest.Entry e) {
        return e.sha256() + " " + e.size();
    }

    /**
     * Makes {@code target} a hard link to the previous revision's copy of {@code entry}; true when
     * it is one now (also when an interrupted sync linked it already), false when there is no such
     * copy or the link cannot be made, and the caller must assemble the file.
     */
    boolean link(Manifest.Entry entry, Path target) throws IOException {
        Path source = bySha256AndSize.get(key(entry));
        if (source == null) {
            return false;
        }
        if (Files.exists(target)) {
            return Files.isSameFile(source, target);
        }
        Files.createDirectories(target.getParent());
        try {
            Files.createLink(target, source);
            return true;
        } catch (UnsupportedOperationException | FileSystemException e) {
            LOG.log(System.Logger.Level.DEBUG, () -> "no hard link " + target + " -> " + source + " (" + e + "): copying");
            return false;
        }
    }
}
