package yunjing.deploy.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import yunjing.deploy.topology.Node;
import yunjing.deploy.topology.Tier;
import yunjing.deploy.topology.Topology;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code yunjing purge URL…}: remove URLs (or prefixes) from the cache of every caching node. */
@Command(name = "purge", mixinStandardHelpOptions = true,
        description = "Purge URLs from every edge, regional and central cache of the topology, edges first. "
                + "Exit 0 when every node answered, 1 otherwise.")
final class PurgeCommand implements Callable<Integer> {

    @Mixin
    TopologyOptions options;

    @Option(names = "--prefix", description = "Treat each argument as a host/path prefix, not one URL.")
    boolean prefix;

    @Option(names = "--digest", description = "Treat each argument as a SHA-256 (64 hex digits): remove every"
            + " response naming it (X-Linked-Etag, Repr-Digest, sha256 ETag) under any URL, and its slices.")
    boolean digest;

    @Parameters(arity = "1..*", paramLabel = "URL", description = "e.g. models.mirror.test/yunjing/tiny-llama/resolve/main/config.json")
    List<String> targets;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        if (prefix && digest) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--prefix and --digest exclude each other");
        }
        Topology topology = options.topology();
        PrintWriter out = spec.commandLine().getOut();
        Table table = new Table("NODE", "TIER", "RESULT");
        int failed = 0;
        List<Node> caching = topology.nodes().stream().filter(n -> n.tier() != Tier.ORIGIN)
                .sorted((a, b) -> b.tier().rank() - a.tier().rank()).toList();  // edges first
        try (AdminClient admin = AdminClient.open(options.state())) {
            for (Node node : caching) {
                String result = purge(admin, new InetSocketAddress(node.address(), node.ports().admin()));
                failed += result.startsWith("purged") ? 0 : 1;
                table.row(node.id(), node.tier().label(), result);
            }
        }
        table.print(out);
        return failed == 0 ? 0 : 1;
    }

    private String purge(AdminClient admin, InetSocketAddress address) throws InterruptedException {
        StringBuilder query = new StringBuilder();
        for (String target : targets) {
            query.append(query.isEmpty() ? "?" : "&").append(prefix ? "prefix=" : digest ? "digest=" : "url=")
                    .append(URLEncoder.encode(target, StandardCharsets.UTF_8));
        }
        try {
            AdminClient.Reply reply = admin.post(address, "/cache/purge" + query);
            return reply.status() != 200 ? "error " + reply.status() + ": " + reply.body()
                    : "purged " + reply.body().replaceAll("(?s).*\"purged\":(\\d+).*", "$1");
        } catch (IOException e) {
            return AdminClient.describe(e);
        }
    }
}
