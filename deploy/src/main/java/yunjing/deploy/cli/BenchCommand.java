package yunjing.deploy.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import yunjing.deploy.bench.E2eBench;
import yunjing.deploy.bench.load.LoadPlan;
import yunjing.deploy.bench.net.WanProfiles;
import yunjing.deploy.bench.report.E2eReport;
import yunjing.deploy.bench.report.MarkdownReport;
import yunjing.deploy.run.LaunchException;
import yunjing.deploy.topology.Topology;
import yunjing.deploy.topology.TopologyException;
import yunjing.deploy.topology.TopologyLoader;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;

/** {@code yunjing bench …}: benchmarks that start their own network. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks.",
        subcommands = {BenchCommand.E2e.class, CommandLine.HelpCommand.class})
final class BenchCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing benchmark (try: yunjing bench e2e --quick)");
    }

    @Command(name = "e2e", mixinStandardHelpOptions = true,
            description = "Direct-to-origin over an emulated cross-border link vs the DNS-chosen edge and its tiers, "
                    + "side by side; writes e2e.json, e2e.md and PNG charts and prints the headline table.")
    static final class E2e implements Runnable {
        @Option(names = "--quick", description = "A short run (under 3 minutes on 2 cores).")
        boolean quick;

        @Option(names = "--out", paramLabel = "DIR",
                description = "Where to write the report (default: docs/benchmarks with --quick, "
                        + "docs/benchmarks/e2e-full without).")
        Path out;

        @Option(names = "--seed", paramLabel = "N", description = "Seed of the faults and screenshots (default: 42).")
        Long seed;

        @Option(names = "--topology", paramLabel = "FILE",
                description = "Topology file (default: the embedded deploy/topology/local.yaml).")
        Path topologyFile;

        @Option(names = "--border-faults", paramLabel = "FRACTION",
                description = "Fraction of cross-border connections that fail (refused, reset or stalled), "
                        + "on the direct path and the mirror's alike (default: 0.01).")
        Double borderFaults;

        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            PrintWriter out = spec.commandLine().getOut();
            if (this.out == null) {
                this.out = Path.of(quick ? "docs/benchmarks" : "docs/benchmarks/e2e-full");
            }
            LoadPlan plan = quick ? LoadPlan.quick() : LoadPlan.full();
            if (seed != null) {
                plan = plan.withSeed(seed);
            }
            if (borderFaults != null && !(borderFaults >= 0 && borderFaults <= 1)) {
                throw CliException.usage("bench: --border-faults " + borderFaults + " (expected: between 0 and 1)", null);
            }
            String command = "deploy/bin/yunjing bench e2e" + (quick ? " --quick" : "") + (seed != null ? " --seed " + seed : "")
                    + (borderFaults != null ? " --border-faults " + borderFaults : "");
            WanProfiles profiles = borderFaults == null ? WanProfiles.china() : WanProfiles.china().withBorderFaults(borderFaults);
            try {
                Topology topology = topologyFile == null ? TopologyLoader.loadEmbedded() : TopologyLoader.load(topologyFile);
                E2eReport report = E2eBench.run(topology, profiles, plan, quick ? "quick" : "full", this.out, command, out);
                out.println();
                out.print(MarkdownReport.headline(report));
                out.println();
                out.println("bench: wrote " + this.out.resolve("e2e.md") + ", e2e.json, e2e-latency.png, e2e-first-byte.png");
                out.flush();
            } catch (TopologyException | LaunchException e) {
                throw CliException.usage(e.getMessage(), e);
            } catch (IOException e) {
                throw new CliException("bench: " + e.getMessage(), 1, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException("bench: interrupted", 1, e);
            }
        }
    }
}
