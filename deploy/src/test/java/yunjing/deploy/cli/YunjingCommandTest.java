package yunjing.deploy.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.deploy.topology.TopologyLoader;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Exit codes and one-line errors for bad input; nothing may be left listening afterwards. */
class YunjingCommandTest {

    @TempDir
    Path tmp;

    record Result(int code, String out, String err) {
    }

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = YunjingCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    private static String embedded() throws IOException {
        try (InputStream in = TopologyLoader.class.getClassLoader().getResourceAsStream(TopologyLoader.EMBEDDED)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** The embedded topology moved to free ports, so a test can start it without clashing with a running `up`. */
    private Path topologyOnFreePorts(String extraEdit) throws IOException {
        String text = embedded()
                .replace("ports: { http: 8080, https: 8443, admin: 9090 }",
                        "ports: { http: " + freePort() + ", https: " + freePort() + ", admin: " + freePort() + " }")
                .replace("127.0.0.1:5353", "127.0.0.1:" + freePort())
                .replace("127.0.0.1:9053", "127.0.0.1:" + freePort());
        Path file = tmp.resolve("topology.yaml");
        if (extraEdit != null) {
            String[] fromTo = extraEdit.split("=>", -1);
            assertTrue(text.contains(fromTo[0]), "edit applies: " + fromTo[0]);
            text = text.replace(fromTo[0], fromTo[1]);
        }
        Files.writeString(file, text);
        return file;
    }

    private static void assertOneLine(String err) {
        assertEquals(1, err.strip().lines().count(), "one line: " + err);
    }

    /** The event loops were shut down; their threads end a moment after the group reports terminated. */
    private static void assertNothingLeftRunning() throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.isAlive() && t.getName().startsWith("yunjing-io"))) {
            assertTrue(System.nanoTime() < deadline, "event loop threads still running 5 s after the command returned");
            Thread.sleep(20);
        }
    }

    @Test
    void help_listsTheCommands() {
        Result r = run("--help");
        assertEquals(0, r.code());
        for (String command : new String[]{"up", "node", "status", "model"}) {
            assertTrue(r.out().contains(command), r.out());
        }
        assertEquals(0, run("up", "--help").code());
        assertEquals(0, run("model", "gen", "--help").code());
    }

    @Test
    void everySubcommand_isFoundByName_whenOnlyItsTreeIsBuilt() {
        // A command line naming a subcommand gets only that subcommand's tree (a faster start);
        // every name --help lists must still resolve, and help of any command still works.
        Result help = run("--help");
        java.util.List<String> names = help.out().lines().dropWhile(line -> !line.startsWith("Commands:")).skip(1)
                .filter(line -> line.matches("  [a-z]+ .*")).map(line -> line.strip().split(" ")[0]).toList();
        assertTrue(names.size() >= 14 && names.contains("sync") && names.contains("help"), help.out());
        for (String name : names) {
            Result r = run(name, "--help");
            assertEquals(0, r.code(), name + ": " + r.err());
            assertTrue(r.out().contains("Usage: yunjing " + name), r.out());
        }
        Result sync = run("help", "sync");
        assertEquals(0, sync.code(), sync.err());
        assertTrue(sync.out().contains("follow") && sync.out().contains("pull"), sync.out());
    }

    @Test
    void unknownOption_exits2WithAHint() {
        Result r = run("up", "--bogus");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("Unknown option: '--bogus'"), r.err());
        assertTrue(r.err().contains("yunjing up --help"), r.err());
        assertEquals(2, run("frobnicate").code());
        assertEquals(2, run().code());
    }

    @Test
    void malformedTopology_exits2NamingFileAndLine() throws IOException {
        Path file = topologyOnFreePorts("parents: [gz-regional, sh-regional]=>parents: [gz-regonal, sh-regional]");
        Result r = run("up", "--topology", file.toString(), "--state-dir", tmp.resolve("state").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().matches("yunjing: .*topology\\.yaml:\\d+: node 'gz-unicom': parent 'gz-regonal' does not exist\\s*"), r.err());
        assertOneLine(r.err());
        assertEquals(2, run("status", "--topology", tmp.resolve("missing.yaml").toString()).code());
    }

    @Test
    void unknownNodeId_exits2ListingKnownIds() throws IOException {
        Result r = run("node", "--id", "hz-telecom", "--topology", topologyOnFreePorts(null).toString(),
                "--state-dir", tmp.resolve("state").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown node id 'hz-telecom'") && r.err().contains("gz-unicom"), r.err());
        assertOneLine(r.err());
    }

    @Test
    void portInUse_exits2NamingNodeAndAddress_andStopsWhatStarted() throws Exception {
        Path file = topologyOnFreePorts(null);
        String text = Files.readString(file);
        int httpPort = Integer.parseInt(text.replaceAll("(?s).*ports: \\{ http: (\\d+),.*", "$1"));
        // Occupy gz-regional's HTTP port: origin, bj-central and sh-regional have started by then.
        try (ServerSocket busy = new ServerSocket()) {
            busy.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.32"), httpPort));
            Result r = run("up", "--topology", file.toString(), "--state-dir", tmp.resolve("state").toString());
            assertEquals(2, r.code());
            assertTrue(r.err().contains("node 'gz-regional': cannot listen") && r.err().contains("127.0.0.32:" + httpPort), r.err());
            assertOneLine(r.err());
        }
        assertNothingLeftRunning();
        // Everything that had started was stopped: origin's port can be bound again.
        try (ServerSocket again = new ServerSocket()) {
            again.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.10"), httpPort));
        }
    }

    @Test
    void originPortInUse_exits2NamingTheOrigin() throws Exception {
        Path file = topologyOnFreePorts(null);
        int httpPort = Integer.parseInt(Files.readString(file).replaceAll("(?s).*ports: \\{ http: (\\d+),.*", "$1"));
        try (ServerSocket busy = new ServerSocket()) {
            busy.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.10"), httpPort));
            Result r = run("up", "--topology", file.toString(), "--state-dir", tmp.resolve("state").toString());
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().contains("node 'origin': cannot listen") && r.err().contains("127.0.0.10:" + httpPort), r.err());
            assertOneLine(r.err());
        }
        assertNothingLeftRunning();
    }

    @Test
    void missingModelFiles_exits2NamingTheRepository() throws Exception {
        Path file = topologyOnFreePorts("        generate: { seed: 42 }  # local demo only: write the seeded test model if the store lacks it\n=>");
        Result r = run("up", "--topology", file.toString(), "--state-dir", tmp.resolve("state").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("node 'origin': model 'tiny-llama': repository 'yunjing/tiny-llama' has no ref 'main'"), r.err());
        assertOneLine(r.err());
        assertNothingLeftRunning();
    }

    @Test
    void corruptModelFile_exits2NamingTheFile() throws Exception {
        Path state = tmp.resolve("state");
        Result gen = run("model", "gen", "--state-dir", state.toString());
        assertEquals(0, gen.code(), gen.err());
        try (var files = Files.walk(state.resolve("artifacts"))) {
            Path weights = files.filter(p -> p.getFileName().toString().equals("model.safetensors")).findFirst().orElseThrow();
            byte[] bytes = Files.readAllBytes(weights);
            bytes[0] = (byte) 0xff;  // header length now points far beyond the file
            bytes[7] = (byte) 0x7f;
            Files.write(weights, bytes);
        }
        Result r = run("up", "--topology", topologyOnFreePorts(null).toString(), "--state-dir", state.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("node 'origin'") && r.err().contains("model.safetensors"), r.err());
        assertOneLine(r.err());
        assertNothingLeftRunning();
    }

    @Test
    void modelGen_withShards_writesShardsAndAnIndexTheOriginLoads() throws Exception {
        Path out = tmp.resolve("sharded");
        Result r = run("model", "gen", "--shards", "3", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("3 shards"), r.out());
        assertTrue(Files.isRegularFile(out.resolve("model.safetensors.index.json")));
        assertTrue(Files.isRegularFile(out.resolve("model-00003-of-00003.safetensors")));
        assertTrue(!Files.exists(out.resolve("model.safetensors")));
        assertEquals(2, yunjing.origin.model.Checkpoint.load(out).config().numLayers());

        Result bad = run("model", "gen", "--shards", "0", "--out", tmp.resolve("none").toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("shards: 0 (expected: 1.."), bad.err());
    }

    @Test
    void modelGen_withOut_writesTheHuggingFaceFiles() {
        Path out = tmp.resolve("model");
        Result r = run("model", "gen", "--seed", "7", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        for (String f : new String[]{"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"}) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
    }

    @Test
    void status_withNothingRunning_exits1AndShowsEveryNodeDown() throws IOException {
        Result r = run("status", "--topology", topologyOnFreePorts(null).toString(), "--timeout", "300");
        assertEquals(1, r.code());
        assertTrue(r.out().contains("gz-unicom") && r.out().contains("down"), r.out());
        assertTrue(r.out().contains("8 not ready"), r.out());
    }

    @Test
    void geoAndDnsCommands_badInputExits2WithAHint() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty-geo"));
        Result explain = run("dns", "explain", "--geo-dir", empty.toString(), "58.32.0.1");
        assertEquals(2, explain.code());
        assertTrue(explain.err().contains("yunjing geo fetch"), explain.err());
        assertOneLine(explain.err());

        Result badIp = run("dns", "explain", "--geo-dir", empty.toString(), "not-an-ip");
        assertEquals(2, badIp.code());
        assertTrue(badIp.err().contains("'not-an-ip' is not an IPv4 or IPv6 literal"), badIp.err());

        Result up = run("up", "--topology", topologyOnFreePorts(null).toString(), "--geo-dir", empty.toString(),
                "--state-dir", tmp.resolve("state").toString());
        assertEquals(2, up.code());
        assertTrue(up.err().contains("no GeoLite2-City.mmdb or asn.csv"), up.err());
        assertEquals(2, run("geo").code());
    }

    @Test
    void dnsExplain_withLinesOnly_namesTheDecidingLine() throws IOException {
        Path geo = Files.createDirectories(tmp.resolve("geo"));
        Path lines = Files.writeString(tmp.resolve("lines.txt"), "10.9.0.0/16 unicom GD gz-unicom\n");
        Result r = run("dns", "explain", "--geo-dir", geo.toString(), "--lines", lines.toString(), "10.9.1.2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("carrier=unicom") && r.out().contains("province=GD") && r.out().contains("node=gz-unicom"),
                r.out());
    }

    @Test
    void benchE2e_borderFaultsOutOfRange_exit2() {
        for (String value : new String[] {"2", "-0.1", "NaN"}) {
            Result result = run("bench", "e2e", "--quick", "--border-faults", value);
            assertEquals(2, result.code(), value);
            assertTrue(result.err().contains("--border-faults"), result.err());
            assertOneLine(result.err());
        }
    }

    @Test
    void purgeAndDrain_withoutAdminToken_exit2NamingTheFile() throws IOException {
        Path topology = topologyOnFreePorts(null);
        Path emptyState = Files.createDirectories(tmp.resolve("no-token-state"));
        Result purge = run("purge", "--topology", topology.toString(), "--state-dir", emptyState.toString(), "a.test/x");
        assertEquals(2, purge.code());
        assertTrue(purge.err().contains("no admin token") && purge.err().contains("admin.token"), purge.err());
        assertOneLine(purge.err());
        assertEquals(2, run("drain", "--topology", topology.toString(), "--state-dir", emptyState.toString(), "gz-unicom").code());
        assertEquals(2, run("purge").code(), "a URL is required");
        Result both = run("purge", "--topology", topology.toString(), "--state-dir", emptyState.toString(),
                "--prefix", "--digest", "ab".repeat(32));
        assertEquals(2, both.code());
        assertTrue(both.err().contains("--prefix and --digest"), both.err());
    }

    @Test
    void drain_unknownNodeOrNodeDown_saysSo() throws IOException {
        Path topology = topologyOnFreePorts(null);
        Path state = Files.createDirectories(tmp.resolve("token-state"));
        Files.writeString(state.resolve("admin.token"), "yjadm-0123456789abcdef0123456789\n");
        Result unknown = run("drain", "--topology", topology.toString(), "--state-dir", state.toString(), "hz-telecom");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("unknown node id 'hz-telecom'"), unknown.err());
        Result down = run("drain", "--topology", topology.toString(), "--state-dir", state.toString(), "gz-unicom");
        assertEquals(1, down.code());
        assertTrue(down.err().contains("gz-unicom: down"), down.err());
    }
}
