package yunjing.sync.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The origin's artifact store: immutable, content-addressed revisions of model repositories
 * plus movable refs, laid out like a Hugging Face hub so that sync can later serve and
 * replicate it.
 *
 * <pre>
 * root/repos/{owner}/{name}/revisions/{revision}/...files + .yunjing-manifest.json
 * root/repos/{owner}/{name}/refs/{ref}        (one line: the revision id)
 * root/tmp/                                   (staging; same file system, so renames are atomic)
 * </pre>
 *
 * <p>Crash safety: a revision is staged under {@code tmp/}, every file fsynced, then renamed
 * into place in one step; a ref is replaced by write-temp, fsync, rename. A crash therefore
 * leaves either the old state or the new one, never a half revision that {@link #resolve}
 * would return.
 *
 * <p>The revision id is the SHA-256 of the canonical manifest cut to 40 hex digits (the length
 * of a git commit id, which Hugging Face clients expect in {@code X-Repo-Commit}), so the same
 * files always publish to the same revision.
 */
public final class ArtifactStore {

    private static final Pattern REPO = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern REF = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern REVISION = Pattern.compile("[0-9a-f]{40}");

    private final Path root;

    public ArtifactStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    /**
     * Publishes every regular file under {@code source} as a new revision of {@code repo} and
     * points {@code ref} at it. Publishing identical content again returns the existing revision.
     */
    public Revision publish(String repo, String ref, Path source) throws IOException {
        checkRepo(repo);
        checkRef(ref);
        if (!Files.isDirectory(source)) {
            throw new NoSuchFileException(source.toString(), null, "not a directory");
        }
        Path tmp = Files.createDirectories(root.resolve("tmp"));
        Path staging = tmp.resolve("publish-" + UUID.randomUUID());
        try {
            Files.createDirectories(staging);
            List<Path> files = regularFilesUnder(source);
            if (files.isEmpty()) {
                throw new IOException(source + ": no files to publish");
            }
            List<Manifest.Entry> entries = new ArrayList<>();
            for (Path file : files) {
                String relative = source.relativize(file).toString().replace('\\', '/');
                Path target = staging.resolve(relative);
                Files.createDirectories(target.getParent());
                Files.copy(file, target, StandardCopyOption.COPY_ATTRIBUTES);
                fsync(target);
                entries.add(new Manifest.Entry(relative, Files.size(target), Digests.sha256(target)));
            }
            Manifest manifest = new Manifest(repo, entries);
            String revision = manifest.revisionId();
            Files.writeString(staging.resolve(Manifest.FILE_NAME), manifest.toJson(revision));
            fsync(staging.resolve(Manifest.FILE_NAME));

            Path revisionDir = revisionsDir(repo).resolve(revision);
            if (!Files.isDirectory(revisionDir)) {
                Files.createDirectories(revisionDir.getParent());
                moveAtomically(staging, revisionDir);
            }
            setRef(repo, ref, revision);
            return resolve(repo, revision);
        } finally {
            deleteRecursively(staging);
        }
    }

    /** The revision {@code refOrRevision} names: a ref such as {@code main}, or a 40-hex revision id. */
    public Revision resolve(String repo, String refOrRevision) throws IOException {
        checkRepo(repo);
        String revision = refOrRevision;
        if (!REVISION.matcher(refOrRevision).matches()) {
            checkRef(refOrRevision);
            Path refFile = repoDir(repo).resolve("refs").resolve(refOrRevision);
            if (!Files.isRegularFile(refFile)) {
                throw new NoSuchFileException(refFile.toString(), null,
                        "repository '" + repo + "' has no ref '" + refOrRevision + "' in " + root);
            }
            revision = Files.readString(refFile, StandardCharsets.US_ASCII).strip();
        }
        Path dir = revisionsDir(repo).resolve(revision);
        Path manifestFile = dir.resolve(Manifest.FILE_NAME);
        if (!Files.isRegularFile(manifestFile)) {
            throw new NoSuchFileException(dir.toString(), null,
                    "repository '" + repo + "' has no revision '" + revision + "'");
        }
        return new Revision(repo, revision, dir, Manifest.parse(manifestFile));
    }

    /** True when {@code repo} has {@code ref}. */
    public boolean hasRef(String repo, String ref) {
        checkRepo(repo);
        checkRef(ref);
        return Files.isRegularFile(repoDir(repo).resolve("refs").resolve(ref));
    }

    private void setRef(String repo, String ref, String revision) throws IOException {
        Path refs = Files.createDirectories(repoDir(repo).resolve("refs"));
        Path temp = refs.resolve("." + ref + "." + UUID.randomUUID() + ".tmp");
        try {
            Files.writeString(temp, revision + "\n", StandardCharsets.US_ASCII);
            fsync(temp);
            moveAtomically(temp, refs.resolve(ref));
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private Path repoDir(String repo) {
        return root.resolve("repos").resolve(repo);
    }

    private Path revisionsDir(String repo) {
        return repoDir(repo).resolve("revisions");
    }

    private static void checkRepo(String repo) {
        if (repo == null || !REPO.matcher(repo).matches() || repo.contains("..")) {
            throw new IllegalArgumentException("repo: " + repo + " (expected: owner/name, e.g. yunjing/tiny-llama)");
        }
    }

    private static void checkRef(String ref) {
        if (ref == null || !REF.matcher(ref).matches() || ref.contains("..")) {
            throw new IllegalArgumentException("ref: " + ref + " (expected: a name such as main)");
        }
    }

    private static List<Path> regularFilesUnder(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile)
                    .filter(p -> !p.getFileName().toString().equals(Manifest.FILE_NAME))
                    .sorted(Comparator.comparing(p -> dir.relativize(p).toString()))
                    .toList();
        }
    }

    private static void fsync(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
    }

    private static void moveAtomically(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot rename " + from + " to " + to + " atomically: the store must be on one file system", e);
        }
    }

    private static void deleteRecursively(Path path) {
        if (!Files.exists(path)) {
            return;
        }
        try {
            if (Files.isDirectory(path)) {
                try (DirectoryStream<Path> children = Files.newDirectoryStream(path)) {
                    for (Path child : children) {
                        deleteRecursively(child);
                    }
                }
            }
            Files.deleteIfExists(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
