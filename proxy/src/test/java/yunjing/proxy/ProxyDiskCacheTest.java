package yunjing.proxy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.RegisterExtension;
import yunjing.proxy.testing.LeakCheck;
import yunjing.proxy.testing.Nodes;
import yunjing.proxy.testing.TestOrigin;
import yunjing.proxy.testing.TestNetwork;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The disk tier (L2): entries survive a restart of the node; a corrupt entry is dropped, never served. */
@ExtendWith(LeakCheck.class)
class ProxyDiskCacheTest {

    @RegisterExtension
    static final TestNetwork NET = new TestNetwork("disk-cache-test");

    private static final String TARGET = "/cached/disk?cc=max-age%3D600&n=300000";

    @TempDir
    Path dir;
    private TestOrigin origin;
    private ProxyServer node;

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

    /** Port of the first node: a restarted node listens there again, as Host (part of the key) names it. */
    private int port;

    private ProxyServer startNode() throws Exception {
        ProxyConfig base = Nodes.config("bj-central", "central", List.of(Nodes.origin(origin)));
        ProxyServer started = ProxyServer.start(new ProxyConfig(base.nodeId(), base.tier(),
                new java.net.InetSocketAddress("127.0.0.1", port), null, null,
                null, base.parents(), base.connectTimeout(), base.healthInterval(), CacheConfig.withDisk(dir)), NET.loops(), NET.metrics());
        Nodes.await("node ready", started::isReady);
        port = started.httpAddress().getPort();
        return started;
    }

    private HttpResponse<byte[]> get() throws Exception {
        return NET.client().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpAddress().getPort() + TARGET))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private List<Path> entryFiles() throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".entry")).toList();
        }
    }

    private static byte[] expected() {
        byte[] body = new byte[300_000];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) (i % 251);
        }
        return body;
    }

    @Test
    void entry_survivesARestartOfTheNode() throws Exception {
        node = startNode();
        assertArrayEquals(expected(), get().body());
        node.close(); // waits for the pending disk write
        assertEquals(1, entryFiles().size());
        assertTrue(Files.list(dir).noneMatch(f -> f.getFileName().toString().startsWith(".tmp-")), "no temp file left");

        node = startNode();
        HttpResponse<byte[]> afterRestart = get();
        assertArrayEquals(expected(), afterRestart.body());
        assertEquals("bj-central; hit", afterRestart.headers().firstValue("cache-status").orElseThrow());
        assertEquals(1, origin.fetchCount(TARGET));
    }

    @Test
    void corruptEntry_isDroppedAndRefetched_neverServed() throws Exception {
        node = startNode();
        get();
        node.close();
        Path entry = entryFiles().get(0);
        byte[] bytes = Files.readAllBytes(entry);
        bytes[bytes.length - 1000] ^= 0x55; // one byte of the body
        Files.write(entry, bytes);

        node = startNode();
        HttpResponse<byte[]> response = get();
        assertArrayEquals(expected(), response.body());
        assertTrue(response.headers().firstValue("cache-status").orElseThrow().endsWith("bj-central; fwd=miss; stored"),
                response.headers().firstValue("cache-status").orElseThrow());
        assertEquals(2, origin.fetchCount(TARGET));
        node.close();
        // The refetched entry replaced the corrupt one.
        assertEquals(1, entryFiles().size());
        assertNotEquals(bytes[bytes.length - 1000], Files.readAllBytes(entryFiles().get(0))[bytes.length - 1000]);
    }

    @Test
    void leftoverTempFile_isDeletedAtStart() throws Exception {
        Files.createDirectories(dir);
        Path tmp = dir.resolve(".tmp-crashed");
        Files.write(tmp, new byte[] {1, 2, 3});
        node = startNode();
        assertTrue(Files.notExists(tmp));
    }

    @Test
    void unusableDiskDir_failsTheStartNamingIt() throws Exception {
        Path file = dir.resolve("not-a-dir");
        Files.write(file, new byte[] {1});
        ProxyConfig base = Nodes.config("bj-central", "central", List.of(Nodes.origin(origin)));
        var error = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> ProxyServer.start(
                new ProxyConfig(base.nodeId(), base.tier(), base.httpBind(), null, null, null, base.parents(),
                        base.connectTimeout(), base.healthInterval(), CacheConfig.withDisk(file)), NET.loops(), NET.metrics()));
        assertTrue(error.getMessage().contains(file.toString()), error.getMessage());
    }
}
