package yunjing.proxy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import yunjing.proxy.testing.LeakCheck;
import yunjing.proxy.testing.Nodes;
import yunjing.proxy.testing.TestNetwork;
import yunjing.proxy.testing.TestOrigin;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whole bodies (under {@code l1MaxObjectBytes}) whose response names a SHA-256 ({@code X-Linked-Etag}) are
 * stored once per digest: two URLs of one file (a branch name and a commit hash) share one body in L1 and L2,
 * through purges of either, a purge by digest, a restart (the body then sent from its one file by sendfile,
 * see also {@link ProxySendfileTest}) and concurrent fills; a body failing its digest is never stored.
 */
@ExtendWith(LeakCheck.class)
class ProxySharedBodyTest {

    @RegisterExtension
    static final TestNetwork NET = new TestNetwork("shared-body-test");

    private static final int SIZE = 1 << 20;
    private static final String SHA = sha256(TestOrigin.largeBytes(0, SIZE));
    private static final String MAIN = "/large/main-file?n=" + SIZE + "&sha256=" + SHA;
    private static final String COMMIT = "/large/commit-file?n=" + SIZE + "&sha256=" + SHA;

    @TempDir
    Path dir;
    private TestOrigin origin;
    private ProxyServer edge;
    /** Where the edge listened first: a restarted edge listens there again, as Host (part of the key) names it. */
    private int port;

    @BeforeEach
    void start() throws Exception {
        origin = new TestOrigin();
        edge = startEdge();
    }

    @AfterEach
    void stop() {
        edge.close();
        origin.close();
    }

    private ProxyServer startEdge() throws Exception {
        ProxyServer started = Nodes.startEdge(origin, CacheConfig.withDisk(dir), port, NET.loops(), NET.metrics());
        port = started.httpAddress().getPort();
        return started;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private HttpResponse<byte[]> get(String target) throws Exception {
        return NET.client().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + target))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** GETs {@code target} and checks it is the file's bytes; returns this node's Cache-Status entry. */
    private String fetch(String target) throws Exception {
        HttpResponse<byte[]> response = get(target);
        assertEquals(200, response.statusCode(), target);
        assertArrayEquals(TestOrigin.largeBytes(0, SIZE), response.body(), target);
        return response.headers().firstValue("cache-status").orElse("");
    }

    private List<Path> entryFiles() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".entry")).toList();
        }
    }

    /** Entry files holding a whole copy of the body. */
    private List<Path> bodyFiles() throws IOException {
        List<Path> bodies = new ArrayList<>();
        for (Path file : entryFiles()) {
            if (Files.size(file) >= SIZE) {
                bodies.add(file);
            }
        }
        return bodies;
    }

    private void awaitDiskEntries(int entries) throws InterruptedException {
        Nodes.await(entries + " entries on disk", () -> edge.cacheStats().l2Entries() == entries);
    }

    private long originRequests(String target) {
        return origin.largeRequests.stream().filter(r -> r.equals(target + " null")).count();
    }

    private static double reused() {
        return NET.count("yunjing.proxy.cache.requests", "result", "digest-body-reused");
    }

    @Test
    void twoUrlsNamingOneDigest_storeOneBody_andServeItByteIdentical() throws Exception {
        assertEquals("gz-unicom; fwd=miss; stored", fetch(MAIN));
        assertEquals("gz-unicom; fwd=miss; stored", fetch(COMMIT));
        assertEquals(1.0, reused(), "the second URL's miss was answered from the stored body");
        assertEquals("gz-unicom; hit", fetch(MAIN));
        assertEquals("gz-unicom; hit", fetch(COMMIT));
        HttpResponse<Void> head = NET.client().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + COMMIT))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertEquals(String.valueOf(SIZE), head.headers().firstValue("content-length").orElse(""));
        assertEquals("gz-unicom; hit", head.headers().firstValue("cache-status").orElse(""));

        awaitDiskEntries(3); // two heads and one body
        CacheStats stats = edge.cacheStats();
        assertEquals(3, stats.l1Entries());
        assertTrue(stats.l1Bytes() >= SIZE && stats.l1Bytes() < SIZE + 8192, "one body in L1: " + stats);
        assertTrue(stats.l2Bytes() >= SIZE && stats.l2Bytes() < SIZE + 8192, "one body in L2: " + stats);
        edge.close(); // finishes the disk writes
        assertEquals(3, entryFiles().size());
        assertEquals(1, bodyFiles().size());
    }

    @Test
    void purgeOfOneUrl_keepsTheOtherWorking_andPurgingTheLastDropsTheBody() throws Exception {
        fetch(MAIN);
        fetch(COMMIT);
        awaitDiskEntries(3);
        assertEquals(1, edge.purge("127.0.0.1:" + port + MAIN));
        assertEquals("gz-unicom; hit", fetch(COMMIT), "the body outlives one of its URLs");
        assertEquals(2, edge.cacheStats().l1Entries());
        awaitDiskEntries(2);

        assertEquals("gz-unicom; fwd=miss; stored", fetch(MAIN), "the purged URL is fetched anew");
        assertEquals(2, originRequests(MAIN));
        assertEquals(2.0, reused(), "and its body is the stored one again");

        assertEquals(1, edge.purge("127.0.0.1:" + port + MAIN));
        assertEquals(1, edge.purge("127.0.0.1:" + port + COMMIT));
        CacheStats stats = edge.cacheStats();
        assertEquals(0, stats.l1Entries(), "the last head gone, the body goes: " + stats);
        awaitDiskEntries(0);
        edge.close();
        assertEquals(List.of(), entryFiles());
    }

    @Test
    void purgeByDigest_dropsTheBodyAndEveryHeadNamingIt() throws Exception {
        fetch(MAIN);
        fetch(COMMIT);
        awaitDiskEntries(3);
        assertEquals(3, edge.purgeDigest(SHA.toUpperCase(java.util.Locale.ROOT)));
        CacheStats stats = edge.cacheStats();
        assertEquals(0, stats.l1Entries());
        assertEquals(0, stats.l2Entries());
        assertEquals("gz-unicom; fwd=miss; stored", fetch(COMMIT));
        assertEquals("gz-unicom; fwd=miss; stored", fetch(MAIN));
        assertEquals(2, originRequests(COMMIT));
        assertEquals(2, originRequests(MAIN));
    }

    @Test
    void restart_keepsOneSharedBody_andBothUrlsHit() throws Exception {
        fetch(MAIN);
        fetch(COMMIT);
        edge.close();
        edge = startEdge();
        CacheStats restarted = edge.cacheStats();
        assertEquals(3, restarted.l2Entries());
        assertTrue(restarted.l2Bytes() < SIZE + 8192, "one body on disk: " + restarted);
        assertEquals("gz-unicom; hit", fetch(COMMIT));
        assertEquals("gz-unicom; hit", fetch(MAIN));
        assertEquals(1, originRequests(MAIN));
        assertEquals(1, originRequests(COMMIT));
        CacheStats read = edge.cacheStats();
        // This client takes file regions: the heads are read back into L1, the body is sent from its file.
        assertEquals(2, read.l1Entries(), "both heads read back into L1: " + read);
        assertTrue(read.l1Bytes() < 8192, "the body is not read into L1: " + read);
        assertEquals(2.0 * SIZE, NET.count("yunjing.proxy.cache.served.bytes", "tier", "l2-sendfile"));
    }

    @Test
    void corruptBodyFile_isDroppedWhenRead_andBothUrlsRefetchCleanly() throws Exception {
        fetch(MAIN);
        fetch(COMMIT);
        edge.close();
        Path body = bodyFiles().getFirst();
        byte[] bytes = Files.readAllBytes(body);
        bytes[bytes.length - 1000] ^= 0x55;
        Files.write(body, bytes);

        edge = startEdge();
        assertEquals("gz-unicom; fwd=miss; stored", fetch(MAIN), "never served from a body failing its checksum");
        assertEquals("gz-unicom; hit", fetch(COMMIT), "the other URL's head finds the body stored anew");
        assertEquals(2, originRequests(MAIN));
        edge.close();
        assertEquals(1, bodyFiles().size());
        assertFalse(java.util.Arrays.equals(bytes, Files.readAllBytes(bodyFiles().getFirst())));
    }

    @Test
    void bodyGoneOnItsOwn_leavesItsHeadsMissingCleanly() throws Exception {
        fetch(MAIN);
        fetch(COMMIT);
        edge.close();
        Files.delete(bodyFiles().getFirst());

        edge = startEdge();
        assertEquals(2, edge.cacheStats().l2Entries(), "the heads are still there");
        assertEquals("gz-unicom; fwd=miss; stored", fetch(COMMIT));
        assertEquals("gz-unicom; hit", fetch(MAIN), "its head finds the body stored again");
        assertEquals(2, originRequests(COMMIT));
        assertEquals(1, originRequests(MAIN));
    }

    @Test
    void revalidatedEntry_keepsSharingItsBody() throws Exception {
        byte[] body = new byte[300_000];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) (i % 251);
        }
        // A strong ETag of 64 hex digits names the body's SHA-256; max-age=0: every later GET revalidates.
        String query = "?n=" + body.length + "&cc=max-age%3D0&etag=%22" + sha256(body) + "%22";
        String first = "/cached/by-branch" + query;
        String second = "/cached/by-commit" + query;
        assertArrayEquals(body, get(first).body());
        HttpResponse<byte[]> revalidated = get(first);
        assertArrayEquals(body, revalidated.body());
        assertEquals("gz-unicom; fwd=stale; fwd-status=304", revalidated.headers().firstValue("cache-status").orElse(""));
        assertEquals(1, origin.notModified.get());
        HttpResponse<byte[]> other = get(second);
        assertArrayEquals(body, other.body());
        assertEquals(1.0, reused(), "the refreshed head still refers to the stored body");
        awaitDiskEntries(3);
        CacheStats stats = edge.cacheStats();
        assertTrue(stats.l1Bytes() < body.length + 8192, "one body in L1: " + stats);
        assertTrue(stats.l2Bytes() < body.length + 8192, "one body in L2: " + stats);
    }

    @Test
    void entryOfTheOlderFormat_isDroppedAtStart() throws Exception {
        edge.close();
        Path old = dir.resolve("0123.entry");
        Files.write(old, ByteBuffer.allocate(64).putInt(0x594A4332).array()); // "YJC2"
        edge = startEdge();
        assertTrue(Files.notExists(old));
        assertEquals("gz-unicom; fwd=miss; stored", fetch(MAIN));
    }

    @Test
    void bodyFailingItsDigest_isNeverStored_norShared() throws Exception {
        String corrupt = "/large/corrupt-file?n=" + SIZE + "&sha256=" + SHA + "&flip=1000";
        assertThrows(IOException.class, () -> get(corrupt), "cut off before its end");
        assertEquals(1.0, NET.count("yunjing.proxy.cache.requests", "result", "digest-mismatch"));
        assertEquals(0, edge.cacheStats().l1Entries());

        assertEquals("gz-unicom; fwd=miss; stored", fetch(MAIN), "the good copy is fetched, not a stored bad one");
        assertEquals(0.0, reused());
        awaitDiskEntries(2);
        edge.close();
        assertEquals(2, entryFiles().size());
    }

    @Test
    void concurrentColdFillsOfBothUrls_storeOneBody() throws Exception {
        List<CompletableFuture<HttpResponse<byte[]>>> responses = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            for (String target : List.of(MAIN, COMMIT)) {
                responses.add(NET.client().sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + target))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofByteArray()));
            }
        }
        for (CompletableFuture<HttpResponse<byte[]>> response : responses) {
            assertArrayEquals(TestOrigin.largeBytes(0, SIZE), response.get().body());
        }
        assertEquals(1, originRequests(MAIN), "collapsed");
        assertEquals(1, originRequests(COMMIT), "collapsed");
        awaitDiskEntries(3);
        CacheStats stats = edge.cacheStats();
        assertEquals(3, stats.l1Entries());
        assertTrue(stats.l1Bytes() < SIZE + 8192, "one body in L1: " + stats);
        assertEquals("gz-unicom; hit", fetch(MAIN));
        assertEquals("gz-unicom; hit", fetch(COMMIT));
        edge.close();
        assertEquals(1, bodyFiles().size());
    }
}
