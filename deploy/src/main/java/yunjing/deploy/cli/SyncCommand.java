package yunjing.deploy.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import yunjing.common.net.EventLoops;
import yunjing.deploy.run.ArtifactServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import yunjing.sync.agent.ClockSkewGuard;
import yunjing.sync.agent.DeltaAgent;
import yunjing.sync.agent.HttpChunkSource;
import yunjing.sync.agent.HttpManifestSource;
import yunjing.sync.agent.RateLimiter;
import yunjing.sync.agent.SyncMetrics;
import yunjing.sync.agent.SyncStats;
import yunjing.sync.sign.Ed25519Keys;
import yunjing.sync.sign.ManifestRejectedException;
import yunjing.sync.sign.ManifestSigner;
import yunjing.sync.sign.ManifestVerifier;
import yunjing.sync.store.ArtifactStore;
import yunjing.sync.store.Revision;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.BindException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * {@code yunjing sync keygen|publish|serve|pull}: the sync pieces on their own, outside a
 * topology: a signing key, a signed publish into a store, a standalone artifact server, and one
 * delta pull of a replica from a parent URL. Used by {@code deploy/bench/sync-vs-rsync.sh}.
 */
@Command(name = "sync", mixinStandardHelpOptions = true,
        description = "Artifact sync on its own: signing keys, signed publish, a standalone artifact server, delta pull.",
        subcommands = {SyncCommand.Keygen.class, SyncCommand.Publish.class, SyncCommand.Serve.class, SyncCommand.Pull.class,
                SyncStatusCommand.class})
final class SyncCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand: keygen, publish, serve, pull or status");
    }

    @Command(name = "keygen", mixinStandardHelpOptions = true,
            description = "Write an Ed25519 manifest signing key: DIR/manifest-key.pem (0600) and DIR/manifest-key.pub.pem.")
    static final class Keygen implements Runnable {
        @Option(names = "--out", required = true, paramLabel = "DIR")
        Path out;

        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            try {
                Files.createDirectories(out);
                KeyPair keys = Ed25519Keys.generate();
                Ed25519Keys.writePrivate(out.resolve("manifest-key.pem"), keys.getPrivate());
                Ed25519Keys.writePublic(out.resolve("manifest-key.pub.pem"), keys.getPublic());
                spec.commandLine().getOut().println("yunjing sync: key " + Ed25519Keys.keyId(keys.getPublic())
                        + " in " + out + "; public key for the topology: " + Ed25519Keys.toBase64(keys.getPublic()));
            } catch (IOException e) {
                throw CliException.usage(e.getMessage(), e);
            }
        }
    }

    @Command(name = "publish", mixinStandardHelpOptions = true,
            description = "Publish DIR as a signed revision of --repo in --store and move --ref to it.")
    static final class Publish implements Runnable {
        @Parameters(paramLabel = "DIR")
        Path source;
        @Option(names = "--store", required = true, paramLabel = "DIR")
        Path store;
        @Option(names = "--key", required = true, paramLabel = "PEM", description = "Private key (yunjing sync keygen).")
        Path key;
        @Option(names = "--public-key", required = true, paramLabel = "PEM")
        Path publicKey;
        @Option(names = "--repo", required = true)
        String repo;
        @Option(names = "--ref", defaultValue = "main")
        String ref;

        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            try {
                ArtifactStore s = ArtifactStore.builder(store).signer(ManifestSigner.load(key, publicKey)).build();
                Revision r = s.publish(repo, ref, source);
                spec.commandLine().getOut().println("yunjing sync: published " + repo + "@" + ref + " = " + r.id()
                        + " version " + r.manifest().version());
            } catch (IOException | IllegalArgumentException e) {
                throw CliException.usage(e.getMessage(), e);
            }
        }
    }

    @Command(name = "serve", mixinStandardHelpOptions = true,
            description = "Serve --store over HTTP/1.1 (hub paths, manifests, byte spans; GET /readyz) until SIGTERM/Ctrl-C.")
    static final class Serve implements java.util.concurrent.Callable<Integer> {
        @Option(names = "--store", required = true, paramLabel = "DIR")
        Path store;
        @Option(names = "--listen", required = true, paramLabel = "ADDR:PORT")
        String listen;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws InterruptedException {
            EventLoops loops = EventLoops.create(0, "yunjing-sync");
            ArtifactServer server;
            try {
                server = ArtifactServer.start(new ArtifactStore(store), ProxyCommand.address("--listen", listen, true), loops);
            } catch (BindException e) {
                loops.close();
                throw CliException.usage("--listen " + listen + ": " + e.getMessage(), e);
            }
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                server.close();
                loops.close();
                stopped.countDown();
            }, "yunjing-sync-shutdown"));
            spec.commandLine().getOut().println("yunjing sync: serving " + store + " on http://"
                    + server.address().getAddress().getHostAddress() + ":" + server.address().getPort()
                    + " (" + loops.transport() + ")");
            spec.commandLine().getOut().flush();
            stopped.await();
            return 0;
        }
    }

    @Command(name = "pull", mixinStandardHelpOptions = true,
            description = "Bring --store's --repo@--ref to the revision the parent's signed manifest names, fetching only "
                    + "missing chunks. Prints one JSON line with what it cost on stdout; progress (a bar in a terminal, "
                    + "log lines otherwise) and the agent's metrics on stderr.")
    static final class Pull implements Runnable {
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
        @Option(names = "--ntp-server", paramLabel = "HOST[:PORT]",
                description = "Check the clock against this NTP server before judging the manifest's expiry.")
        String ntpServer;
        @Option(names = "--max-clock-skew", defaultValue = "10", paramLabel = "SECONDS",
                description = "With --ntp-server: a larger skew is warned about, and a manifest expiring within it is refused (default ${DEFAULT-VALUE}).")
        long maxClockSkewSeconds;
        @Option(names = "--progress", defaultValue = "auto", paramLabel = "auto|bar|log|none",
                description = "Progress on stderr: a redrawn bar in a terminal and log lines otherwise (auto, default), or as named.")
        String progress;

        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            if (!ranges.equals("spans") && !ranges.equals("range")) {
                throw CliException.usage("--ranges: " + ranges + " (expected: spans or range)", null);
            }
            if (!List.of("auto", "bar", "log", "none").contains(progress)) {
                throw CliException.usage("--progress: " + progress + " (expected: auto, bar, log or none)", null);
            }
            if (maxClockSkewSeconds < 0) {
                throw CliException.usage("--max-clock-skew: " + maxClockSkewSeconds + " (expected: >= 0)", null);
            }
            if (concurrency < 1 || concurrency > 64) {
                throw CliException.usage("--concurrency: " + concurrency + " (expected: 1 to 64)", null);
            }
            long bytesPerSecond;
            try {
                bytesPerSecond = limitRate == null ? 0 : RateLimiter.parse(limitRate);
            } catch (IllegalArgumentException e) {
                throw CliException.usage("--limit-rate: " + e.getMessage(), e);
            }
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build()) {
                Path keyFile = Path.of(publicKey);
                var key = Files.isRegularFile(keyFile) ? Ed25519Keys.readPublic(keyFile) : Ed25519Keys.parsePublic(publicKey, "--public-key");
                Duration timeout = Duration.ofSeconds(60);
                HttpChunkSource source = ranges.equals("spans") ? HttpChunkSource.cacheable(client, from, timeout)
                        : new HttpChunkSource(client, from, timeout);
                DeltaAgent.Builder agent = DeltaAgent.builder(new ArtifactStore(store), new ManifestVerifier(key, Clock.systemUTC()), source)
                        .metrics(new SyncMetrics(registry));
                agent.concurrency(concurrency).limitRate(bytesPerSecond);
                try {
                    if (ntpServer != null) {
                        agent.clockSkewGuard(new ClockSkewGuard(ntpServer, Duration.ofSeconds(maxClockSkewSeconds)));
                    }
                } catch (IllegalArgumentException e) {
                    throw CliException.usage("pull: " + e.getMessage(), e);
                }
                boolean terminal = switch (progress) {
                    case "bar" -> true;
                    case "log" -> false;
                    default -> PullProgress.interactive();
                };
                if (!progress.equals("none")) {
                    agent.progress(new PullProgress(spec.commandLine().getErr(), terminal, Duration.ofSeconds(5)),
                            Duration.ofMillis(terminal ? 200 : 1000));
                }
                long t0 = System.nanoTime();
                byte[] manifest = new HttpManifestSource(client, from, timeout).fetch(repo, ref);
                DeltaAgent.Result result = agent.build().sync(repo, ref, manifest);
                long millis = (System.nanoTime() - t0) / 1_000_000;
                SyncStats s = result.stats();
                spec.commandLine().getOut().printf("{\"revision\":\"%s\",\"version\":%d,\"manifestBytes\":%d,\"bytesFetched\":%d,"
                                + "\"bytesReused\":%d,\"chunksFetched\":%d,\"chunksReused\":%d,\"requests\":%d,\"verifyFailures\":%d,"
                                + "\"concurrency\":%d,\"millis\":%d}%n", result.revision().id(), result.revision().manifest().version(),
                        manifest.length, s.bytesFetched(), s.bytesReused(), s.chunksFetched(), s.chunksReused(), s.requests(),
                        s.verifyFailures(), concurrency, millis);
            } catch (IOException | ManifestRejectedException e) {
                throw CliException.usage("pull " + repo + "@" + ref + " from " + from + ": " + e.getMessage(), e);
            } finally {
                printMetrics(registry);
            }
        }

        /** The agent's meters as a node's /metrics would show them, on stderr. */
        private void printMetrics(PrometheusMeterRegistry registry) {
            PrintWriter err = spec.commandLine().getErr();
            for (String line : registry.scrape().split("\n")) {
                if (line.startsWith("yunjing_sync_")) {
                    err.println("yunjing sync: metric " + line);
                }
            }
            err.flush();
        }
    }
}
