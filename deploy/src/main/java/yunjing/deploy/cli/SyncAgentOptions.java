package yunjing.deploy.cli;

import io.micrometer.core.instrument.MeterRegistry;
import picocli.CommandLine.Option;
import yunjing.deploy.topology.SyncSettings;
import yunjing.sync.agent.DeltaAgent;
import yunjing.sync.agent.HttpChunkSource;
import yunjing.sync.agent.HttpManifestSource;
import yunjing.sync.agent.RateLimiter;
import yunjing.sync.agent.SyncMetrics;
import yunjing.sync.agent.SyncStats;
import yunjing.sync.sign.Ed25519Keys;
import yunjing.sync.sign.ManifestVerifier;
import yunjing.sync.store.ArtifactStore;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/**
 * What a replica agent started from the command line needs ({@code yunjing sync pull} once,
 * {@code yunjing sync follow} for good): its parent, its store, the trusted key, the repository
 * and the limits it fetches under. A picocli mixin; {@link #agent} builds the agent it describes.
 */
final class SyncAgentOptions {

    /** How long one request to the parent may take. */
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Option(names = "--from", required = true, paramLabel = "URL", description = "Parent root URL, e.g. http://127.0.0.1:8080/.")
    URI from;
    @Option(names = "--store", required = true, paramLabel = "DIR")
    Path store;
    @Option(names = "--public-key", required = true, paramLabel = "PEM|BASE64")
    String publicKey;
    @Option(names = "--repo", required = true)
    String repo;
    @Option(names = "--ref", defaultValue = "main")
    String ref;
    @Option(names = "--ranges", defaultValue = "spans",
            description = "How missing bytes are asked for: 'spans' (cacheable per-span URLs, default) or 'range' (Range headers).")
    String ranges;
    @Option(names = "--concurrency", defaultValue = "" + DeltaAgent.DEFAULT_CONCURRENCY, paramLabel = "N",
            description = "Requests in flight at once (1 to 64, default ${DEFAULT-VALUE}).")
    int concurrency;
    @Option(names = "--limit-rate", paramLabel = "RATE",
            description = "Most bytes per second read from the parent, all requests together: e.g. 500K, 10M, 1G (powers of 1024).")
    String limitRate;
    @Option(names = "--keep-revisions", defaultValue = "0", paramLabel = "N",
            description = "After activating, keep only the N most recently activated revisions of the repository "
                    + "(and any a ref names), deleting older ones (default ${DEFAULT-VALUE}: keep all).")
    int keepRevisions;
    @Option(names = "--ntp-server", paramLabel = "HOST[:PORT]",
            description = "Check the clock against this NTP server before judging the manifest's expiry.")
    String ntpServer;
    @Option(names = "--max-clock-skew", defaultValue = "10", paramLabel = "SECONDS",
            description = "With --ntp-server: a larger skew is warned about, and a manifest expiring within it is refused (default ${DEFAULT-VALUE}).")
    long maxClockSkewSeconds;

    /** Refuses options out of range, with the message picocli users expect (exit 2). */
    void validate() {
        if (!ranges.equals("spans") && !ranges.equals("range")) {
            throw CliException.usage("--ranges: " + ranges + " (expected: spans or range)", null);
        }
        if (maxClockSkewSeconds < 0) {
            throw CliException.usage("--max-clock-skew: " + maxClockSkewSeconds + " (expected: >= 0)", null);
        }
        if (concurrency < 1 || concurrency > 64) {
            throw CliException.usage("--concurrency: " + concurrency + " (expected: 1 to 64)", null);
        }
        if (keepRevisions < 0) {
            throw CliException.usage("--keep-revisions: " + keepRevisions + " (expected: >= 0, 0 for all)", null);
        }
        try {
            bytesPerSecond = limitRate == null ? 0 : RateLimiter.parse(limitRate);
        } catch (IllegalArgumentException e) {
            throw CliException.usage("--limit-rate: " + e.getMessage(), e);
        }
    }

    /** {@code --limit-rate} in bytes per second (0: none), once {@link #validate} parsed it. */
    private long bytesPerSecond;

    /** An HTTP/1.1 client for the parent. */
    static HttpClient client() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** Where the signed manifests come from. */
    HttpManifestSource manifests(HttpClient client) {
        return new HttpManifestSource(client, from, TIMEOUT);
    }

    /** The agent these options describe, its meters in {@code registry}; call {@link #validate} first. */
    DeltaAgent.Builder agent(HttpClient client, MeterRegistry registry) throws IOException {
        Path keyFile = Path.of(publicKey);
        var key = Files.isRegularFile(keyFile) ? Ed25519Keys.readPublic(keyFile) : Ed25519Keys.parsePublic(publicKey, "--public-key");
        HttpChunkSource source = ranges.equals("spans") ? HttpChunkSource.cacheable(client, from, TIMEOUT)
                : new HttpChunkSource(client, from, TIMEOUT);
        DeltaAgent.Builder agent = DeltaAgent.builder(new ArtifactStore(store), new ManifestVerifier(key, Clock.systemUTC()), source)
                .metrics(new SyncMetrics(registry));
        SyncSettings.Agent settings = new SyncSettings.Agent(concurrency, bytesPerSecond, ntpServer,
                Duration.ofSeconds(maxClockSkewSeconds), keepRevisions);
        try {
            return settings.configure(agent);
        } catch (IllegalArgumentException e) { // the other settings were checked by validate()
            throw CliException.usage("--ntp-server: " + e.getMessage(), e);
        }
    }

    /** The JSON line a finished sync is reported with on stdout; {@code more} adds fields (",\"name\":value…" or ""). */
    String report(DeltaAgent.Result result, long millis, String more) {
        SyncStats s = result.stats();
        return String.format("{\"revision\":\"%s\",\"version\":%d,\"bytesFetched\":%d,\"bytesReused\":%d,\"chunksFetched\":%d,"
                        + "\"chunksReused\":%d,\"filesLinked\":%d,\"requests\":%d,\"verifyFailures\":%d,\"concurrency\":%d,\"millis\":%d%s}",
                result.revision().id(), result.revision().manifest().version(), s.bytesFetched(), s.bytesReused(), s.chunksFetched(),
                s.chunksReused(), s.filesLinked(), s.requests(), s.verifyFailures(), concurrency, millis, more);
    }
}
