package yunjing.deploy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import yunjing.deploy.topology.Node;
import yunjing.deploy.topology.Topology;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;

/**
 * {@code yunjing rollout status|start|promote|rollback|pin|unpin}: drives the rollout held by the
 * control node (the origin) on its admin port, with the admin token from the state directory.
 * Exit codes: 0 done, 1 the control node is down or failed, 2 bad input (unknown repository,
 * revision or node; no token; token refused).
 */
@Command(name = "rollout", mixinStandardHelpOptions = true,
        description = "Canary rollout of artifact revisions: status, start, promote, rollback, pin, unpin.",
        subcommands = {RolloutCommand.Status.class, RolloutCommand.Start.class, RolloutCommand.Promote.class,
                RolloutCommand.Rollback.class, RolloutCommand.Pin.class, RolloutCommand.Unpin.class})
final class RolloutCommand implements Runnable {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                "missing subcommand: status, start, promote, rollback, pin or unpin");
    }

    /** Posts one operation to the control node and prints its answer, the repository's rollout. */
    static int send(TopologyOptions options, CommandSpec spec, String operation, ObjectNode body) throws InterruptedException {
        Topology topology = options.topology();
        Node control = topology.origin();
        PrintWriter out = spec.commandLine().getOut();
        try (AdminClient admin = AdminClient.open(options.state())) {
            AdminClient.Reply reply = admin.post(new InetSocketAddress(control.address(), control.ports().admin()),
                    "/rollout/" + operation, body.toString());
            if (reply.status() == 401) {
                throw CliException.usage(control.id() + " refused the admin token (is --state-dir the nodes' own?)", null);
            }
            if (reply.status() == 400) {
                throw CliException.usage(errorMessage(reply.body()), null);
            }
            if (reply.status() != 200) {
                throw new CliException(control.id() + ": " + reply.status() + " " + errorMessage(reply.body()), 1, null);
            }
            print(out, JSON.readTree(reply.body()));
            return 0;
        } catch (IOException e) {
            throw new CliException("control node " + control.id() + ": " + AdminClient.describe(e), 1, e);
        }
    }

    private static String errorMessage(String body) {
        try {
            JsonNode message = JSON.readTree(body).path("error").path("message");
            return message.isMissingNode() ? body : message.asText();
        } catch (IOException e) {
            return body;
        }
    }

    private static void print(PrintWriter out, JsonNode status) {
        out.println("canaries: " + String.join(", ", JSON.convertValue(status.path("canaries"), String[].class)));
        for (JsonNode r : status.path("repos")) {
            out.println();
            out.println(r.path("repo").asText() + "  (" + r.path("phase").asText() + ")");
            out.println("  stable:    " + r.path("stable").asText());
            out.println("  canary:    " + (r.path("canary").isNull() ? "-" : r.path("canary").asText()));
            out.println("  published: " + r.path("published").asText());
            r.path("pins").properties().forEach(p -> out.println("  pin:       " + p.getKey() + " → " + p.getValue().asText()));
            r.path("fixedPins").properties().forEach(p -> out.println("  pin:       " + p.getKey() + " → "
                    + p.getValue().asText() + " (topology)"));
            Table table = new Table("NODE", "TARGET");
            r.path("targets").properties().forEach(t -> table.row(t.getKey(), t.getValue().asText()));
            table.print(out);
        }
    }

    static ObjectNode body(String repo, String revision) {
        ObjectNode body = JSON.createObjectNode();
        if (repo != null) {
            body.put("repo", repo);
        }
        if (revision != null) {
            body.put("revision", revision);
        }
        return body;
    }

    /** What every subcommand shares: the topology and state options, and one operation sent to the control node. */
    abstract static class Operation implements Callable<Integer> {
        @Mixin
        TopologyOptions options;
        @Spec
        CommandSpec spec;

        /** The operation's name in {@code /rollout/<name>}: the subcommand's own, unless it says otherwise. */
        String name() {
            return spec.name();
        }

        abstract ObjectNode body();

        @Override
        public Integer call() throws InterruptedException {
            return send(options, spec, name(), body());
        }
    }

    /** An operation on REPO with an optional REV. */
    abstract static class OnRepository extends Operation {
        @Parameters(index = "0", paramLabel = "REPO", description = "org/name")
        String repo;
        @Parameters(index = "1", paramLabel = "REV", arity = "0..1")
        String revision;

        @Override
        ObjectNode body() {
            return RolloutCommand.body(repo, revision);
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Print the rollout of every repository (or REPO): stable, canary, pins, each replica's target.")
    static final class Status extends Operation {
        @Parameters(paramLabel = "REPO", arity = "0..1", description = "org/name")
        String repo;

        @Override
        ObjectNode body() {
            return RolloutCommand.body(repo, null);
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true,
            description = "Start a rollout of REV (revision id or origin ref): the canary nodes take it first.")
    static final class Start extends Operation {
        @Parameters(index = "0", paramLabel = "REPO", description = "org/name")
        String repo;
        @Parameters(index = "1", paramLabel = "REV")
        String revision;

        @Override
        ObjectNode body() {
            return RolloutCommand.body(repo, revision);
        }
    }

    @Command(name = "promote", mixinStandardHelpOptions = true,
            description = "Every replica takes the canary revision (REV, when given, must be it).")
    static final class Promote extends OnRepository {
    }

    @Command(name = "rollback", mixinStandardHelpOptions = true,
            description = "Every replica (pins aside) goes back to REV, by default the stable revision during a rollout, "
                    + "else the previous stable one.")
    static final class Rollback extends OnRepository {
    }

    /** An operation on NODE's pin of REPO. */
    abstract static class OnPin extends Operation {
        @Parameters(index = "0", paramLabel = "NODE")
        String node;
        @Parameters(index = "1", paramLabel = "REPO")
        String repo;
    }

    @Command(name = "pin", mixinStandardHelpOptions = true, description = "NODE keeps REV of REPO whatever the rollout does.")
    static final class Pin extends OnPin {
        @Parameters(index = "2", paramLabel = "REV")
        String revision;

        @Override
        ObjectNode body() {
            return RolloutCommand.body(repo, revision).put("node", node);
        }
    }

    @Command(name = "unpin", mixinStandardHelpOptions = true, description = "NODE follows the rollout of REPO again.")
    static final class Unpin extends OnPin {
        @Override
        String name() {
            return "pin"; // a pin to no revision removes it
        }

        @Override
        ObjectNode body() {
            return RolloutCommand.body(repo, null).put("node", node);
        }
    }
}
