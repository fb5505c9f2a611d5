package yunjing.deploy.topology;

import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The topology's {@code sync:} section: replicas, canaries, repositories, key fields, and their errors. */
class SyncSettingsTest {

    private static Topology parse(String text) throws TopologyException {
        return TopologyLoader.parse("t.yaml", new StringReader(text), Path.of("/etc/yunjing"));
    }

    private static String withSync(String section) throws Exception {
        String text = TopologyLoaderTest.embeddedText();
        int from = text.indexOf("sync:\n");
        int to = text.indexOf("plans:\n");
        return text.substring(0, from) + section + "\n" + text.substring(to);
    }

    @Test
    void embedded_replicatesToCentralAndRegionals_withShanghaiAsCanary() throws Exception {
        Topology t = TopologyLoader.loadEmbedded();
        assertEquals(List.of("bj-central", "sh-regional", "gz-regional"), t.sync().replicas());
        assertEquals(List.of("sh-regional"), t.sync().canaries());
        assertEquals(Duration.ofSeconds(2), t.sync().poll());
        assertEquals(List.of("yunjing/tiny-llama"), t.syncedRepos());
        assertNull(t.sync().publicKey());
    }

    @Test
    void fields_areRead_andKeyPathsResolveAgainstTheFile() throws Exception {
        Topology t = parse(withSync("sync:\n  replicas: [bj-central]\n  repos: [acme/data]\n  poll_ms: 500\n"
                + "  pins: { bj-central: { acme/data: main } }\n"
                + "  public_key: MCowBQYDK2VwAyEAabc\n  private_key: keys/manifest-key.pem\n"));
        assertEquals(List.of("yunjing/tiny-llama", "acme/data"), t.syncedRepos());
        assertEquals(Duration.ofMillis(500), t.sync().poll());
        assertEquals(java.util.Map.of("bj-central", java.util.Map.of("acme/data", "main")), t.sync().pins());
        assertEquals("MCowBQYDK2VwAyEAabc", t.sync().publicKey());
        assertEquals(Path.of("/etc/yunjing/keys/manifest-key.pem"), t.sync().privateKey());
        assertEquals(SyncSettings.Agent.DEFAULT, t.sync().agent());
        assertEquals(3, t.sync().agent().keepRevisions(), "a replica keeps three revisions unless told");
        assertEquals(Duration.ZERO, t.sync().autoPromote(), "promote by hand unless told");
        assertEquals(0, t.sync().originKeepRevisions(), "the origin keeps every revision unless told");
    }

    @Test
    void agentFields_areRead() throws Exception {
        Topology t = parse(withSync("sync:\n  replicas: [bj-central]\n  concurrency: 3\n  limit_rate: 10M\n"
                + "  ntp: 127.0.0.1:11123\n  max_clock_skew_s: 5\n  keep_revisions: 0\n  auto_promote_s: 600\n"
                + "  origin_keep_revisions: 20\n"));
        assertEquals(new SyncSettings.Agent(3, 10L << 20, "127.0.0.1:11123", Duration.ofSeconds(5), 0), t.sync().agent());
        assertEquals(Duration.ofMinutes(10), t.sync().autoPromote());
        assertEquals(20, t.sync().originKeepRevisions());
    }

    @Test
    void noSection_meansNoReplicas() throws Exception {
        Topology t = parse(withSync(""));
        assertTrue(t.sync().replicas().isEmpty());
    }

    @Test
    void badSections_areRefusedNamingTheProblem() throws Exception {
        assertTrue(error("sync:\n  replicas: [nowhere]\n").contains("replica 'nowhere' is not a node"));
        assertTrue(error("sync:\n  replicas: [sh-telecom]\n").contains("is on the edge tier (expected: central or regional)"));
        assertTrue(error("sync:\n  replicas: [origin]\n").contains("(expected: central or regional)"));
        assertTrue(error("sync:\n  replicas: [bj-central]\n  canary: [sh-regional]\n")
                .contains("canary 'sh-regional' is not one of the replicas"));
        assertTrue(error("sync:\n  replicas: [bj-central]\n  repos: [../etc]\n").contains("must look like owner/name"));
        assertTrue(error("sync:\n  replicas: [bj-central]\n  poll_ms: 0\n").contains("poll_ms"));
        assertTrue(error("sync:\n  replica: [bj-central]\n").contains("replica"));
        assertTrue(error("sync:\n  replicas: [bj-central]\n  concurrency: 0\n").contains("concurrency"));
        assertTrue(error("sync:\n  replicas: [bj-central]\n  limit_rate: fast\n").contains("limit_rate"));
        assertTrue(error("sync:\n  replicas: [bj-central]\n  ntp: 'ntp.example/x'\n").contains("ntp"));
        assertTrue(error("sync:\n  replicas: [bj-central]\n  max_clock_skew_s: -1\n").contains("max_clock_skew_s"));
        assertTrue(error("sync:\n  replicas: [bj-central]\n  keep_revisions: -1\n").contains("keep_revisions"));
        assertTrue(error("sync:\n  replicas: [bj-central]\n  auto_promote_s: -5\n").contains("auto_promote_s"));
        assertTrue(error("sync:\n  replicas: [bj-central]\n  origin_keep_revisions: -1\n").contains("origin_keep_revisions"));
        assertTrue(error("sync:\n  replicas: [bj-central]\n  pins: { sh-regional: { acme/d: main } }\n")
                .contains("pins: 'sh-regional' is not one of the replicas"));
        assertTrue(error("sync:\n  replicas: [bj-central]\n  pins: { bj-central: { bad: main } }\n")
                .contains("must look like owner/name"));
    }

    private static String error(String section) throws Exception {
        String text = withSync(section);
        String message = assertThrows(TopologyException.class, () -> parse(text)).getMessage();
        assertTrue(message.startsWith("t.yaml:"), message);
        return message;
    }
}
