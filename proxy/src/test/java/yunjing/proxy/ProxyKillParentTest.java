package yunjing.proxy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import yunjing.proxy.testing.ChatOrigin;
import yunjing.proxy.testing.LeakCheck;
import yunjing.proxy.testing.Nodes;
import yunjing.proxy.testing.TestNetwork;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static yunjing.proxy.testing.TestNetwork.uri;

/**
 * Issue 4's acceptance test: a parent is killed while requests are in flight through the edge. Requests
 * not yet sent upstream (connecting, or whose body had not started) fail over and succeed; streams
 * already running end with a clear error event; none hangs.
 */
@ExtendWith(LeakCheck.class)
class ProxyKillParentTest {

    private static final String CHAT = "{\"model\":\"autoglm-phone-9b\",\"stream\":true,\"messages\":[]}";
    @RegisterExtension
    static final TestNetwork NET = new TestNetwork("kill-parent-test");

    private ChatOrigin origin;

    @Test
    void killedParent_pendingRequestsFailOver_runningStreamsEndWithAnErrorEvent_noneHangs() throws Exception {
        killParentWhileRequestsAreInFlight(UpstreamConfig.DEFAULT);
    }

    /** The same over multiplexed h2 upstream: the victim's GOAWAY and closed streams, not closed connections. */
    @Test
    void killedParent_overHttp2Upstream_sameOutcome() throws Exception {
        killParentWhileRequestsAreInFlight(UpstreamConfig.DEFAULT.withHttp2(true));
    }

    private void killParentWhileRequestsAreInFlight(UpstreamConfig upstream) throws Exception {
        origin = NET.add(new ChatOrigin());
        ProxyServer victim = startRegional("sh-regional");
        ProxyServer survivor = startRegional("gz-regional");
        List<ParentConfig> parents = List.of(Nodes.parent(victim, "sh-regional"), Nodes.parent(survivor, "gz-regional"));
        ProxyServer edge = NET.startWithHealthyParents(Nodes.edge(parents, ApiAccess.OPEN, upstream));

        assertTimeoutPreemptively(Duration.ofSeconds(40), () -> {
            // In flight: one long stream on the victim, one short stream on the survivor…
            String doomedPath = Nodes.pathHomedOn(parents, "sh-regional", edge, "/v1/chat/completions?n=400&gap=25&k=");
            String livePath = Nodes.pathHomedOn(parents, "gz-regional", edge, "/v1/chat/completions?n=60&gap=25&k=");
            Stream doomed = stream(edge, doomedPath);
            Stream live = stream(edge, livePath);
            doomed.firstEvent.get(10, TimeUnit.SECONDS);
            live.firstEvent.get(10, TimeUnit.SECONDS);
            // …and a chunked POST to the victim whose head went upstream but whose body has not started.
            String pendingPath = Nodes.pathHomedOn(parents, "sh-regional", edge, "/v1/chat/completions?n=2&k=");
            try (Socket pending = new Socket("127.0.0.1", edge.httpAddress().getPort())) {
                pending.setSoTimeout(15_000);
                OutputStream out = pending.getOutputStream();
                out.write(("POST " + pendingPath + " HTTP/1.1\r\nHost: 127.0.0.1:" + edge.httpAddress().getPort()
                        + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                Nodes.await("the pending POST's head reached the origin through the victim", () -> origin.started.get() == 3);

                victim.close();

                // The running stream on the victim: an error event, then the end.
                List<String> doomedLines = doomed.done.get(10, TimeUnit.SECONDS);
                String last = doomedLines.getLast();
                assertTrue(last.startsWith("data: {\"error\":") && last.contains("\"code\":\"bad_gateway\"")
                        && last.contains("sh-regional"), last);
                assertTrue(doomedLines.stream().noneMatch(l -> l.contains("[DONE]")));

                // The pending POST: its body goes to the survivor now, whole.
                byte[] body = CHAT.getBytes(StandardCharsets.UTF_8);
                out.write((Integer.toHexString(body.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.write("\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String response = readResponse(pending.getInputStream());
                assertTrue(response.startsWith("HTTP/1.1 200"), response);
                assertTrue(response.contains("1.1 gz-regional"), response);
                assertTrue(response.contains("data: [DONE]"), response);
                assertTrue(origin.bodies.contains(CHAT), "the origin got the whole body");
            }

            // Requests sent after the kill, homed on the victim: connect refused, failed over.
            for (int i = 0; i < 3; i++) {
                String path = Nodes.pathHomedOn(parents, "sh-regional", edge, "/v1/chat/completions?n=1&after" + i + "=");
                HttpResponse<String> response = NET.client().send(HttpRequest.newBuilder(uri(edge, path))
                        .POST(HttpRequest.BodyPublishers.ofString(CHAT)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, response.statusCode(), response.body());
                assertTrue(response.body().endsWith("data: [DONE]\n\n"));
            }

            // The stream on the survivor never noticed.
            List<String> liveLines = live.done.get(15, TimeUnit.SECONDS);
            assertEquals("data: [DONE]", liveLines.getLast());
        });
        assertTrue(retries("closed_before_body") >= 1, "the pending POST was retried for its cause");
        assertTrue(retries("connect_failure") >= 1, "requests after the kill were retried for theirs");
    }

    private double retries(String cause) {
        return NET.count("yunjing.proxy.upstream.retries", "cause", cause);
    }

    /** A streaming POST read line by line; {@code done} has its non-empty lines once it ends. */
    private record Stream(CompletableFuture<Void> firstEvent, CompletableFuture<List<String>> done) {
    }

    private Stream stream(ProxyServer edge, String path) {
        CompletableFuture<Void> first = new CompletableFuture<>();
        List<String> lines = new CopyOnWriteArrayList<>();
        CompletableFuture<List<String>> done = NET.client().sendAsync(HttpRequest.newBuilder(uri(edge, path))
                        .POST(HttpRequest.BodyPublishers.ofString(CHAT)).build(), HttpResponse.BodyHandlers.ofLines())
                .thenApply(response -> {
                    response.body().filter(line -> !line.isEmpty()).forEach(line -> {
                        lines.add(line);
                        first.complete(null);
                    });
                    return List.copyOf(lines);
                });
        return new Stream(first, done);
    }

    /** Reads a chunked HTTP/1.1 response up to its last chunk, as raw text. */
    private static String readResponse(InputStream in) throws Exception {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        for (int n; (n = in.read(buffer)) > 0; ) {
            seen.write(buffer, 0, n);
            if (seen.toString(StandardCharsets.UTF_8).endsWith("\r\n0\r\n\r\n")) {
                break;
            }
        }
        return seen.toString(StandardCharsets.UTF_8);
    }

    private ProxyServer startRegional(String id) throws Exception {
        // Their own meters: the retries counted below must be the edge's.
        return NET.startReady(id, Nodes.config(id, "regional", List.of(Nodes.origin(origin))), new SimpleMeterRegistry());
    }
}
