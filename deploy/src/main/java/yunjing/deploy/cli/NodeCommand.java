package yunjing.deploy.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import yunjing.deploy.run.Endpoints;
import yunjing.deploy.run.LaunchException;
import yunjing.deploy.run.MirrorNetwork;
import yunjing.deploy.run.PortMode;
import yunjing.deploy.run.RunOptions;
import yunjing.deploy.run.RunningRole;
import yunjing.proxy.accesslog.AccessLogSignal;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * {@code yunjing node --id ID}: one role per process, the production form. Parents are reached
 * at the addresses the topology gives; the node serves as soon as it listens, and its
 * {@code /readyz} turns 200 once a parent answers.
 */
@Command(name = "node", mixinStandardHelpOptions = true,
        description = "Run one node of the topology (or the DNS with --id dns) until Ctrl-C or SIGTERM.")
final class NodeCommand implements Runnable {

    @Mixin
    TopologyOptions options;

    @Mixin
    GeoOptions geo;

    @Option(names = "--id", required = true, paramLabel = "ID", description = "Node id from the topology, or 'dns'.")
    String id;

    @Option(names = "--no-access-log",
            description = "Write no JSON access logs (default: each proxy node appends one line per request to "
                    + "the topology's access_log, else <state>/logs/<node>.access.jsonl).")
    boolean noAccessLog;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        MirrorNetwork network;
        try {
            network = MirrorNetwork.start(options.topology(), options.state(),
                    geo.applyTo(RunOptions.of(PortMode.TOPOLOGY, Duration.ofSeconds(5)).withAccessLogs(!noAccessLog)), Set.of(id));
        } catch (LaunchException e) {
            throw CliException.usage(e.getMessage(), e);
        }
        AccessLogSignal.install(); // kill -USR1 <pid> reopens the access logs (logrotate's postrotate)
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            network.close();
            stopped.countDown();
        }, "yunjing-shutdown"));
        RunningRole role = network.roles().get(0);
        out.printf("yunjing: %s (%s) listening: %s%s, admin %s; transport %s%n", role.id(), role.kind(),
                Endpoints.hostPort(role.http()), role.https() == null ? "" : ", https " + Endpoints.hostPort(role.https()),
                Endpoints.hostPort(role.adminAddress()), network.transport());
        out.flush();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
