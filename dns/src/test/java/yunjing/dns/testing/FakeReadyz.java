package yunjing.dns.testing;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stand-in for the nodes' admin ports: {@code GET /<id>/readyz} answers whatever status the test
 * last {@linkplain #set set} for that id (200 until told otherwise), on 127.0.0.1 and an ephemeral port.
 */
public final class FakeReadyz implements AutoCloseable {

    private final HttpServer server;
    private final Map<String, Integer> status = new ConcurrentHashMap<>();
    private final Map<String, String> bodies = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();

    public FakeReadyz() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            String id = path.substring(1, Math.max(1, path.indexOf("/readyz")));
            hits.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
            int code = status.getOrDefault(id, 200);
            byte[] body = bodies.getOrDefault(id, "").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(code, body.length == 0 ? -1 : body.length);
            if (body.length > 0) {
                exchange.getResponseBody().write(body);
            }
            exchange.close();
        });
        server.start();
    }

    public URI url(String id) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/" + id + "/readyz");
    }

    public void set(String id, int code) {
        status.put(id, code);
    }

    /** Answers {@code code} with {@code body} (a readiness JSON line) from now on. */
    public void set(String id, int code, String body) {
        bodies.put(id, body);
        status.put(id, code);
    }

    public int hits(String id) {
        AtomicInteger n = hits.get(id);
        return n == null ? 0 : n.get();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
