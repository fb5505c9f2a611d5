package yunjing.deploy.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import yunjing.deploy.run.LaunchException;
import yunjing.deploy.run.MirrorNetwork;
import yunjing.deploy.run.PortMode;
import yunjing.deploy.run.RunOptions;
import yunjing.deploy.topology.Topology;
import yunjing.proxy.accesslog.AccessLogSignal;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/** {@code yunjing up}: the whole network in this process until Ctrl-C or SIGTERM. */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Start every node and the DNS of the topology in one process, wait until all are ready, "
                + "print how to use them, and run until Ctrl-C or SIGTERM.")
final class UpCommand implements Runnable {

    @Mixin
    TopologyOptions options;

    @Mixin
    GeoOptions geo;

    @Option(names = "--ephemeral-ports",
            description = "Listen on ephemeral ports instead of the topology's (the table shows the real ones).")
    boolean ephemeralPorts;

    @Option(names = "--ready-timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "How long to wait for every node to be ready (default: ${DEFAULT-VALUE}).")
    int readyTimeoutSeconds;

    @Option(names = "--no-access-log",
            description = "Write no JSON access logs (default: each proxy node appends one line per request to "
                    + "the topology's access_log, else <state>/logs/<node>.access.jsonl).")
    boolean noAccessLog;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        Topology topology = options.topology();
        PrintWriter out = spec.commandLine().getOut();
        long started = System.nanoTime();
        MirrorNetwork network;
        try {
            // Fast probes while starting so readiness settles in seconds; still bounded by the 3-failure rule.
            network = MirrorNetwork.startAll(topology, options.state(), geo.applyTo(
                    RunOptions.of(ephemeralPorts ? PortMode.EPHEMERAL : PortMode.TOPOLOGY, Duration.ofSeconds(1)).withAccessLogs(!noAccessLog)));
        } catch (LaunchException e) {
            throw CliException.usage(e.getMessage(), e);
        }
        AccessLogSignal.install(); // kill -USR1 <pid> reopens the access logs (logrotate's postrotate)
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            out.println("yunjing: stopping…");
            network.close();
            out.println("yunjing: stopped");
            out.flush();
            stopped.countDown();
        }, "yunjing-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            network.awaitReady(Duration.ofSeconds(readyTimeoutSeconds));
        } catch (LaunchException e) {
            Runtime.getRuntime().removeShutdownHook(hook);
            network.close();
            throw CliException.usage(e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        new Usage(topology, options.state(), network).print(out, seconds);
        out.flush();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
