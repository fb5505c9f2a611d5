package yunjing.proxy;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import yunjing.proxy.cache.CacheKey;
import yunjing.proxy.testing.ChatOrigin;
import yunjing.proxy.testing.LeakCheck;
import yunjing.proxy.testing.Nodes;
import yunjing.proxy.testing.TestNetwork;
import yunjing.proxy.upstream.ParentSelector;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static yunjing.proxy.testing.TestNetwork.uri;

/**
 * Parent selection through real nodes: an edge in front of two regional proxies (and a central one as
 * the grandparent tier) in front of a {@link ChatOrigin}. Which parent served a request is read from the
 * response's {@code Via}, where each node appends itself.
 */
@ExtendWith(LeakCheck.class)
class ProxyParentSelectionTest {

    private static final ApiPlan PLAN = new ApiPlan("pro", 50, 10_000, 10_000, 0, 5);
    @RegisterExtension
    static final TestNetwork NET = new TestNetwork("selection-test");

    private ChatOrigin origin;

    @BeforeEach
    void startOrigin() throws Exception {
        origin = NET.add(new ChatOrigin());
    }

    @Test
    void eachKeyGoesToItsRendezvousHome_everyTime_andKeysSpreadOverBothParents() throws Exception {
        List<ParentConfig> regionals = List.of(regional("sh-regional"), regional("gz-regional"));
        ProxyServer edge = NET.startWithHealthyParents(config(regionals, List.of(), ApiAccess.OPEN));
        ParentSelector expected = new ParentSelector(regionals, List.of(), id -> true);
        String host = "127.0.0.1:" + edge.httpAddress().getPort();
        Set<String> used = new HashSet<>();

        for (int i = 0; i < 16; i++) {
            String path = "/stream?n=1&k=" + i;
            String home = expected.order(CacheKey.primary(host, path)).getFirst();
            for (int repeat = 0; repeat < 2; repeat++) {
                HttpResponse<String> response = NET.get(edge, path);
                assertEquals(200, response.statusCode());
                assertEquals(home, servedBy(response), path);
            }
            used.add(home);
        }
        assertEquals(Set.of("sh-regional", "gz-regional"), used);
    }

    @Test
    void everyParentDown_failsOverToTheGrandparentTier() throws Exception {
        ProxyServer central = startNode("bj-central", "central", List.of(Nodes.origin(origin)));
        ParentConfig centralParent = Nodes.parent(central, "bj-central");
        ProxyServer sh = startNode("sh-regional", "regional", List.of(centralParent));
        ProxyServer gz = startNode("gz-regional", "regional", List.of(centralParent));
        ProxyServer edge = NET.start(config(List.of(Nodes.parent(sh, "sh-regional"), Nodes.parent(gz, "gz-regional")),
                List.of(centralParent), ApiAccess.OPEN));
        Nodes.await("all healthy", () -> edge.parentHealth().size() == 3
                && edge.parentHealth().values().stream().allMatch(h -> h));
        assertTrue(servedBy(NET.get(edge, "/stream?n=1")).endsWith("regional"), "normally a regional serves");

        sh.close();
        gz.close();

        // At once (health has not noticed yet): both regionals refuse, the central answers.
        HttpResponse<String> response = NET.get(edge, "/stream?n=2");
        assertEquals(200, response.statusCode(), response.body());
        assertEquals("bj-central", servedBy(response));
        assertTrue(response.body().contains("data: [DONE]"));
        // And once health has: the regionals are down, the node stays ready through its grandparent.
        Nodes.await("regionals down", () -> edge.parentHealth().equals(
                Map.of("sh-regional", false, "gz-regional", false, "bj-central", true)));
        assertTrue(edge.isReady());
        assertEquals("bj-central", servedBy(NET.get(edge, "/stream?n=1&again")));
    }

    @Test
    void chatSession_staysOnOneParentTurnAfterTurn_andFailsOverWhenItsParentGoes() throws Exception {
        ProxyServer sh = startNode("sh-regional", "regional", List.of(Nodes.origin(origin)));
        ProxyServer gz = startNode("gz-regional", "regional", List.of(Nodes.origin(origin)));
        ApiAccess access = new ApiAccess(Map.of("pro", PLAN),
                List.of(new ApiKeyEntry("k1", "pro", ApiAccess.sha256Hex("sk-test"))));
        ProxyServer edge = NET.startWithHealthyParents(config(
                List.of(Nodes.parent(sh, "sh-regional"), Nodes.parent(gz, "gz-regional")), List.of(), access));

        Set<String> homes = new HashSet<>();
        String homeOfFirst = null;
        for (int session = 0; session < 8; session++) {
            String home = null;
            for (int turn = 1; turn <= 3; turn++) {
                HttpResponse<String> response = chat(edge, session, turn, null);
                assertEquals(200, response.statusCode(), response.body());
                String servedBy = servedBy(response);
                if (home == null) {
                    home = servedBy;
                }
                assertEquals(home, servedBy, "session " + session + " turn " + turn);
            }
            // A client cannot steer its session elsewhere: the edge replaces X-Yunjing-Affinity.
            assertEquals(home, servedBy(chat(edge, session, 4, "forged")));
            homes.add(home);
            homeOfFirst = homeOfFirst == null ? home : homeOfFirst;
        }
        assertEquals(Set.of("sh-regional", "gz-regional"), homes, "sessions spread over both parents");

        (homeOfFirst.equals("sh-regional") ? sh : gz).close();
        HttpResponse<String> afterLoss = chat(edge, 0, 5, null);
        assertEquals(200, afterLoss.statusCode(), afterLoss.body());
        assertFalse(servedBy(afterLoss).equals(homeOfFirst), "failed over to the other parent");
    }

    private HttpResponse<String> chat(ProxyServer edge, int session, int turns, String forgedAffinity) throws Exception {
        StringBuilder messages = new StringBuilder("{\"role\":\"system\",\"content\":\"phone agent\"},"
                + "{\"role\":\"user\",\"content\":\"task " + session + "\"}");
        for (int t = 1; t < turns; t++) {
            messages.append(",{\"role\":\"assistant\",\"content\":\"step ").append(t).append("\"}")
                    .append(",{\"role\":\"user\",\"content\":\"screen ").append(t).append("\"}");
        }
        String body = "{\"model\":\"autoglm-phone-9b\",\"stream\":true,\"messages\":[" + messages + "]}";
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(edge, "/v1/chat/completions"))
                .header("Authorization", "Bearer sk-test")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (forgedAffinity != null) {
            request.header("X-Yunjing-Affinity", forgedAffinity);
        }
        return NET.client().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private ParentConfig regional(String id) throws Exception {
        return Nodes.parent(startNode(id, "regional", List.of(Nodes.origin(origin))), id);
    }

    private ProxyServer startNode(String id, String tier, List<ParentConfig> parents) throws Exception {
        return NET.startReady(id, Nodes.config(id, tier, parents), NET.metrics());
    }

    private static ProxyConfig config(List<ParentConfig> parents, List<ParentConfig> grandparents, ApiAccess access) {
        return Nodes.edge(parents, access, UpstreamConfig.DEFAULT.withGrandparents(grandparents));
    }

    private static String via(HttpResponse<?> response) {
        return String.join(", ", response.headers().allValues("via"));
    }

    /** The edge's parent that served the response: the entry of Via before the edge's own (the last). */
    static String servedBy(HttpResponse<?> response) {
        String[] entries = via(response).split(",");
        String parent = entries[entries.length - 2].strip();
        return parent.substring(parent.indexOf(' ') + 1);
    }
}
