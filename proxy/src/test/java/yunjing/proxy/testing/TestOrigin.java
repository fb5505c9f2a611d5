package yunjing.proxy.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for the origin on 127.0.0.1:0 (JDK HTTP server, a thread per exchange):
 * <ul>
 *   <li>{@code /readyz} — status {@link #readyzStatus} (200 unless a test changes it); counts probes</li>
 *   <li>{@code /echo…} — any method; answers JSON with method, path, the caller's port, request headers
 *       (lower-case names), body length and SHA-256</li>
 *   <li>{@code /bytes?n=N} — N bytes, byte i being {@code i % 251}, with a Content-Length</li>
 *   <li>{@code /sse?n=N&gap=MS} — N server-sent events MS apart, each flushed; records when each was sent
 *       and whether the stream was cut off (the write failed: the proxy closed the connection)</li>
 *   <li>{@code /cached/…?…} — a response shaped by its query, for cache tests; every request is counted in
 *       {@link #fetches} by its full target: {@code cc} (Cache-Control), {@code status}, {@code n} (body of
 *       N bytes {@code i % 251}, else the text {@code body:<target>}), {@code etag} (ETag; a matching
 *       If-None-Match gets 304, counted in {@link #notModified}), {@code lm} (Last-Modified), {@code age},
 *       {@code vary}, {@code echo} (a request header whose value becomes the body), {@code hold} (after
 *       half the body, wait for {@link #holdGate}), {@code ranges} (answer a {@code Range: bytes=a-b} with 206);
 *       request headers {@code X-Test-Status} and {@code X-Test-Location} override the status and set
 *       {@code Location}</li>
 *   <li>{@code /large/…?n=N} — a large object generated as it is sent ({@link #largeByte}), never held in
 *       memory: ETag {@code "<name>-v1"} (or {@code etag}), {@code Accept-Ranges: bytes} (unless
 *       {@code noranges}), Cache-Control {@code max-age=600} (or {@code cc}), single ranges answered 206;
 *       {@code sha256=HEX} sends it as X-Linked-Etag; {@code flip=OFFSET} corrupts that byte. Bytes sent are
 *       counted in {@link #largeBytesSent}, requests (with their Range) in {@link #largeRequests}.</li>
 * </ul>
 */
public final class TestOrigin implements AutoCloseable {

    public final AtomicInteger readyzStatus = new AtomicInteger(200);
    public final AtomicInteger readyzProbes = new AtomicInteger();
    /** While set, /readyz waits for this latch before answering. */
    public volatile CountDownLatch readyzGate;
    /** System.nanoTime() when each SSE event of the latest stream was flushed. */
    public final List<Long> sseSentNanos = new CopyOnWriteArrayList<>();
    /** Counted down when an SSE stream fails to write: its connection was closed by the proxy. */
    public final CountDownLatch sseCancelled = new CountDownLatch(1);
    /** Counted down when an SSE stream is fully written. */
    public final CountDownLatch sseCompleted = new CountDownLatch(1);

    /** Requests to /cached by target (path and query). */
    public final Map<String, AtomicInteger> fetches = new java.util.concurrent.ConcurrentHashMap<>();
    /** "METHOD target" of every request to /cached, in order. */
    public final List<String> cachedRequests = new CopyOnWriteArrayList<>();
    /** 304s sent by /cached. */
    public final AtomicInteger notModified = new AtomicInteger();
    /** What a /cached?hold=1 response waits for after half its body. */
    public final CountDownLatch holdGate = new CountDownLatch(1);
    /** Counted down when a /cached?hold=1 response has sent half its body and starts waiting. */
    public final CountDownLatch holding = new CountDownLatch(1);
    /** Set when a /cached?hold=1 response stopped waiting for {@link #holdGate} because it timed out. */
    public volatile boolean holdTimedOut;

    /** Body bytes written by /large (including bytes a closed connection did not take). */
    public final java.util.concurrent.atomic.AtomicLong largeBytesSent = new java.util.concurrent.atomic.AtomicLong();
    /** "target range" of every /large request. */
    public final List<String> largeRequests = new CopyOnWriteArrayList<>();

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-origin");
        t.setDaemon(true);
        return t;
    });

    public TestOrigin() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(executor);
        server.createContext("/readyz", this::readyz);
        server.createContext("/echo", this::echo);
        server.createContext("/sse", this::sse);
        server.createContext("/bytes", this::bytes);
        server.createContext("/cached", this::cached);
        server.createContext("/large", this::large);
        server.start();
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    public URI readyzUrl() {
        return URI.create("http://127.0.0.1:" + address().getPort() + "/readyz");
    }

    private void readyz(HttpExchange exchange) throws IOException {
        readyzProbes.incrementAndGet();
        CountDownLatch gate = readyzGate;
        if (gate != null) {
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        byte[] body = "ok\n".getBytes(StandardCharsets.US_ASCII);
        exchange.sendResponseHeaders(readyzStatus.get(), body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private void echo(HttpExchange exchange) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IOException(e);
        }
        long length = 0;
        try (InputStream in = exchange.getRequestBody()) {
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) > 0; ) {
                sha.update(buffer, 0, n);
                length += n;
            }
        }
        Map<String, List<String>> headers = new TreeMap<>();
        exchange.getRequestHeaders().forEach((name, values) ->
                headers.computeIfAbsent(name.toLowerCase(), k -> new ArrayList<>()).addAll(values));
        StringBuilder json = new StringBuilder("{\"method\":").append(quote(exchange.getRequestMethod()))
                .append(",\"path\":").append(quote(exchange.getRequestURI().toString()))
                .append(",\"remotePort\":").append(exchange.getRemoteAddress().getPort())
                .append(",\"bodyBytes\":").append(length)
                .append(",\"bodySha256\":").append(quote(HexFormat.of().formatHex(sha.digest())))
                .append(",\"headers\":{");
        String sep = "";
        for (var header : headers.entrySet()) {
            json.append(sep).append(quote(header.getKey())).append(":[");
            String vsep = "";
            for (String value : header.getValue()) {
                json.append(vsep).append(quote(value));
                vsep = ",";
            }
            json.append(']');
            sep = ",";
        }
        json.append("}}");
        byte[] body = json.toString().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.getResponseHeaders().set("Cache-Status", "origin; fwd=uri-miss");
        if ("HEAD".equals(exchange.getRequestMethod())) {
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
            return;
        }
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private void bytes(HttpExchange exchange) throws IOException {
        long n = Long.parseLong(exchange.getRequestURI().getQuery().substring(2));
        exchange.getRequestBody().close();
        exchange.sendResponseHeaders(200, n);
        byte[] block = new byte[251 * 64];
        for (int i = 0; i < block.length; i++) {
            block[i] = (byte) (i % 251);
        }
        try (OutputStream out = exchange.getResponseBody()) {
            for (long sent = 0; sent < n; sent += block.length) {
                out.write(block, 0, (int) Math.min(block.length, n - sent));
            }
        } catch (IOException e) {
            exchange.close();
        }
    }

    /** How often /cached answered this target. */
    public int fetchCount(String target) {
        AtomicInteger n = fetches.get(target);
        return n == null ? 0 : n.get();
    }

    private void cached(HttpExchange exchange) throws IOException {
        String target = exchange.getRequestURI().getRawPath()
                + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery());
        fetches.computeIfAbsent(target, t -> new AtomicInteger()).incrementAndGet();
        cachedRequests.add(exchange.getRequestMethod() + " " + target);
        exchange.getRequestBody().close();
        Map<String, String> q = new TreeMap<>();
        String query = exchange.getRequestURI().getRawQuery();
        if (query != null) {
            for (String param : query.split("&")) {
                String[] kv = param.split("=", 2);
                q.put(kv[0], kv.length > 1 ? java.net.URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
            }
        }
        var headers = exchange.getResponseHeaders();
        headers.set("Date", java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME.format(
                java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC)));
        if (q.containsKey("cc")) {
            headers.set("Cache-Control", q.get("cc"));
        }
        if (q.containsKey("lm")) {
            headers.set("Last-Modified", q.get("lm"));
        }
        if (q.containsKey("age")) {
            headers.set("Age", q.get("age"));
        }
        if (q.containsKey("vary")) {
            headers.set("Vary", q.get("vary"));
        }
        String etag = q.get("etag");
        if (etag != null) {
            headers.set("ETag", etag);
            if (etag.equals(exchange.getRequestHeaders().getFirst("If-None-Match"))) {
                notModified.incrementAndGet();
                exchange.sendResponseHeaders(304, -1);
                exchange.close();
                return;
            }
        }
        int status = Integer.parseInt(q.getOrDefault("status", "200"));
        // An unsafe request may set its own status and Location (tests of RFC 9111 §4.4 invalidation).
        String unsafeStatus = exchange.getRequestHeaders().getFirst("X-Test-Status");
        if (unsafeStatus != null) {
            status = Integer.parseInt(unsafeStatus);
        }
        String location = exchange.getRequestHeaders().getFirst("X-Test-Location");
        if (location != null) {
            headers.set("Location", location);
        }
        byte[] body;
        if (q.containsKey("n")) {
            body = new byte[Integer.parseInt(q.get("n"))];
            for (int i = 0; i < body.length; i++) {
                body[i] = (byte) (i % 251);
            }
        } else if (q.containsKey("echo")) {
            body = String.valueOf(exchange.getRequestHeaders().getFirst(q.get("echo"))).getBytes(StandardCharsets.UTF_8);
        } else {
            body = ("body:" + target).getBytes(StandardCharsets.UTF_8);
        }
        if ("HEAD".equals(exchange.getRequestMethod())) {
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
            return;
        }
        String range = exchange.getRequestHeaders().getFirst("Range");
        if (q.containsKey("ranges") && range != null && range.matches("bytes=\\d+-\\d+")) {
            // A single closed range, answered 206 (enough for the proxy's forwarded ranges).
            String[] ab = range.substring(6).split("-");
            int first = Integer.parseInt(ab[0]);
            int last = Math.min(Integer.parseInt(ab[1]), body.length - 1);
            headers.set("Content-Range", "bytes " + first + "-" + last + "/" + body.length);
            exchange.sendResponseHeaders(206, last - first + 1);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body, first, last - first + 1);
            } catch (IOException e) {
                exchange.close();
            }
            return;
        }
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            if (q.containsKey("hold")) {
                out.write(body, 0, body.length / 2);
                out.flush();
                holding.countDown();
                try {
                    if (!holdGate.await(20, java.util.concurrent.TimeUnit.SECONDS)) {
                        holdTimedOut = true;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                out.write(body, body.length / 2, body.length - body.length / 2);
            } else {
                out.write(body);
            }
        } catch (IOException e) {
            exchange.close();
        }
    }

    /** Byte {@code i} of every /large object: not periodic at any power of two, so a misplaced slice shows. */
    public static byte largeByte(long i) {
        return (byte) (i + (i >>> 13) * 7 + (i >>> 23) * 13);
    }

    /** Bytes [first, first + length) of a /large object. */
    public static byte[] largeBytes(long first, int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = largeByte(first + i);
        }
        return bytes;
    }

    private void large(HttpExchange exchange) throws IOException {
        URI uri = exchange.getRequestURI();
        Map<String, String> q = new TreeMap<>();
        for (String param : uri.getRawQuery().split("&")) {
            String[] kv = param.split("=", 2);
            q.put(kv[0], kv.length > 1 ? java.net.URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
        }
        String range = exchange.getRequestHeaders().getFirst("Range");
        largeRequests.add(uri.getRawPath() + "?" + uri.getRawQuery() + " " + range);
        exchange.getRequestBody().close();
        long n = Long.parseLong(q.get("n"));
        long flip = Long.parseLong(q.getOrDefault("flip", "-1"));
        var headers = exchange.getResponseHeaders();
        String name = uri.getRawPath().substring(uri.getRawPath().lastIndexOf('/') + 1);
        headers.set("ETag", q.getOrDefault("etag", "\"" + name + "-v1\""));
        headers.set("Cache-Control", q.getOrDefault("cc", "max-age=600"));
        if (q.containsKey("sha256")) {
            headers.set("X-Linked-Etag", "\"" + q.get("sha256") + "\"");
        }
        if (!q.containsKey("noranges")) {
            headers.set("Accept-Ranges", "bytes");
        }
        long first = 0;
        long last = n - 1;
        int status = 200;
        if (range != null && !q.containsKey("noranges") && range.matches("bytes=\\d+-\\d*")) {
            String[] ab = range.substring(6).split("-", -1);
            first = Long.parseLong(ab[0]);
            last = ab[1].isEmpty() ? n - 1 : Math.min(Long.parseLong(ab[1]), n - 1);
            if (first >= n) {
                headers.set("Content-Range", "bytes */" + n);
                exchange.sendResponseHeaders(416, -1);
                exchange.close();
                return;
            }
            status = 206;
            headers.set("Content-Range", "bytes " + first + "-" + last + "/" + n);
        }
        if ("HEAD".equals(exchange.getRequestMethod())) {
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
            return;
        }
        exchange.sendResponseHeaders(status, last - first + 1);
        byte[] buffer = new byte[64 * 1024];
        try (OutputStream out = exchange.getResponseBody()) {
            for (long at = first; at <= last; ) {
                int length = (int) Math.min(buffer.length, last + 1 - at);
                for (int i = 0; i < length; i++) {
                    buffer[i] = largeByte(at + i);
                }
                if (flip >= at && flip < at + length) {
                    buffer[(int) (flip - at)] ^= 0x01;
                }
                out.write(buffer, 0, length);
                largeBytesSent.addAndGet(length);
                at += length;
            }
        } catch (IOException e) {
            exchange.close();
        }
    }

    private void sse(HttpExchange exchange) throws IOException {
        String query = exchange.getRequestURI().getQuery();
        int n = 5;
        long gapMillis = 100;
        if (query != null) {
            for (String param : query.split("&")) {
                String[] kv = param.split("=", 2);
                if (kv[0].equals("n")) {
                    n = Integer.parseInt(kv[1]);
                } else if (kv[0].equals("gap")) {
                    gapMillis = Long.parseLong(kv[1]);
                }
            }
        }
        exchange.getRequestBody().close();
        sseSentNanos.clear();
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, 0); // chunked
        OutputStream out = exchange.getResponseBody();
        try {
            for (int i = 0; i < n; i++) {
                if (i > 0) {
                    Thread.sleep(gapMillis);
                }
                out.write(("data: {\"event\":" + i + "}\n\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                sseSentNanos.add(System.nanoTime());
            }
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            out.close();
            sseCompleted.countDown();
        } catch (IOException e) {
            sseCancelled.countDown();
            exchange.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exchange.close();
        }
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
