package yunjing.deploy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import yunjing.deploy.topology.Node;
import yunjing.deploy.topology.Topology;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code yunjing sync status}: what each replica node has, next to what the rollout wants it to
 * have. Reads the control node's {@code /rollout/status} and every replica's {@code /sync/status}
 * (admin ports, admin token) and prints NODE, REPO, ACTIVE (revision id), STATE and LAG (time since
 * the node's target changed while it is not on it). Exit 0 when every replica is on its target,
 * 1 otherwise (a node down, syncing, failed), 2 on bad usage (no token).
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Per replica node and repository: the active revision, its state and lag behind the rollout.")
final class SyncStatusCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    TopologyOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        Topology topology = options.topology();
        PrintWriter out = spec.commandLine().getOut();
        Table table = new Table("NODE", "REPO", "ACTIVE", "STATE", "LAG");
        int behind = 0;
        try (AdminClient admin = AdminClient.open(options.state())) {
            Node control = topology.origin();
            JsonNode rollout = fetch(admin, control, "/rollout/status");
            Map<String, JsonNode> rollouts = new HashMap<>();
            for (JsonNode r : rollout == null ? JSON.createArrayNode() : rollout.path("repos")) {
                rollouts.put(r.path("repo").asText(), r);
                table.row(control.id(), r.path("repo").asText(), r.path("published").asText(), "origin (published)", "-");
            }
            if (rollout == null) {
                table.row(control.id(), "-", "-", "down", "-");
                behind++;
            }
            for (String id : topology.sync().replicas()) {
                Node node = topology.node(id).orElseThrow();
                JsonNode status = fetch(admin, node, "/sync/status");
                if (status == null) {
                    table.row(id, "-", "-", "down", "-");
                    behind++;
                    continue;
                }
                for (JsonNode repo : status.path("repos")) {
                    String name = repo.path("repo").asText();
                    String active = repo.path("revision").isNull() ? "-" : repo.path("revision").asText();
                    JsonNode r = rollouts.get(name);
                    String target = r == null ? null : r.path("targets").path(id).asText(null);
                    String lag = "-";
                    String state;
                    if (target != null && target.equals(active)) {
                        lag = "0s";
                        state = "in sync" + (r.path("pins").has(id) || r.path("fixedPins").has(id) ? " (pinned)"
                                : !r.path("canary").isNull() && target.equals(r.path("canary").asText()) ? " (canary)" : "");
                    } else {
                        behind++;
                        state = describeBehind(repo, target);
                        if (r != null) {
                            lag = Duration.between(Instant.parse(r.path("changed").asText()), Instant.now()).toSeconds() + "s";
                        }
                    }
                    table.row(id, name, active, state, lag);
                }
            }
        }
        table.print(out);
        out.printf("%n%s%n", behind == 0 ? "all replicas on their rollout target" : behind + " not on their target");
        return behind == 0 ? 0 : 1;
    }

    /** Why a replica is not on its target: still syncing towards it, or its last attempt failed. */
    private static String describeBehind(JsonNode repo, String target) {
        if (target == null) {
            return "no rollout for it at the control node";
        }
        String towards = " → " + target.substring(0, 12);
        String state = repo.path("state").asText();
        return switch (state) {
            case "synced", "starting" -> "syncing" + towards;
            default -> state + towards + ": " + repo.path("detail").asText();
        };
    }

    /** A node's JSON answer, or null when it is down or failed (said on stderr). */
    private JsonNode fetch(AdminClient admin, Node node, String path) throws InterruptedException {
        try {
            AdminClient.Reply reply = admin.post(new InetSocketAddress(node.address(), node.ports().admin()), path, "{}");
            if (reply.status() == 401) {
                throw CliException.usage(node.id() + " refused the admin token (is --state-dir the nodes' own?)", null);
            }
            if (reply.status() != 200) {
                spec.commandLine().getErr().println("yunjing: " + node.id() + path + ": " + reply.status() + " " + reply.body());
                return null;
            }
            return JSON.readTree(reply.body());
        } catch (IOException e) {
            spec.commandLine().getErr().println("yunjing: " + node.id() + ": " + AdminClient.describe(e));
            return null;
        }
    }
}
