package yunjing.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.handler.codec.http.HttpMethod;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import yunjing.proxy.testing.H2cClient;
import yunjing.proxy.testing.LeakCheck;
import yunjing.proxy.testing.Nodes;
import yunjing.proxy.testing.TestNetwork;
import yunjing.proxy.testing.TestOrigin;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * L2 hits sent with sendfile to plaintext HTTP/1.1 clients: after a restart (nothing in L1) whole bodies,
 * ranges and a sliced object come byte-identical from the entry files; a corrupted file is never served;
 * a client that leaves mid-send and a purge during a send leave no file open (the node's
 * {@code yunjing.proxy.cache.sendfile.files} gauge and {@code /proc/self/fd}); an h2c client is served
 * from memory as before. A body stored once by digest for two URLs goes from the body's own file (the
 * heads' files hold none), whole and ranges.
 */
@ExtendWith(LeakCheck.class)
class ProxySendfileTest {

    @RegisterExtension
    static final TestNetwork NET = new TestNetwork("sendfile-test");

    private static final int BODY = 3_000_000;
    private static final String TARGET = "/cached/zc?cc=max-age%3D600&n=" + BODY;
    /** Larger than the client's and the kernel's buffers, so a client that stops reading stops the send. */
    private static final int BIG = 12_000_000;
    private static final String BIG_TARGET = "/cached/zc-big?cc=max-age%3D600&n=" + BIG;
    private static final long LARGE = 40L << 20;
    private static final String LARGE_TARGET = "/large/zc?n=" + LARGE;
    /** One file under two URLs naming its SHA-256: its body is stored once ({@code DigestBodies}). */
    private static final int SHARED = 3_000_000;
    private static final String SHARED_SHA = sha256(TestOrigin.largeBytes(0, SHARED));
    private static final String BY_BRANCH = "/large/zc-main?n=" + SHARED + "&sha256=" + SHARED_SHA;
    private static final String BY_COMMIT = "/large/zc-commit?n=" + SHARED + "&sha256=" + SHARED_SHA;

    @TempDir
    Path dir;
    private TestOrigin origin;
    private ProxyServer node;
    private SimpleMeterRegistry metrics;
    private int port;

    @BeforeEach
    void start() throws Exception {
        origin = new TestOrigin();
    }

    @AfterEach
    void stop() {
        if (node != null) {
            node.close();
        }
        origin.close();
    }

    /** (Re)starts the node on the same port (Host is part of the key) with a fresh meter registry. */
    private void restart() throws Exception {
        if (node != null) {
            node.close(); // waits for the pending disk writes
        }
        metrics = new SimpleMeterRegistry();
        node = Nodes.startEdge(origin, CacheConfig.withDisk(dir), port, NET.loops(), metrics);
        port = node.httpAddress().getPort();
    }

    private HttpResponse<byte[]> get(String target, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + target))
                .timeout(Duration.ofSeconds(30));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return NET.client().send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private double served(String tier) {
        Counter counter = metrics.find("yunjing.proxy.cache.served.bytes").tag("tier", tier).counter();
        return counter == null ? 0 : counter.count();
    }

    private double openFiles() {
        Gauge gauge = metrics.find("yunjing.proxy.cache.sendfile.files").gauge();
        return gauge.value();
    }

    private static byte[] cachedBytes(int from, int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) ((from + i) % 251);
        }
        return bytes;
    }

    private List<Path> entryFiles() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".entry")).toList();
        }
    }

    /** The entry file holding {@code length} body bytes (the largest one of at least that size). */
    private Path entryFileOf(int length) throws IOException {
        Path found = null;
        for (Path file : entryFiles()) {
            long size = Files.size(file);
            if (size > length && (found == null || size < Files.size(found))) {
                found = file;
            }
        }
        return found;
    }

    private static long fdCount() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    @Test
    void restartedNode_sendsWholeBodiesAndRangesFromTheEntryFile() throws Exception {
        restart();
        assertArrayEquals(cachedBytes(0, BODY), get(TARGET).body());
        restart();

        HttpResponse<byte[]> whole = get(TARGET);
        assertEquals(200, whole.statusCode());
        assertEquals("gz-unicom; hit", whole.headers().firstValue("cache-status").orElseThrow());
        assertArrayEquals(cachedBytes(0, BODY), whole.body());
        assertEquals(BODY, served("l2-sendfile"));
        assertEquals(0, served("l2"), "not read into memory");

        long[][] ranges = {{0, 0}, {1, 1_048_575}, {1_048_576, 2_500_000}, {2_999_000, 2_999_999}, {123_457, 2_100_001}};
        long sent = BODY;
        for (long[] range : ranges) {
            HttpResponse<byte[]> part = get(TARGET, "Range", "bytes=" + range[0] + "-" + range[1]);
            assertEquals(206, part.statusCode());
            assertEquals("bytes " + range[0] + "-" + range[1] + "/" + BODY, part.headers().firstValue("content-range").orElseThrow());
            assertArrayEquals(cachedBytes((int) range[0], (int) (range[1] - range[0] + 1)), part.body());
            sent += range[1] - range[0] + 1;
        }
        HttpResponse<byte[]> suffix = get(TARGET, "Range", "bytes=-1000");
        assertArrayEquals(cachedBytes(BODY - 1000, 1000), suffix.body());
        assertEquals(sent + 1000, served("l2-sendfile"));
        assertEquals(416, get(TARGET, "Range", "bytes=" + BODY + "-").statusCode());
        assertEquals(1, origin.fetchCount(TARGET), "every answer came from the cache");
        Nodes.await("no file left open", () -> openFiles() == 0);
    }

    @Test
    void restartedNode_sendsASlicedObjectSliceBySliceFromTheFiles() throws Exception {
        restart();
        assertEquals(LARGE, get(LARGE_TARGET).body().length);
        int requestsBefore = origin.largeRequests.size();
        restart();

        HttpResponse<byte[]> whole = get(LARGE_TARGET);
        assertEquals(200, whole.statusCode());
        assertArrayEquals(TestOrigin.largeBytes(0, (int) LARGE), whole.body());
        long[][] ranges = {{0, 99}, {(4L << 20) - 10, (4L << 20) + 9}, {5_000_000, 30_000_000}, {LARGE - 7, LARGE - 1}};
        long sent = LARGE;
        for (long[] range : ranges) {
            HttpResponse<byte[]> part = get(LARGE_TARGET, "Range", "bytes=" + range[0] + "-" + range[1]);
            assertEquals(206, part.statusCode());
            assertArrayEquals(TestOrigin.largeBytes(range[0], (int) (range[1] - range[0] + 1)), part.body(),
                    "bytes " + range[0] + "-" + range[1]);
            sent += range[1] - range[0] + 1;
        }
        assertEquals(sent, served("l2-sendfile"), "every slice byte by sendfile");
        assertEquals(requestsBefore, origin.largeRequests.size(), "nothing fetched again");
        Nodes.await("no file left open", () -> openFiles() == 0);
    }

    @Test
    void restartedNode_sendsABodySharedByDigestFromTheBodysFile_toBothUrls() throws Exception {
        restart();
        assertArrayEquals(TestOrigin.largeBytes(0, SHARED), get(BY_BRANCH).body());
        assertArrayEquals(TestOrigin.largeBytes(0, SHARED), get(BY_COMMIT).body());
        int requestsBefore = origin.largeRequests.size();
        restart();
        assertEquals(3, node.cacheStats().l2Entries(), "two heads and one body");
        Path bodyFile = entryFileOf(SHARED);
        assertEquals(1, entryFiles().stream().filter(f -> f.toFile().length() >= SHARED).count(), "one file holds the body");

        long sent = 0;
        for (String target : List.of(BY_BRANCH, BY_COMMIT)) {
            HttpResponse<byte[]> whole = get(target);
            assertEquals(200, whole.statusCode(), target);
            assertEquals("gz-unicom; hit", whole.headers().firstValue("cache-status").orElseThrow(), target);
            assertEquals(String.valueOf(SHARED), whole.headers().firstValue("content-length").orElseThrow());
            assertArrayEquals(TestOrigin.largeBytes(0, SHARED), whole.body(), target);
            sent += SHARED;
            // Across the 1 MiB regions, and the body's last bytes (just before the file's checksum).
            long[][] ranges = {{1_048_570, 2_097_160}, {SHARED - 1000, SHARED - 1}};
            for (long[] range : ranges) {
                HttpResponse<byte[]> part = get(target, "Range", "bytes=" + range[0] + "-" + range[1]);
                assertEquals(206, part.statusCode(), target);
                assertEquals("bytes " + range[0] + "-" + range[1] + "/" + SHARED,
                        part.headers().firstValue("content-range").orElseThrow());
                assertArrayEquals(TestOrigin.largeBytes(range[0], (int) (range[1] - range[0] + 1)), part.body(),
                        target + " bytes " + range[0] + "-" + range[1]);
                sent += range[1] - range[0] + 1;
            }
        }
        assertEquals(sent, served("l2-sendfile"), "every body byte by sendfile");
        assertEquals(0, served("l2"), "the body was not read into memory");
        assertEquals(2, node.cacheStats().l1Entries(), "the heads only in L1: " + node.cacheStats());
        assertEquals(requestsBefore, origin.largeRequests.size(), "nothing fetched again");
        Nodes.await("no file left open", () -> openFiles() == 0);

        // The body's file was checked once; changed since, it is checked again and not sent.
        FileTime before = Files.getLastModifiedTime(bodyFile);
        flipByte(bodyFile, SHARED / 2);
        Files.setLastModifiedTime(bodyFile, FileTime.fromMillis(before.toMillis() + 2000));
        HttpResponse<byte[]> refetched = get(BY_COMMIT);
        assertArrayEquals(TestOrigin.largeBytes(0, SHARED), refetched.body());
        assertTrue(refetched.headers().firstValue("cache-status").orElseThrow().endsWith("fwd=miss; stored"),
                refetched.headers().firstValue("cache-status").orElseThrow());
        assertEquals(sent, served("l2-sendfile"), "the changed body file was not sent");
        assertEquals(requestsBefore + 1, origin.largeRequests.size());
    }

    @Test
    void corruptedFile_isDetectedBeforeSending_andRefetched() throws Exception {
        restart();
        get(TARGET);
        restart();
        Path entry = entryFileOf(BODY);
        flipByte(entry, BODY / 2);

        HttpResponse<byte[]> afterRestart = get(TARGET);
        assertArrayEquals(cachedBytes(0, BODY), afterRestart.body());
        assertTrue(afterRestart.headers().firstValue("cache-status").orElseThrow().endsWith("fwd=miss; stored"),
                afterRestart.headers().firstValue("cache-status").orElseThrow());
        assertEquals(0, served("l2-sendfile"), "the corrupt file was never sent");
        assertEquals(2, origin.fetchCount(TARGET));
    }

    @Test
    void fileChangedAfterItsCheck_isCheckedAgain() throws Exception {
        restart();
        get(TARGET);
        restart();
        assertArrayEquals(cachedBytes(0, BODY), get(TARGET).body()); // checked once, then sent
        assertArrayEquals(cachedBytes(0, BODY), get(TARGET).body()); // sent, no second check needed
        assertEquals(2 * BODY, served("l2-sendfile"));

        Path entry = entryFileOf(BODY);
        FileTime before = Files.getLastModifiedTime(entry);
        flipByte(entry, 1000);
        Files.setLastModifiedTime(entry, FileTime.fromMillis(before.toMillis() + 2000)); // whatever the clock's grain
        HttpResponse<byte[]> response = get(TARGET);
        assertArrayEquals(cachedBytes(0, BODY), response.body());
        assertEquals(2 * BODY, served("l2-sendfile"), "the changed file was checked again and not sent");
        assertEquals(2, origin.fetchCount(TARGET));
    }

    @Test
    void clientLeavingMidSend_leavesNoFileOpen() throws Exception {
        restart();
        assertEquals(BIG, get(BIG_TARGET).body().length);
        restart();
        long fdsBefore = fdCount();

        try (Socket client = rawGet(BIG_TARGET)) {
            InputStream in = client.getInputStream();
            readHead(in);
            in.readNBytes(100_000);
            Nodes.await("the send holds the file", () -> openFiles() == 1);
            client.setSoLinger(true, 0); // a reset, as a client that gives up sends
        }
        Nodes.await("the file is released", () -> openFiles() == 0);
        Nodes.await("no descriptor left (before " + fdsBefore + ")", () -> uncheckedFdCount() <= fdsBefore);
        assertTrue(served("l2-sendfile") < BIG, "the send stopped");
        // The node still serves it whole.
        assertArrayEquals(cachedBytes(0, BIG), get(BIG_TARGET).body());
        Nodes.await("released after the whole send", () -> openFiles() == 0);
    }

    @Test
    void purgeDuringASend_letsTheSendFinishFromTheUnlinkedFile() throws Exception {
        restart();
        get(BIG_TARGET);
        restart();
        Path entry = entryFileOf(BIG);

        try (Socket client = rawGet(BIG_TARGET)) {
            InputStream in = client.getInputStream();
            String head = readHead(in);
            assertTrue(head.startsWith("HTTP/1.1 200"), head);
            byte[] first = in.readNBytes(1_000_000);
            Nodes.await("the send holds the file", () -> openFiles() == 1);

            assertEquals(1, node.purge("http://127.0.0.1:" + port + BIG_TARGET));
            Nodes.await("the entry file is deleted", () -> Files.notExists(entry));

            byte[] rest = in.readNBytes(BIG - first.length);
            byte[] body = Arrays.copyOf(first, BIG);
            System.arraycopy(rest, 0, body, first.length, rest.length);
            assertArrayEquals(cachedBytes(0, BIG), body);
        }
        Nodes.await("the file is released", () -> openFiles() == 0);
        assertTrue(get(BIG_TARGET).headers().firstValue("cache-status").orElseThrow().endsWith("fwd=miss; stored"));
        assertEquals(2, origin.fetchCount(BIG_TARGET));
    }

    @Test
    void h2cClient_isServedFromMemoryAsBefore() throws Exception {
        restart();
        get(TARGET);
        restart();
        try (H2cClient h2c = new H2cClient(NET.loops(), new InetSocketAddress("127.0.0.1", port))) {
            H2cClient.Response response = h2c.send(HttpMethod.GET, TARGET, "127.0.0.1:" + port, null)
                    .get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(200, response.status());
            assertEquals("gz-unicom; hit", response.headers().get("cache-status"));
        }
        assertEquals(BODY, served("l2"), "read from L2 into memory");
        assertEquals(0, served("l2-sendfile"));
        assertArrayEquals(cachedBytes(0, BODY), get(TARGET).body()); // now an L1 hit
        assertEquals(0, served("l2-sendfile"));
    }

    private static String sha256(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void flipByte(Path entry, int bodyOffsetFromEnd) throws IOException {
        byte[] bytes = Files.readAllBytes(entry);
        bytes[bytes.length - 4 - bodyOffsetFromEnd] ^= 0x55;
        Files.write(entry, bytes);
    }

    private long uncheckedFdCount() {
        try {
            return fdCount();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private Socket rawGet(String target) throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(64 * 1024);
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(30_000);
        OutputStream out = socket.getOutputStream();
        out.write(("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return socket;
    }

    /** Reads the response head up to its blank line. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed in the head: " + head);
            }
            head.write(b);
            matched = (b == '\r' || b == '\n') && "\r\n\r\n".charAt(matched) == b ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }
}
