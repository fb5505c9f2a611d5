package yunjing.deploy.peers;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real Hugging Face hub client, the npm package {@code @huggingface/hub}, as a test peer.
 * It is installed with npm into a cache directory ({@code $YUNJING_HUB_CLIENT_DIR}, default
 * {@code ~/.cache/yunjing/hub-client}) on first use, the way {@code yunjing geo fetch} installs its
 * npm packages. {@code .ci/run} installs node and npm, so in CI (CI=true) a missing node or npm
 * fails the test; on a developer machine without them the test is skipped.
 */
public final class HubClientPeer {

    /** Pinned so a new client release cannot change what the test checks without a commit. */
    public static final String PACKAGE = "@huggingface/hub@2.17.5";

    private final Path prefix;

    private HubClientPeer(Path prefix) {
        this.prefix = prefix;
    }

    /** The installed client, or a skipped test (a failed one in CI) when node or npm is missing. */
    public static HubClientPeer requireOrSkip() throws IOException, InterruptedException {
        boolean ci = "true".equals(System.getenv("CI"));
        for (String tool : List.of("node", "npm")) {
            if (!runs(tool, "--version")) {
                if (ci) {
                    throw new AssertionError(tool + " is not installed: .ci/run installs nodejs and npm");
                }
                Assumptions.abort(tool + " not installed (apt-get install nodejs npm)");
            }
        }
        String dir = System.getenv("YUNJING_HUB_CLIENT_DIR");
        Path prefix = dir != null ? Path.of(dir) : Path.of(System.getProperty("user.home"), ".cache", "yunjing", "hub-client");
        Files.createDirectories(prefix);
        if (!Files.isRegularFile(prefix.resolve("node_modules/@huggingface/hub/package.json"))) {
            Process npm = new ProcessBuilder("npm", "install", "--no-audit", "--no-fund", "--prefix", prefix.toString(), PACKAGE)
                    .redirectErrorStream(true).start();
            String output = new String(npm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!npm.waitFor(5, TimeUnit.MINUTES) || npm.exitValue() != 0) {
                npm.destroyForcibly();
                throw new AssertionError("npm install " + PACKAGE + " into " + prefix + " failed:\n" + output);
            }
        }
        // ES modules resolve packages from the script's own folder, so the script lives in the prefix.
        for (String name : List.of("hub-download.mjs", "hub-snapshot.mjs", "hub-commits.mjs")) {
            try (InputStream script = HubClientPeer.class.getResourceAsStream("/hub/" + name)) {
                Files.copy(script, prefix.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return new HubClientPeer(prefix);
    }

    /** Downloads {@code path} of {@code repo} at {@code revision} from {@code hubUrl}; returns the client's "sha256=… size=…" line. */
    public String download(String hubUrl, String repo, String revision, String path, Path out)
            throws IOException, InterruptedException {
        return node("hub-download.mjs", hubUrl, repo, revision, path, out.toString());
    }

    /**
     * Downloads all of {@code repo} at {@code revision} with the client's {@code snapshotDownload} into
     * {@code cacheDir}; returns its "PATH sha256=… size=…" lines, sorted by path.
     */
    public String snapshot(String hubUrl, String repo, String revision, Path cacheDir) throws IOException, InterruptedException {
        return node("hub-snapshot.mjs", hubUrl, repo, revision, cacheDir.toString()).lines()
                .filter(line -> line.startsWith("file ")).map(line -> line.substring("file ".length()))
                .collect(java.util.stream.Collectors.joining("\n"));
    }

    /** Lists the commits of {@code repo} up to {@code revision} with the client's {@code listCommits}: "ID DATE TITLE" lines. */
    public List<String> commits(String hubUrl, String repo, String revision) throws IOException, InterruptedException {
        return node("hub-commits.mjs", hubUrl, repo, revision).lines()
                .filter(line -> line.startsWith("commit ")).map(line -> line.substring("commit ".length())).toList();
    }

    private String node(String script, String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of("node", prefix.resolve(script).toString()));
        command.addAll(List.of(args));
        Process node = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!node.waitFor(2, TimeUnit.MINUTES)) {
            node.destroyForcibly();
            throw new AssertionError("hub client did not finish:\n" + output);
        }
        if (node.exitValue() != 0) {
            throw new AssertionError("hub client failed (exit " + node.exitValue() + "):\n" + output);
        }
        return output.strip();
    }

    private static boolean runs(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
