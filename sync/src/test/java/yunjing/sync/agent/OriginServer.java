package yunjing.sync.agent;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A loopback HTTP server on port 0 that serves an {@code ArtifactStore}'s revision files at
 * {@code /{org}/{repo}/resolve/{revision}/{path}} with single {@code Range} support, counts the
 * bytes it sends, and can damage the next response: flip one bit, or end it early.
 */
final class OriginServer implements AutoCloseable {

    private static final Pattern RESOLVE = Pattern.compile("/([^/]+/[^/]+)/resolve/([0-9a-f]{40})/(.+)");
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d+)");

    final AtomicLong bytesSent = new AtomicLong();
    final AtomicInteger requests = new AtomicInteger();
    final AtomicBoolean flipBitOnce = new AtomicBoolean();
    final AtomicBoolean truncateOnce = new AtomicBoolean();
    final AtomicBoolean shortBodyOnce = new AtomicBoolean();
    final AtomicBoolean ignoreRange = new AtomicBoolean();
    /** Answer every request 503 while set. */
    volatile boolean unavailable;
    /** Requests being answered now, and the most at once. */
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger maxInFlight = new AtomicInteger();
    /** Wait this long before answering, so that concurrent requests overlap visibly. */
    volatile long delayMillis;

    private final Path storeRoot;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();

    OriginServer(Path storeRoot) throws IOException {
        this.storeRoot = storeRoot.toAbsolutePath().normalize();
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    URI uri() {
        return URI.create("http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort() + "/");
    }

    private void handle(HttpExchange exchange) throws IOException {
        maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        // In flight until the answer starts: once the client has a whole response it may send the next
        // request before this handler returns, which must not count as two at once.
        boolean[] answered = {false};
        Runnable answering = () -> {
            if (!answered[0]) {
                answered[0] = true;
                inFlight.decrementAndGet();
            }
        };
        try (exchange) {
            requests.incrementAndGet();
            if (delayMillis > 0) {
                try {
                    Thread.sleep(delayMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (unavailable) {
                answering.run();
                exchange.sendResponseHeaders(503, -1);
                return;
            }
            Matcher m = RESOLVE.matcher(exchange.getRequestURI().getPath());
            Path file = m.matches()
                    ? storeRoot.resolve("repos").resolve(m.group(1)).resolve("revisions").resolve(m.group(2)).resolve(m.group(3)).normalize()
                    : null;
            if (file == null || !file.startsWith(storeRoot) || !Files.isRegularFile(file)) {
                answering.run();
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            byte[] content = Files.readAllBytes(file);
            Matcher range = RANGE.matcher(String.valueOf(exchange.getRequestHeaders().getFirst("Range")));
            int first = 0;
            int last = content.length - 1;
            int status = 200;
            if (range.matches() && !ignoreRange.get()) {
                first = Integer.parseInt(range.group(1));
                last = Math.min(Integer.parseInt(range.group(2)), content.length - 1);
                status = 206;
                exchange.getResponseHeaders().set("Content-Range", "bytes " + first + "-" + last + "/" + content.length);
            }
            byte[] body = java.util.Arrays.copyOfRange(content, first, last + 1);
            if (flipBitOnce.compareAndSet(true, false)) {
                body[body.length / 2] ^= 0x10;
            }
            // truncateOnce: chunked encoding ended early, so the client sees a clean end of body.
            // shortBodyOnce: Content-Length promised but the connection closes early, a read error.
            boolean truncate = truncateOnce.compareAndSet(true, false);
            boolean shortBody = !truncate && shortBodyOnce.compareAndSet(true, false);
            answering.run();
            exchange.sendResponseHeaders(status, truncate ? 0 : body.length);
            int length = truncate || shortBody ? body.length / 2 : body.length;
            OutputStream out = exchange.getResponseBody();
            out.write(body, 0, length);
            bytesSent.addAndGet(length);
            out.flush();
            if (shortBody) {
                try {
                    out.close();
                } catch (IOException expected) {
                    // "insufficient bytes written": the server drops the connection, as intended.
                }
                return;
            }
            out.close();
        } finally {
            answering.run();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
