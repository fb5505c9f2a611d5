package yunjing.deploy.run;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;
import yunjing.deploy.topology.TopologyLoader;

import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The DNS's operations on its admin port in the local network (ephemeral ports): RTT reports
 * ({@code POST /rtt}, token-guarded), reload ({@code POST /reload}), the metrics, and the edges'
 * own RTT reporters delivering the RTTs of real client connections.
 */
class DnsOperationsTest {

    @TempDir
    static Path state;
    static MirrorNetwork network;
    static HttpClient http;

    @BeforeAll
    static void startNetwork() throws Exception {
        network = MirrorNetwork.startAll(TopologyLoader.loadEmbedded(), new StateDir(state),
                RunOptions.of(PortMode.EPHEMERAL, Duration.ofMillis(200)));
        network.awaitReady(Duration.ofSeconds(60));
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void stopNetwork() {
        if (network != null) {
            network.close();
        }
        if (http != null) {
            http.close();
        }
    }

    private static RunningRole dns() {
        return network.role("dns").orElseThrow();
    }

    private static HttpResponse<String> post(String path, String body, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + Endpoints.hostPort(dns().adminAddress())
                + path)).timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String metrics() throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + Endpoints.hostPort(dns().adminAddress())
                + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static String token() throws Exception {
        return Files.readString(state.resolve("admin.token")).strip();
    }

    @Test
    void rttReports_needTheToken_andBadOnesGet400() throws Exception {
        String report = "[{\"node\":\"sh-telecom\",\"client\":\"198.51.100.0/24\",\"rtt_ms\":12.5,\"samples\":40},"
                + "{\"node\":\"no-such-edge\",\"client\":\"198.51.100.0/24\",\"rtt_ms\":3}]";
        assertEquals(401, post("/rtt", report, null).statusCode());
        HttpResponse<String> ok = post("/rtt", report, token());
        assertEquals(200, ok.statusCode(), ok.body());
        assertTrue(ok.body().startsWith("{\"accepted\":1,"), ok.body());
        HttpResponse<String> bad = post("/rtt", "[{\"node\":\"sh-telecom\"}]", token());
        assertEquals(400, bad.statusCode());
        assertTrue(bad.body().contains("report 0: client"), bad.body());
        assertTrue(metrics().contains("yunjing_dns_rtt_entries{"), "RTT table size gauge");
    }

    @Test
    void edges_reportTheRttsOfTheirClientConnections() throws Exception {
        RunningRole edge = network.role("gz-unicom").orElseThrow();
        // Hold a client connection open across a report round (every 10 s): the edge reads its TCP_INFO.
        try (Socket client = new Socket(edge.http().getAddress(), edge.http().getPort())) {
            client.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
            long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
            while (!metrics().contains("yunjing_dns_rtt_entries{") || rttEntries() < 1) {
                assertTrue(System.nanoTime() < deadline, "no RTT report from the edges within 40 s:\n" + metrics());
                Thread.sleep(200);
            }
        }
    }

    private static double rttEntries() throws Exception {
        for (String line : metrics().split("\n")) {
            if (line.startsWith("yunjing_dns_rtt_entries{")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }

    @Test
    void reload_needsTheToken_andKeepsAnswering() throws Exception {
        assertEquals(401, post("/reload", "", null).statusCode());
        HttpResponse<String> reloaded = post("/reload", "", token());
        assertEquals(200, reloaded.statusCode(), reloaded.body());
        assertTrue(reloaded.body().contains("\"targets\":3"), reloaded.body());
        SimpleResolver resolver = new SimpleResolver(dns().http());
        resolver.setTimeout(Duration.ofSeconds(5));
        Message answer = resolver.send(Message.newQuery(Record.newRecord(Name.fromString("api.mirror.test."), Type.A, DClass.IN)));
        assertEquals(2, answer.getSection(org.xbill.DNS.Section.ANSWER).size());
    }

    @Test
    void metrics_showQueriesByRcodeNameAndRule_andHealthStates() throws Exception {
        SimpleResolver resolver = new SimpleResolver(dns().http());
        resolver.setTimeout(Duration.ofSeconds(5));
        resolver.send(Message.newQuery(Record.newRecord(Name.fromString("api.mirror.test."), Type.A, DClass.IN)));
        resolver.send(Message.newQuery(Record.newRecord(Name.fromString("nope.mirror.test."), Type.A, DClass.IN)));
        String m = metrics();
        assertTrue(m.contains("yunjing_dns_queries_total{") && m.contains("rcode=\"NXDOMAIN\""), m);
        assertTrue(m.contains("yunjing_dns_names_total{") && m.contains("name=\"api.mirror.test.\""), m);
        assertTrue(m.contains("yunjing_dns_steered_total{") && m.contains("rule=\"health\""), m);
        assertTrue(m.contains("yunjing_dns_target_healthy{") && m.contains("target=\"sh-telecom\""), m);
        assertTrue(m.contains("yunjing_dns_target_state{") && m.contains("state=\"up\""), m);
    }
}
