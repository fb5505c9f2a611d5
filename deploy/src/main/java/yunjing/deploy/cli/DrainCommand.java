package yunjing.deploy.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import yunjing.deploy.topology.Node;
import yunjing.deploy.topology.Topology;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;

/**
 * {@code yunjing drain NODE} / {@code yunjing undrain NODE}: take a node out of traffic (its
 * /readyz turns 503 with {@code "draining":true}; the DNS drops it from answers at its next probe
 * and parents stop choosing it), or let it back.
 */
final class DrainCommand {
    private DrainCommand() {
    }

    static int apply(TopologyOptions options, CommandSpec spec, String id, boolean drain) throws InterruptedException {
        Topology topology = options.topology();
        Node node = topology.node(id).orElseThrow(() -> CliException.usage("unknown node id '" + id + "' in "
                + topology.source(), null));
        try (AdminClient admin = AdminClient.open(options.state())) {
            AdminClient.Reply reply = admin.post(new InetSocketAddress(node.address(), node.ports().admin()),
                    drain ? "/drain" : "/undrain");
            if (reply.status() != 200) {
                spec.commandLine().getErr().println("yunjing: " + id + ": " + reply.status() + " " + reply.body());
                return 1;
            }
            spec.commandLine().getOut().println("yunjing: " + id + (drain ? " draining" : " serving") + " " + reply.body());
            return 0;
        } catch (IOException e) {
            spec.commandLine().getErr().println("yunjing: " + id + ": " + AdminClient.describe(e));
            return 1;
        }
    }

    /** The options and action both commands share; each subclass only says which way it switches. */
    abstract static class Switch implements Callable<Integer> {
        @Mixin
        TopologyOptions options;
        @Parameters(paramLabel = "NODE", description = "Node id from the topology.")
        String id;
        @Spec
        CommandSpec spec;

        abstract boolean drain();

        @Override
        public Integer call() throws InterruptedException {
            return apply(options, spec, id, drain());
        }
    }

    @Command(name = "drain", mixinStandardHelpOptions = true,
            description = "Take a node out of traffic: its /readyz turns 503 (draining); the DNS drops it at its next "
                    + "probe. Requests in flight finish.")
    static final class Drain extends Switch {
        @Override
        boolean drain() {
            return true;
        }
    }

    @Command(name = "undrain", mixinStandardHelpOptions = true, description = "Let a drained node take traffic again.")
    static final class Undrain extends Switch {
        @Override
        boolean drain() {
            return false;
        }
    }
}
