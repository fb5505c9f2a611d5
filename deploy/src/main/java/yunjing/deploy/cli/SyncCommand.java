package yunjing.deploy.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import yunjing.common.net.EventLoops;
import yunjing.deploy.run.ArtifactServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import yunjing.sync.agent.DeltaAgent;
import yunjing.sync.agent.HttpManifestSource;
import yunjing.sync.agent.ManifestFollower;
import yunjing.sync.sign.Ed25519Keys;
import yunjing.sync.sign.ManifestRejectedException;
import yunjing.sync.sign.ManifestSigner;
import yunjing.sync.store.ArtifactStore;
import yunjing.sync.store.Revision;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.BindException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code yunjing sync keygen|publish|serve|pull|follow}: the sync pieces on their own, outside a
 * topology: a signing key, a signed publish into a store, a standalone artifact server, one
 * delta pull of a replica from a parent URL, and a resident agent following a parent. Used by {@code deploy/bench/sync-vs-rsync.sh}.
 */
@Command(name = "sync", mixinStandardHelpOptions = true,
        description = "Artifact sync on its own: signing keys, signed publish, a standalone artifact server, delta pull.",
        subcommands = {SyncCommand.Keygen.class, SyncCommand.Publish.class, SyncCommand.Serve.class, SyncCommand.Pull.class,
                SyncCommand.Follow.class, SyncStatusCommand.class})
final class SyncCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand: keygen, publish, serve, pull, follow or status");
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
        @Mixin
        SyncAgentOptions options;
        @Option(names = "--progress", defaultValue = "auto", paramLabel = "auto|bar|log|none",
                description = "Progress on stderr: a redrawn bar in a terminal and log lines otherwise (auto, default), or as named.")
        String progress;

        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            if (!List.of("auto", "bar", "log", "none").contains(progress)) {
                throw CliException.usage("--progress: " + progress + " (expected: auto, bar, log or none)", null);
            }
            options.validate();
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            String repo = options.repo;
            String ref = options.ref;
            try (HttpClient client = SyncAgentOptions.client()) {
                DeltaAgent.Builder agent = options.agent(client, registry);
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
                DeltaAgent built = agent.build(); // first: its digest warm-up then overlaps the manifest fetch
                byte[] manifest = options.manifests(client).fetch(repo, ref);
                DeltaAgent.Result result = built.sync(repo, ref, manifest);
                long millis = (System.nanoTime() - t0) / 1_000_000;
                spec.commandLine().getOut().println(options.report(result, millis, ",\"manifestBytes\":" + manifest.length));
            } catch (IOException | ManifestRejectedException e) {
                throw CliException.usage("pull " + repo + "@" + ref + " from " + options.from + ": " + e.getMessage(), e);
            } finally {
                printMetrics(spec, registry);
            }
        }
    }

    @Command(name = "follow", mixinStandardHelpOptions = true,
            description = "Keep --store's --repo@--ref on the revision the parent names, as a node's agent does: poll the "
                    + "signed manifest every --interval (a 304 when unchanged) and sync each new one. Prints one JSON line "
                    + "per activated revision on stdout (as pull does, plus activatedAt and lagMillis: from the manifest's "
                    + "publication to activation), failures on stderr; runs until SIGTERM/Ctrl-C.")
    static final class Follow implements java.util.concurrent.Callable<Integer> {
        @Mixin
        SyncAgentOptions options;
        @Option(names = "--interval", defaultValue = "5", paramLabel = "SECONDS",
                description = "Seconds between polls (default ${DEFAULT-VALUE}; fractions allowed, at least 0.01).")
        double intervalSeconds;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            if (!(intervalSeconds >= 0.01)) {
                throw CliException.usage("--interval: " + intervalSeconds + " (expected: 0.01 seconds or more)", null);
            }
            options.validate();
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            PrintWriter out = spec.commandLine().getOut();
            try (HttpClient client = SyncAgentOptions.client()) {
                DeltaAgent agent = options.agent(client, registry).build();
                HttpManifestSource manifests = options.manifests(client);
                long[] pollStarted = new long[1]; // the poll that found the manifest: the sync's "millis" count from it
                ManifestFollower follower = new ManifestFollower(agent, manifests, options.repo, options.ref, result -> {
                    if (!result.activated()) {
                        return; // already on the revision the parent names
                    }
                    Instant now = Instant.now();
                    Instant published = result.revision().manifest().published();
                    out.println(options.report(result, (System.nanoTime() - pollStarted[0]) / 1_000_000,
                            ",\"activatedAt\":" + now.toEpochMilli()
                                    + (published == null ? "" : ",\"lagMillis\":" + Duration.between(published, now).toMillis())));
                    out.flush();
                });
                CountDownLatch stopped = new CountDownLatch(1);
                CountDownLatch reported = new CountDownLatch(1);
                // On SIGTERM: stop polling, and give the loop a moment to print the metrics. A sync in
                // progress is cut when the JVM halts; the next start resumes it.
                Thread hook = new Thread(() -> {
                    stopped.countDown();
                    try {
                        reported.await(2, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "yunjing-sync-follow-shutdown");
                Runtime.getRuntime().addShutdownHook(hook);
                long intervalNanos = (long) (intervalSeconds * 1e9);
                try {
                    while (!stopped.await(0, TimeUnit.NANOSECONDS)) {
                        long started = System.nanoTime();
                        pollStarted[0] = started;
                        try {
                            follower.pollOnce();
                        } catch (IOException | ManifestRejectedException e) {
                            spec.commandLine().getErr().println("yunjing sync: follow " + options.repo + "@" + options.ref + ": "
                                    + e.getMessage());
                            spec.commandLine().getErr().flush();
                        }
                        stopped.await(Math.max(0, intervalNanos - (System.nanoTime() - started)), TimeUnit.NANOSECONDS);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt(); // stopped from within the process (tests): as SIGTERM
                } finally {
                    try {
                        Runtime.getRuntime().removeShutdownHook(hook);
                    } catch (IllegalStateException shuttingDown) {
                        // The hook is running: nothing to remove.
                    }
                }
                printMetrics(spec, registry);
                reported.countDown();
                return 0;
            }
        }
    }

    /** The agent's meters as a node's /metrics would show them, on stderr. */
    private static void printMetrics(CommandSpec spec, PrometheusMeterRegistry registry) {
        PrintWriter err = spec.commandLine().getErr();
        for (String line : registry.scrape().split("\n")) {
            if (line.startsWith("yunjing_sync_")) {
                err.println("yunjing sync: metric " + line);
            }
        }
        err.flush();
    }
}
