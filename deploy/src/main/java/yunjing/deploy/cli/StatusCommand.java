package yunjing.deploy.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import yunjing.deploy.run.Endpoints;
import yunjing.deploy.topology.Node;
import yunjing.deploy.topology.Topology;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code yunjing status}: every node's and the DNS's {@code /readyz}, as a table. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Read every node's /readyz and print the table. Exit 0 when all are ready, 1 otherwise.")
final class StatusCommand implements Callable<Integer> {

    private static final Pattern DETAIL = Pattern.compile("\"detail\":\"([^\"]*)\"");

    @Mixin
    TopologyOptions options;

    @Option(names = "--timeout", paramLabel = "MILLIS", defaultValue = "2000",
            description = "Per-node request timeout in milliseconds (default: ${DEFAULT-VALUE}).")
    int timeoutMillis;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        Topology topology = options.topology();
        PrintWriter out = spec.commandLine().getOut();
        Table table = new Table("NODE", "TIER", "ADDRESS", "HTTP", "HTTPS", "ADMIN", "STATE");
        int notReady = 0;
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(timeoutMillis)).build()) {
            for (Node node : topology.nodes()) {
                String state = probe(client, new InetSocketAddress(node.address(), node.ports().admin()));
                notReady += state.startsWith("ready") ? 0 : 1;
                table.row(node.id(), node.tier().label(), node.address().getHostAddress(),
                        String.valueOf(node.ports().http()),
                        node.tier().label().equals("origin") ? "-" : String.valueOf(node.ports().https()),
                        String.valueOf(node.ports().admin()), state);
            }
            String state = probe(client, topology.dns().admin());
            notReady += state.startsWith("ready") ? 0 : 1;
            table.row("dns", "dns", topology.dns().listen().getAddress().getHostAddress(),
                    topology.dns().listen().getPort() + "/udp+tcp", "-",
                    String.valueOf(topology.dns().admin().getPort()), state);
        }
        table.print(out);
        out.printf("%n%s%n", notReady == 0 ? "all ready" : notReady + " not ready");
        return notReady == 0 ? 0 : 1;
    }

    private String probe(HttpClient client, InetSocketAddress admin) throws InterruptedException {
        URI uri = URI.create("http://" + Endpoints.hostPort(admin) + "/readyz");
        try {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri)
                    .timeout(Duration.ofMillis(timeoutMillis)).GET().build(), HttpResponse.BodyHandlers.ofString());
            Matcher m = DETAIL.matcher(response.body());
            String detail = m.find() ? " (" + m.group(1) + ")" : "";
            return (response.statusCode() == 200 ? "ready" : "not ready " + response.statusCode()) + detail;
        } catch (IOException e) {
            return "down (" + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ")";
        }
    }
}
