package yunjing.deploy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import yunjing.deploy.topology.Node;
import yunjing.deploy.topology.Tier;
import yunjing.deploy.topology.Topology;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code yunjing warm FILE}: prefetch the URLs listed in FILE into every caching node, parents before
 * children, so each tier fills from a parent that already holds the objects and the origin is asked once
 * per URL.
 */
@Command(name = "warm", mixinStandardHelpOptions = true,
        description = "Prefetch URLs (one per line in FILE, '#' starts a comment) into every central, regional and "
                + "edge cache of the topology, parents first, or into one node with --node. "
                + "Exit 0 when every node cached every URL, 1 otherwise.")
final class WarmCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    TopologyOptions options;

    @Option(names = "--node", paramLabel = "ID", description = "Warm this node only.")
    String nodeId;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600",
            description = "How long to wait for each node's answer (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Parameters(index = "0", paramLabel = "FILE", description = "URLs, one per line, e.g. models.mirror.test/yunjing/tiny-llama/resolve/main/config.json")
    Path file;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        List<String> urls = urls(file);
        Topology topology = options.topology();
        List<Node> nodes = nodes(topology);
        PrintWriter out = spec.commandLine().getOut();
        Table table = new Table("NODE", "TIER", "RESULT");
        int failed = 0;
        String body = JSON.valueToTree(urls).toString();
        try (AdminClient admin = AdminClient.open(options.state())) {
            for (Node node : nodes) {
                String result = warm(admin, new InetSocketAddress(node.address(), node.ports().admin()), body, urls.size());
                failed += result.startsWith("cached " + urls.size() + "/") ? 0 : 1;
                table.row(node.id(), node.tier().label(), result);
            }
        }
        table.print(out);
        return failed == 0 ? 0 : 1;
    }

    /** The caching nodes to warm, parents (lower rank) first. */
    private List<Node> nodes(Topology topology) {
        List<Node> caching = topology.nodes().stream().filter(n -> n.tier() != Tier.ORIGIN)
                .sorted(Comparator.comparingInt(n -> n.tier().rank())).toList();
        if (nodeId == null) {
            return caching;
        }
        List<Node> one = caching.stream().filter(n -> n.id().equals(nodeId)).toList();
        if (one.isEmpty()) {
            throw CliException.usage("--node " + nodeId + ": no such caching node in the topology (nodes: "
                    + String.join(", ", caching.stream().map(Node::id).toList()) + ")", null);
        }
        return one;
    }

    /** The URLs of the file: one per line, blank lines and {@code #} comments skipped. */
    static List<String> urls(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw CliException.usage(file + ": no such file", e);
        } catch (IOException e) {
            throw CliException.usage(file + ": cannot read: " + e.getMessage(), e);
        }
        List<String> urls = new ArrayList<>();
        for (String line : lines) {
            int hash = line.indexOf('#');
            String url = (hash < 0 ? line : line.substring(0, hash)).strip();
            if (!url.isEmpty()) {
                urls.add(url);
            }
        }
        if (urls.isEmpty()) {
            throw CliException.usage(file + ": no URLs (one per line; '#' starts a comment)", null);
        }
        return urls;
    }

    private String warm(AdminClient admin, InetSocketAddress address, String body, int count) throws InterruptedException {
        AdminClient.Reply reply;
        try {
            reply = admin.post(address, "/cache/warm", body, Duration.ofSeconds(timeoutSeconds));
        } catch (IOException e) {
            return AdminClient.describe(e);
        }
        if (reply.status() != 200) {
            return "error " + reply.status() + ": " + reply.body();
        }
        try {
            JsonNode answer = JSON.readTree(reply.body());
            StringBuilder result = new StringBuilder("cached " + answer.path("cached").asLong() + "/" + count);
            for (JsonNode r : answer.path("results")) {
                if (!r.path("cached").asBoolean()) {
                    result.append("; ").append(r.path("url").asText()).append(": ")
                            .append(r.path("error").isTextual() ? r.path("error").asText()
                                    : "status " + r.path("status").asInt() + ", " + r.path("cache_status").asText());
                }
            }
            return result.toString();
        } catch (IOException e) {
            return "bad answer: " + reply.body();
        }
    }
}
