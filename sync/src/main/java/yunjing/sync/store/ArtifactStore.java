package yunjing.sync.store;

import yunjing.sync.sign.ManifestSigner;

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
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
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
 * root/repos/{owner}/{name}/version           (one line: the last manifest version issued)
 * root/tmp/                                   (staging; same file system, so renames are atomic)
 * </pre>
 *
 * <p>Every publish issues the next manifest {@code version} of the repository (monotonic, never
 * reused), stamps {@code expires = now + validity} and, when the store has a
 * {@link ManifestSigner}, signs the manifest. Re-publishing files that already form a revision
 * keeps the revision id and replaces only that revision's manifest (newer version, later expiry),
 * atomically. Publishing is serialized per store object; one publisher process per store.
 *
 * <p>Replicas use the same layout: an agent stages a revision under {@link #tmpDirectory()} and
 * hands it to {@link #activate}, which moves it into place and then moves the ref.
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

    /** How long a published manifest stays valid unless configured otherwise. */
    public static final Duration DEFAULT_VALIDITY = Duration.ofDays(30);

    private final Path root;
    private final ManifestSigner signer;
    private final Duration validity;
    private final Clock clock;

    /** A store whose manifests are unsigned (fine locally; replicas refuse them), valid 30 days. */
    public ArtifactStore(Path root) {
        this(root, null, DEFAULT_VALIDITY, Clock.systemUTC());
    }

    private ArtifactStore(Path root, ManifestSigner signer, Duration validity, Clock clock) {
        this.root = root.toAbsolutePath().normalize();
        this.signer = signer;
        this.validity = validity;
        this.clock = clock;
    }

    public static Builder builder(Path root) {
        return new Builder(root);
    }

    /** Immutable store configuration, built once. */
    public static final class Builder {
        private final Path root;
        private ManifestSigner signer;
        private Duration validity = DEFAULT_VALIDITY;
        private Clock clock = Clock.systemUTC();

        private Builder(Path root) {
            this.root = root;
        }

        /** Signs every manifest published from now on. */
        public Builder signer(ManifestSigner signer) {
            this.signer = signer;
            return this;
        }

        /** How long after publication a manifest expires. */
        public Builder validity(Duration validity) {
            if (validity.isNegative() || validity.isZero()) {
                throw new IllegalArgumentException("validity: " + validity + " (expected: > 0)");
            }
            this.validity = validity;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        public ArtifactStore build() {
            return new ArtifactStore(root, signer, validity, clock);
        }
    }

    public Path root() {
        return root;
    }

    /**
     * Publishes every regular file under {@code source} as a new revision of {@code repo} and
     * points {@code ref} at it. Publishing identical content again returns the existing revision.
     */
    public Revision publish(String repo, String ref, Path source) throws IOException {
        return publish(repo, ref, source, path -> true);
    }

    /**
     * As {@link #publish(String, String, Path)}, with only the files whose path relative to
     * {@code source} ({@code /}-separated) {@code include} accepts, e.g. to leave out files still
     * being written under a temporary name.
     */
    public Revision publish(String repo, String ref, Path source, java.util.function.Predicate<String> include)
            throws IOException {
        checkRepo(repo);
        checkRef(ref);
        if (!Files.isDirectory(source)) {
            throw new NoSuchFileException(source.toString(), null, "not a directory");
        }
        Path tmp = Files.createDirectories(root.resolve("tmp"));
        Path staging = tmp.resolve("publish-" + UUID.randomUUID());
        try {
            Files.createDirectories(staging);
            List<Path> files = regularFilesUnder(source).stream()
                    .filter(f -> include.test(source.relativize(f).toString().replace('\\', '/')))
                    .toList();
            if (files.isEmpty()) {
                throw new IOException(source + ": no files to publish");
            }
            List<Manifest.Entry> entries = StagedFiles.copyAndIndex(source, files, staging);
            Manifest unversioned = new Manifest(repo, entries);
            String revision = unversioned.revision();
            synchronized (this) {
                long version = nextVersion(repo);
                Instant now = clock.instant();
                Manifest manifest = unversioned.withPublication(version, now, now.plus(validity));
                byte[] json = signer == null ? manifest.toJson() : signer.sign(manifest.toTree());
                Path revisionDir = revisionsDir(repo).resolve(revision);
                if (!Files.isDirectory(revisionDir)) {
                    writeSynced(staging.resolve(Manifest.FILE_NAME), json);
                    Files.createDirectories(revisionDir.getParent());
                    moveAtomically(staging, revisionDir);
                } else {
                    Path manifestTemp = tmp.resolve("manifest-" + UUID.randomUUID());
                    writeSynced(manifestTemp, json);
                    moveAtomically(manifestTemp, revisionDir.resolve(Manifest.FILE_NAME));
                }
                writeRef(repo, ref, revision);
            }
            return resolve(repo, revision);
        } finally {
            deleteRecursively(staging);
        }
    }

    /**
     * The revision id {@code refOrRevision} names without reading its manifest: a 40-hex id is
     * returned as is, a ref is read from its ref file. Cheap enough to call per request.
     */
    public String revisionId(String repo, String refOrRevision) throws IOException {
        checkRepo(repo);
        if (REVISION.matcher(refOrRevision).matches()) {
            return refOrRevision;
        }
        checkRef(refOrRevision);
        Path refFile = repoDir(repo).resolve("refs").resolve(refOrRevision);
        if (!Files.isRegularFile(refFile)) {
            throw new NoSuchFileException(refFile.toString(), null,
                    "repository '" + repo + "' has no ref '" + refOrRevision + "' in " + root);
        }
        return Files.readString(refFile, StandardCharsets.US_ASCII).strip();
    }

    /** True when {@code repo} is a well-formed name and the store holds any revision or ref of it. */
    public boolean hasRepo(String repo) {
        return isRepoName(repo) && Files.isDirectory(repoDir(repo));
    }

    /** True when {@code text} has the form of a repository name ({@code owner/name}), safe as a path. */
    public static boolean isRepoName(String text) {
        return text != null && REPO.matcher(text).matches() && !text.contains("..");
    }

    /**
     * True when the store holds revision {@code id} of {@code repo}, activated whole (its manifest is
     * written last). One {@code stat}.
     */
    public boolean hasRevision(String repo, String id) {
        return isRepoName(repo) && isRevisionId(id) && Files.isRegularFile(revisionsDir(repo).resolve(id).resolve(Manifest.FILE_NAME));
    }

    /** True when {@code text} has the form of a revision id (40 lower-case hex digits). */
    public static boolean isRevisionId(String text) {
        return text != null && REVISION.matcher(text).matches();
    }

    /** The revision {@code refOrRevision} names: a ref such as {@code main}, or a 40-hex revision id. */
    public Revision resolve(String repo, String refOrRevision) throws IOException {
        String revision = revisionId(repo, refOrRevision);
        Path dir = revisionsDir(repo).resolve(revision);
        Path manifestFile = dir.resolve(Manifest.FILE_NAME);
        if (!Files.isRegularFile(manifestFile)) {
            throw new NoSuchFileException(dir.toString(), null,
                    "repository '" + repo + "' has no revision '" + revision + "'");
        }
        return new Revision(repo, revision, dir, Manifest.parse(manifestFile));
    }

    /**
     * The staging folder on the store's file system, created if absent. Directories staged here
     * can be {@linkplain #activate activated} with atomic renames.
     */
    public Path tmpDirectory() throws IOException {
        return Files.createDirectories(root.resolve("tmp"));
    }

    /**
     * Moves {@code staged} (a directory under {@link #tmpDirectory()} holding every file its
     * {@link Manifest#FILE_NAME} lists, written and fsynced by the caller, who has verified the
     * hashes) into the store as its revision and then points {@code ref} at it. If the revision
     * is already present only a newer manifest replaces the old one, and {@code staged} is
     * deleted. A crash leaves the previous ref target whole: the ref moves last.
     */
    public Revision activate(String repo, String ref, Path staged) throws IOException {
        checkRepo(repo);
        checkRef(ref);
        Path dir = staged.toAbsolutePath().normalize();
        if (!dir.getParent().equals(root.resolve("tmp"))) {
            throw new IllegalArgumentException("staged: " + staged + " (expected: a directory in " + root.resolve("tmp") + ")");
        }
        Manifest manifest = Manifest.parse(dir.resolve(Manifest.FILE_NAME));
        if (!manifest.repo().equals(repo)) {
            throw new IOException(staged + ": manifest is for repository '" + manifest.repo() + "' (expected: '" + repo + "')");
        }
        List<String> problems = new Revision(repo, manifest.revision(), dir, manifest).verify(false);
        if (!problems.isEmpty()) {
            throw new IOException(staged + ": incomplete revision: " + String.join("; ", problems));
        }
        synchronized (this) {
            Path revisionDir = revisionsDir(repo).resolve(manifest.revision());
            if (!Files.isDirectory(revisionDir)) {
                Files.createDirectories(revisionDir.getParent());
                moveAtomically(dir, revisionDir);
            } else {
                Manifest existing = Manifest.parse(revisionDir.resolve(Manifest.FILE_NAME));
                if (manifest.version() > existing.version()) {
                    moveAtomically(dir.resolve(Manifest.FILE_NAME), revisionDir.resolve(Manifest.FILE_NAME));
                }
                deleteRecursively(dir);
            }
            writeRef(repo, ref, manifest.revision());
        }
        return resolve(repo, manifest.revision());
    }

    /**
     * Re-signs an existing revision's manifest with the repository's next version and a fresh
     * expiry, leaving every ref where it is. A replica refuses a manifest older than the one it
     * accepted last, so going back to an earlier revision (rollout rollback, a pin) needs a newer
     * signed statement naming it, exactly as TUF re-signs old targets. Replaces the manifest file
     * atomically; the revision's files are untouched.
     */
    public Revision reissue(String repo, String revision) throws IOException {
        Revision existing = resolve(repo, revision);
        synchronized (this) {
            long version = nextVersion(repo);
            Manifest manifest = existing.manifest().withPublication(version, clock.instant().plus(validity));
            byte[] json = signer == null ? manifest.toJson() : signer.sign(manifest.toTree());
            Path manifestTemp = tmpDirectory().resolve("manifest-" + UUID.randomUUID());
            writeSynced(manifestTemp, json);
            moveAtomically(manifestTemp, existing.directory().resolve(Manifest.FILE_NAME));
        }
        return resolve(repo, existing.id());
    }

    /** The last manifest version issued for {@code repo}, 0 when none. */
    public long lastVersion(String repo) throws IOException {
        checkRepo(repo);
        Path file = repoDir(repo).resolve("version");
        if (!Files.isRegularFile(file)) {
            return 0;
        }
        String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IOException(file + ": '" + text + "' (expected: the last issued manifest version)", e);
        }
    }

    /** Points {@code ref} at the revision {@code refOrRevision} names, which must be present (write temp, fsync, rename). */
    public void setRef(String repo, String ref, String refOrRevision) throws IOException {
        checkRef(ref);
        writeRef(repo, ref, resolve(repo, refOrRevision).id());
    }

    /** Every repository ({@code owner/name}) that has at least one ref, sorted. */
    public List<String> repos() throws IOException {
        Path repos = root.resolve("repos");
        if (!Files.isDirectory(repos)) {
            return List.of();
        }
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> owners = Files.newDirectoryStream(repos, Files::isDirectory)) {
            for (Path owner : owners) {
                try (DirectoryStream<Path> repoDirs = Files.newDirectoryStream(owner, Files::isDirectory)) {
                    for (Path name : repoDirs) {
                        String repo = owner.getFileName() + "/" + name.getFileName();
                        if (REPO.matcher(repo).matches() && Files.isDirectory(name.resolve("refs"))) {
                            names.add(repo);
                        }
                    }
                }
            }
        }
        names.sort(null);
        return names;
    }

    /** The revision ids {@code repo}'s refs name, by ref name. */
    public Map<String, String> refs(String repo) throws IOException {
        checkRepo(repo);
        Map<String, String> refs = new TreeMap<>();
        Path dir = repoDir(repo).resolve("refs");
        if (!Files.isDirectory(dir)) {
            return refs;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, Files::isRegularFile)) {
            for (Path file : files) {
                String ref = file.getFileName().toString();
                if (REF.matcher(ref).matches()) {
                    refs.put(ref, Files.readString(file, StandardCharsets.US_ASCII).strip());
                }
            }
        }
        return refs;
    }

    /** The revisions of {@code repo} present in the store, newest activation first (directory mtime). */
    public List<String> revisions(String repo) throws IOException {
        checkRepo(repo);
        Path dir = revisionsDir(repo);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        Map<String, FileTime> activated = new HashMap<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(dir, Files::isDirectory)) {
            for (Path d : dirs) {
                String id = d.getFileName().toString();
                if (REVISION.matcher(id).matches()) {
                    activated.put(id, Files.getLastModifiedTime(d));
                }
            }
        }
        List<String> ids = new ArrayList<>(activated.keySet());
        ids.sort(Comparator.comparing(activated::get, Comparator.reverseOrder()));
        return ids;
    }

    /**
     * Removes revision {@code id} of {@code repo}, which no ref may name: renamed out of
     * {@code revisions/} first (atomic), so it is either whole or gone there, then deleted. Files it
     * shares with other revisions by hard link stay with them.
     */
    public synchronized void deleteRevision(String repo, String id) throws IOException {
        checkRepo(repo);
        if (!isRevisionId(id)) {
            throw new IllegalArgumentException("revision: " + id + " (expected: 40 hex digits)");
        }
        Map<String, String> refs = refs(repo);
        if (refs.containsValue(id)) {
            throw new IllegalArgumentException(repo + ": revision " + id + " is still named by a ref " + refs);
        }
        Path dir = revisionsDir(repo).resolve(id);
        if (!Files.isDirectory(dir)) {
            return;
        }
        Path trash = tmpDirectory().resolve("deleted-" + id + "-" + UUID.randomUUID());
        moveAtomically(dir, trash);
        try {
            deleteRecursively(trash);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /**
     * Deletes the revisions of {@code repo} past the {@code keep} newest ({@link #revisions} order), except
     * those a ref names and those in {@code alsoKeep}; {@code keep} 0 deletes nothing.
     */
    public synchronized Pruned pruneRevisions(String repo, int keep, Set<String> alsoKeep) throws IOException {
        if (keep < 0) {
            throw new IllegalArgumentException("keep: " + keep + " (expected: >= 0, 0 for all)");
        }
        List<String> newestFirst = revisions(repo);
        List<String> kept = new ArrayList<>();
        List<String> deleted = new ArrayList<>();
        Set<String> named = keep == 0 ? Set.of() : new HashSet<>(refs(repo).values());
        for (int i = 0; i < newestFirst.size(); i++) {
            String id = newestFirst.get(i);
            if (keep == 0 || i < keep || named.contains(id) || alsoKeep.contains(id)) {
                kept.add(id);
            } else {
                deleteRevision(repo, id);
                deleted.add(id);
            }
        }
        return new Pruned(kept, deleted);
    }

    /** What {@link #pruneRevisions} left (newest first) and deleted. */
    public record Pruned(List<String> kept, List<String> deleted) {
    }

    /** True when {@code repo} has {@code ref}. */
    public boolean hasRef(String repo, String ref) {
        checkRepo(repo);
        checkRef(ref);
        return Files.isRegularFile(repoDir(repo).resolve("refs").resolve(ref));
    }

    private void writeRef(String repo, String ref, String revision) throws IOException {
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

    private long nextVersion(String repo) throws IOException {
        Path file = Files.createDirectories(repoDir(repo)).resolve("version");
        long last = 0;
        if (Files.isRegularFile(file)) {
            String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
            try {
                last = Long.parseLong(text);
            } catch (NumberFormatException e) {
                throw new IOException(file + ": '" + text + "' (expected: the last issued manifest version)", e);
            }
        }
        long next = last + 1;
        Path temp = file.resolveSibling(".version." + UUID.randomUUID() + ".tmp");
        try {
            writeSynced(temp, (next + "\n").getBytes(StandardCharsets.US_ASCII));
            moveAtomically(temp, file);
        } finally {
            Files.deleteIfExists(temp);
        }
        return next;
    }

    /** Size, SHA-256 and chunks of {@code file}, read once. */
    private static void writeSynced(Path file, byte[] bytes) throws IOException {
        Files.write(file, bytes);
        fsync(file);
    }

    private Path repoDir(String repo) {
        return root.resolve("repos").resolve(repo);
    }

    private Path revisionsDir(String repo) {
        return repoDir(repo).resolve("revisions");
    }

    private static void checkRepo(String repo) {
        if (!isRepoName(repo)) {
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
        fsyncDirectory(to.getParent());
    }

    /** Makes a rename durable; best effort, since not every file system lets a directory be opened. */
    private static void fsyncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // The rename itself is atomic; only its durability across power loss is not assured here.
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
