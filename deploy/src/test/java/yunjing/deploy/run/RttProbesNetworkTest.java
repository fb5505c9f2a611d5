package yunjing.deploy.run;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.deploy.topology.Topology;
import yunjing.deploy.topology.TopologyLoader;

import java.io.InputStream;
import java.io.StringReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With {@code dns.rtt_probes} in the topology, every edge measures its handshake time to the probe
 * target and the DNS's RTT table gets an entry per edge, without a single client connection.
 */
class RttProbesNetworkTest {

    @TempDir
    Path state;

    @Test
    void everyEdge_isMeasuredByItsProbes_withoutClients() throws Exception {
        String text;
        try (InputStream in = TopologyLoader.class.getClassLoader().getResourceAsStream(TopologyLoader.EMBEDDED)) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        // The kernel completes handshakes into the backlog: the target need not accept.
        try (ServerSocket target = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            String probes = "  max_answers: 2\n  rtt_probes: { interval: 5, targets: [127.0.0.1:" + target.getLocalPort() + "] }";
            Topology topology = TopologyLoader.parse("probes.yaml", new StringReader(text.replace("  max_answers: 2", probes)),
                    Path.of("."));
            try (MirrorNetwork network = MirrorNetwork.startAll(topology, new StateDir(state),
                    RunOptions.of(PortMode.EPHEMERAL, Duration.ofMillis(200)));
                 HttpClient http = HttpClient.newHttpClient()) {
                URI metrics = URI.create("http://" + Endpoints.hostPort(network.role("dns").orElseThrow().adminAddress())
                        + "/metrics");
                long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
                double entries = 0;
                while (entries < 3) {
                    assertTrue(System.nanoTime() < deadline, "3 edges' probes did not reach the DNS within 40 s: " + entries);
                    Thread.sleep(200);
                    entries = rttEntries(http.send(HttpRequest.newBuilder(metrics).build(),
                            HttpResponse.BodyHandlers.ofString()).body());
                }
            }
        }
    }

    private static double rttEntries(String metrics) {
        for (String line : metrics.split("\n")) {
            if (line.startsWith("yunjing_dns_rtt_entries{")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }
}
