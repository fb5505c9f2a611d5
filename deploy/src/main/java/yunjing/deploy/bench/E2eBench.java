package yunjing.deploy.bench;

import yunjing.deploy.bench.load.LoadPlan;
import yunjing.deploy.bench.load.LoadResult;
import yunjing.deploy.bench.load.LoadRunner;
import yunjing.deploy.bench.net.EmulatedNetwork;
import yunjing.deploy.bench.net.WanProfiles;
import yunjing.deploy.bench.report.Charts;
import yunjing.deploy.bench.report.E2eReport;
import yunjing.deploy.bench.report.JsonReport;
import yunjing.deploy.bench.report.MarkdownReport;
import yunjing.deploy.run.LaunchException;
import yunjing.deploy.topology.ModelRef;
import yunjing.deploy.topology.Topology;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The domestic-mirror benchmark of issue 8, end to end: starts the topology with a WAN relay on every
 * link, runs the same load on the direct path and through the mirror at once, and writes
 * {@code e2e.json}, {@code e2e.md} and two PNG charts to the output folder.
 *
 * <p>Run: {@code deploy/bin/yunjing bench e2e --quick} (under 3 minutes) or {@code deploy/bin/yunjing bench e2e}
 * (the full run); {@code deploy/bench/e2e-bench.sh} wraps the latter.
 */
public final class E2eBench {
    /** Probe interval of proxies and DNS: fast enough that start-up settles in seconds. */
    private static final Duration HEALTH_INTERVAL = Duration.ofMillis(500);

    private E2eBench() {
    }

    public static E2eReport run(Topology topology, LoadPlan plan, String mode, Path outDir, String command,
                                PrintWriter log) throws IOException, LaunchException, InterruptedException {
        return run(topology, WanProfiles.china(), plan, mode, outDir, command, log);
    }

    /** As above, on the links of {@code profiles} (e.g. a cross-border link with more faults). */
    public static E2eReport run(Topology topology, WanProfiles profiles, LoadPlan plan, String mode, Path outDir,
                                String command, PrintWriter log) throws IOException, LaunchException, InterruptedException {
        Files.createDirectories(outDir);
        Path state = Files.createTempDirectory("yunjing-bench-");
        try {
            long t0 = System.nanoTime();
            log.println("bench: starting " + topology.nodes().size() + " nodes, the DNS and a WAN relay per link…");
            log.flush();
            try (EmulatedNetwork network = EmulatedNetwork.start(topology, state, profiles, HEALTH_INTERVAL,
                    plan.seed())) {
                log.printf("bench: network ready in %.1f s; running %s on each path…%n",
                        (System.nanoTime() - t0) / 1e9, plan);
                log.flush();
                LoadResult result = new LoadRunner(network, modelOf(topology).name(), topology.services().get("api"),
                        modelOf(topology).repo(), topology.services().getOrDefault("models", topology.services().get("api")))
                        .run(plan);
                E2eReport report = E2eReport.of(mode, plan, result, network.relays());
                JsonReport.write(report, outDir.resolve("e2e.json"));
                Files.writeString(outDir.resolve("e2e.md"), MarkdownReport.full(report, command));
                Charts.write(report, outDir);
                return report;
            }
        } finally {
            deleteTree(state);
        }
    }

    private static ModelRef modelOf(Topology topology) {
        return topology.nodes().stream().flatMap(n -> n.models().stream()).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(topology.source() + ": no origin model to benchmark"));
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // A leftover temp folder is not worth failing a finished run for.
        }
    }
}
