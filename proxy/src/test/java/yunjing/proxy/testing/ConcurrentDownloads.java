package yunjing.proxy.testing;

import yunjing.common.net.EventLoops;
import yunjing.proxy.CacheConfig;
import yunjing.proxy.ProxyServer;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A process for the memory acceptance test (run in its own JVM with a small {@code -Xmx}): an origin, one
 * edge with a disk tier, and {@code clients} concurrent downloads of different {@code bytes}-long objects
 * through it, each checked against the origin's SHA-256. Prints {@code ok heap-after-gc-peak=N} and exits
 * 0, or prints the problem and exits 1; running out of heap fails the JVM.
 *
 * <p>Arguments: {@code clients bytes diskDir}.
 */
public final class ConcurrentDownloads {

    private ConcurrentDownloads() {
    }

    public static void main(String[] args) throws Exception {
        int clients = Integer.parseInt(args[0]);
        long bytes = Long.parseLong(args[1]);
        Path disk = Path.of(args[2]);
        EventLoops loops = EventLoops.create(2, "downloads");
        try (TestOrigin origin = new TestOrigin();
             ProxyServer edge = Nodes.startEdge(origin,
                     CacheConfig.withDisk(disk).withL1(32L << 20, 16L << 20).withDiskMaxBytes(clients * bytes + (1L << 30)),
                     0, loops, new SimpleMeterRegistry())) {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String expected = bytes + ":" + sha256(bytes);
            List<CompletableFuture<String>> downloads = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                URI uri = URI.create("http://127.0.0.1:" + edge.httpAddress().getPort() + "/large/file" + i + "?n=" + bytes);
                downloads.add(client.sendAsync(HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(10)).build(),
                        HttpResponse.BodyHandlers.ofInputStream()).thenApplyAsync(ConcurrentDownloads::hash));
            }
            for (int i = 0; i < clients; i++) {
                String got = downloads.get(i).get();
                if (!got.equals(expected)) {
                    System.out.println("download " + i + " got " + got + ", expected " + expected);
                    System.exit(1);
                }
            }
            client.shutdownNow();
        } finally {
            loops.close();
        }
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getCollectionUsage() != null) {
                peak += pool.getCollectionUsage().getUsed();
            }
        }
        System.out.println("ok heap-after-gc=" + peak + " max-heap=" + Runtime.getRuntime().maxMemory());
        System.exit(0);
    }

    private static String hash(HttpResponse<InputStream> response) {
        try (InputStream in = response.body()) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[256 * 1024];
            long total = 0;
            for (int n; (n = in.read(buffer)) > 0; ) {
                sha.update(buffer, 0, n);
                total += n;
            }
            return total + ":" + HexFormat.of().formatHex(sha.digest());
        } catch (Exception e) {
            return "failure: " + e;
        }
    }

    private static String sha256(long bytes) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (long at = 0; at < bytes; at += 1 << 20) {
            sha.update(TestOrigin.largeBytes(at, (int) Math.min(1 << 20, bytes - at)));
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
