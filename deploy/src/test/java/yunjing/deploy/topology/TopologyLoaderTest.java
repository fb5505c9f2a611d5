package yunjing.deploy.topology;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TopologyLoaderTest {

    @TempDir
    Path tmp;

    static String embeddedText() throws IOException {
        try (InputStream in = TopologyLoader.class.getClassLoader().getResourceAsStream(TopologyLoader.EMBEDDED)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static Topology parse(String text) throws TopologyException {
        return TopologyLoader.parse("local.yaml", new StringReader(text), Path.of("."));
    }

    private static String errorOf(String text) {
        return assertThrows(TopologyException.class, () -> parse(text)).getMessage();
    }

    /** Line (1-based) of the first line containing {@code needle}. */
    private static int lineOf(String text, String needle) {
        List<String> lines = text.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(needle)) {
                return i + 1;
            }
        }
        throw new AssertionError(needle);
    }

    @Test
    void embedded_matchesTheArchitectureTable() throws Exception {
        Topology t = TopologyLoader.loadEmbedded();
        assertEquals("mirror.test.", t.zone());
        assertEquals(List.of("origin", "bj-central", "sh-regional", "gz-regional", "sh-telecom", "gz-unicom", "bj-mobile"),
                t.nodes().stream().map(Node::id).toList());
        Node gz = t.node("gz-unicom").orElseThrow();
        assertEquals(Tier.EDGE, gz.tier());
        assertEquals("127.0.0.42", gz.address().getHostAddress());
        assertEquals("GD", gz.province());
        assertEquals(Carrier.UNICOM, gz.carrier());
        assertEquals(List.of("gz-regional", "sh-regional"), gz.parents());
        assertEquals(new Ports(8080, 8443, 9090), gz.ports());
        assertNull(t.node("origin").orElseThrow().carrier());
        assertEquals(5353, t.dns().listen().getPort());
        assertEquals("api.mirror.test.", t.serviceFqdn("api"));
        assertEquals("models.mirror.test.", t.serviceFqdn("models"));
        assertEquals(5, t.plans().get("free").concurrent());
        assertEquals(1000, t.plans().get("free").requestsPerDay());
        assertEquals(List.of("origin", "bj-central", "sh-regional", "gz-regional", "sh-telecom", "gz-unicom", "bj-mobile"),
                t.nodesInStartOrder().stream().map(Node::id).toList());
        ModelRef model = t.node("origin").orElseThrow().models().get(0);
        assertEquals(new ModelRef("tiny-llama", "yunjing/tiny-llama", "main", 42L), model);
    }

    @Test
    void rttProbes_areOffByDefault_andReadWithTheirDefaults() throws Exception {
        assertEquals(RttProbes.NONE, TopologyLoader.loadEmbedded().dns().rttProbes());
        String text = embeddedText().replace("  max_answers: 2",
                "  max_answers: 2\n  rtt_probes:\n    targets: [101.80.0.1:80, \"[240e::1]:443\"]");
        RttProbes probes = parse(text).dns().rttProbes();
        assertTrue(probes.enabled());
        assertEquals(List.of(new java.net.InetSocketAddress("101.80.0.1", 80),
                new java.net.InetSocketAddress("240e::1", 443)), probes.targets());
        assertEquals(RttProbes.DEFAULT_INTERVAL, probes.interval());
        assertEquals(RttProbes.DEFAULT_TIMEOUT, probes.timeout());
        RttProbes tuned = parse(embeddedText().replace("  max_answers: 2",
                "  max_answers: 2\n  rtt_probes: { interval: 60, timeout_ms: 500, targets: [58.248.0.1:53] }"))
                .dns().rttProbes();
        assertEquals(java.time.Duration.ofSeconds(60), tuned.interval());
        assertEquals(java.time.Duration.ofMillis(500), tuned.timeout());
    }

    @Test
    void rttProbes_badTargetsAndSettings_areRejectedWithTheirLine() throws Exception {
        String noPort = embeddedText().replace("  max_answers: 2", "  max_answers: 2\n  rtt_probes: { targets: [101.80.0.1] }");
        assertTrue(errorOf(noPort).startsWith("local.yaml:" + lineOf(noPort, "rtt_probes")), errorOf(noPort));
        assertTrue(errorOf(noPort).contains("must be address:port"), errorOf(noPort));
        String portZero = embeddedText().replace("  max_answers: 2", "  max_answers: 2\n  rtt_probes: { targets: [101.80.0.1:0] }");
        assertTrue(errorOf(portZero).contains("needs a port that accepts TCP connections"), errorOf(portZero));
        String fast = embeddedText().replace("  max_answers: 2", "  max_answers: 2\n  rtt_probes: { interval: 1, targets: [101.80.0.1:80] }");
        assertTrue(errorOf(fast).contains("'interval': 1 (expected: 5..3600)"), errorOf(fast));
        String typo = embeddedText().replace("  max_answers: 2", "  max_answers: 2\n  rtt_probes: { target: [101.80.0.1:80] }");
        assertTrue(errorOf(typo).contains("unknown field 'target'"), errorOf(typo));
    }

    @Test
    void udpThreads_defaultToOnePerCore_andAreBounded() throws Exception {
        assertEquals(0, TopologyLoader.loadEmbedded().dns().udpThreads());
        assertEquals(1, parse(embeddedText().replace("  max_answers: 2", "  max_answers: 2\n  udp_threads: 1")).dns().udpThreads());
        String many = embeddedText().replace("  max_answers: 2", "  max_answers: 2\n  udp_threads: 65");
        assertTrue(errorOf(many).startsWith("local.yaml:" + lineOf(many, "udp_threads")), errorOf(many));
        assertTrue(errorOf(many).contains("'udp_threads': 65 (expected: 0..64)"), errorOf(many));
    }

    @Test
    void embedded_keysAreHashesOfTheDemoKeys() throws Exception {
        Topology t = TopologyLoader.loadEmbedded();
        String free = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest("sk-yunjing-local-free".getBytes(StandardCharsets.UTF_8)));
        assertEquals(free, t.keys().get(0).sha256());
        assertEquals("free", t.keys().get(0).plan());
        assertTrue(embeddedText().lines().noneMatch(l -> l.contains("sha256:") && l.contains("sk-yunjing")),
                "no plaintext key in a sha256 field");
    }

    @Test
    void misspelledParent_namesFileLineNodeAndParent() throws Exception {
        String text = embeddedText().replace("parents: [gz-regional, sh-regional]", "parents: [gz-regonal, sh-regional]");
        assertEquals("local.yaml:" + lineOf(text, "- id: gz-unicom")
                + ": node 'gz-unicom': parent 'gz-regonal' does not exist", errorOf(text));
    }

    @Test
    void unknownField_isRejectedWithItsLine() throws Exception {
        String text = embeddedText().replace("    carrier: mobile", "    carrier: mobile\n    parnets: [origin]");
        String error = errorOf(text);
        assertTrue(error.startsWith("local.yaml:" + lineOf(text, "parnets") + ": unknown field 'parnets'"), error);
    }

    @Test
    void accessLog_defaultOffOrAPath_andNotOnTheOrigin() throws Exception {
        Topology t = parse(embeddedText().replace("    carrier: mobile\n", "    carrier: mobile\n    access_log: off\n")
                .replace("    carrier: unicom\n", "    carrier: unicom\n    access_log: logs/gz.jsonl\n"));
        assertEquals(Node.ACCESS_LOG_OFF, t.node("bj-mobile").orElseThrow().accessLog());
        assertEquals("logs/gz.jsonl", t.node("gz-unicom").orElseThrow().accessLog());
        assertEquals(null, t.node("sh-telecom").orElseThrow().accessLog());
        String error = errorOf(embeddedText().replace("        generate: { seed: 42 }", "        generate: { seed: 42 }\n    access_log: off"));
        assertTrue(error.contains("access_log is for proxy nodes"), error);
    }

    @Test
    void edgeWithoutCarrier_isRejected() throws Exception {
        String error = errorOf(embeddedText().replace("    carrier: mobile\n", ""));
        assertTrue(error.contains("node 'bj-mobile': an edge needs a carrier"), error);
    }

    @Test
    void modelImages_defaultToRefuse_andAcceptIgnore() throws Exception {
        String ignoring = embeddedText().replace("repo: yunjing/tiny-llama\n", "repo: yunjing/tiny-llama\n        images: ignore\n");
        assertEquals(yunjing.origin.ModelSpec.ImageParts.IGNORE,
                parse(ignoring).node("origin").orElseThrow().models().get(0).images());
        assertTrue(errorOf(ignoring.replace("images: ignore", "images: maybe"))
                .contains("images 'maybe' is not one of refuse, ignore"));
    }

    @Test
    void badEnumsAndProvince_listTheAllowedValues() throws Exception {
        assertTrue(errorOf(embeddedText().replace("carrier: mobile", "carrier: cmcc"))
                .contains("carrier 'cmcc' is not one of telecom, unicom, mobile, edu"));
        assertTrue(errorOf(embeddedText().replace("tier: central", "tier: middle")).contains("tier 'middle'"));
        assertTrue(errorOf(embeddedText().replace("province: GD\n    carrier", "province: XX\n    carrier"))
                .contains("province 'XX' is not an ISO 3166-2:CN code"));
    }

    @Test
    void parentInSameOrLowerTier_isRejected() throws Exception {
        String error = errorOf(embeddedText().replace("parents: [bj-central]\n\n  - id: gz-regional",
                "parents: [gz-regional]\n\n  - id: gz-regional"));
        assertTrue(error.contains("node 'sh-regional': parent 'gz-regional' is a regional node"), error);
    }

    @Test
    void duplicateIdsAndListeners_areRejected() throws Exception {
        assertTrue(errorOf(embeddedText().replace("id: bj-mobile", "id: gz-unicom"))
                .contains("node id 'gz-unicom' is declared twice"));
        assertTrue(errorOf(embeddedText().replace("address: 127.0.0.43", "address: 127.0.0.42"))
                .contains("already used by node 'gz-unicom'"));
    }

    @Test
    void yamlSyntaxError_pointsAtTheLine() throws Exception {
        String text = embeddedText().replace("    tier: central", "    tier: [central");
        String error = errorOf(text);
        assertTrue(error.startsWith("local.yaml:") && error.contains("YAML syntax"), error);
    }

    @Test
    void plaintextKeyInSha256Field_isRejected() throws Exception {
        String text = embeddedText().replaceFirst("sha256: [0-9a-f]{64}", "sha256: sk-yunjing-local-free");
        assertTrue(errorOf(text).contains("key 'local-free': sha256 must be 64 hex digits"));
        assertTrue(errorOf(embeddedText().replace("plan: free, sha256", "plan: gold, sha256"))
                .contains("plan 'gold' does not exist"));
    }

    @Test
    void reservedDnsId_isRejected() throws Exception {
        assertTrue(errorOf(embeddedText().replace("id: bj-mobile", "id: dns")).contains("reserved"));
    }

    @Test
    void keyFiles_areReadRelativeToTheTopology() throws Exception {
        Files.writeString(tmp.resolve("keys.yaml"), "keys:\n  - { id: team-a, plan: pro, sha256: " + "ab".repeat(32) + " }\n");
        Path topology = tmp.resolve("prod.yaml");
        Files.writeString(topology, embeddedText() + "key_files: [keys.yaml]\n");
        Topology t = TopologyLoader.load(topology);
        assertEquals("team-a", t.keys().get(2).id());

        Files.writeString(tmp.resolve("keys.yaml"), "keys:\n  - { id: team-a, plan: pro, sha256: nope }\n");
        String error = assertThrows(TopologyException.class, () -> TopologyLoader.load(topology)).getMessage();
        assertTrue(error.startsWith(tmp.resolve("keys.yaml") + ":2:"), error);
    }

    @Test
    void missingFile_saysSo() {
        String error = assertThrows(TopologyException.class, () -> TopologyLoader.load(tmp.resolve("nope.yaml"))).getMessage();
        assertTrue(error.endsWith("nope.yaml: no such file"), error);
    }
}
