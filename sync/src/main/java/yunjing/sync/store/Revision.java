package yunjing.sync.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** One immutable revision of a repository in the {@link ArtifactStore}. */
public record Revision(String repo, String id, Path directory, Manifest manifest) {

    /**
     * Checks that every file the manifest lists is present with its recorded size and, when
     * {@code hashes} is true, its SHA-256. Returns one line per problem; empty means intact.
     */
    public List<String> verify(boolean hashes) throws IOException {
        List<String> problems = new ArrayList<>();
        for (Manifest.Entry entry : manifest.entries()) {
            Path file = directory.resolve(entry.path());
            if (!Files.isRegularFile(file)) {
                problems.add(file + ": missing");
            } else if (Files.size(file) != entry.size()) {
                problems.add(file + ": size " + Files.size(file) + " (expected: " + entry.size() + ")");
            } else if (hashes && !Digests.sha256(file).equals(entry.sha256())) {
                problems.add(file + ": sha256 mismatch");
            }
        }
        return problems;
    }
}
