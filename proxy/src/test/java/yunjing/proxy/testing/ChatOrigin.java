package yunjing.proxy.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for an LLM origin on 127.0.0.1:0 (JDK HTTP server, a thread per exchange):
 * <ul>
 *   <li>{@code /readyz} — 200</li>
 *   <li>{@code /v1/chat/completions} and {@code /stream} — any method; reads the whole request body
 *       (recorded in {@link #bodies}), then answers an SSE stream shaped by the query: {@code n} chunks
 *       (default 3) {@code gap} ms apart (default 0), after {@code delay} ms (default 0), then
 *       {@code data: [DONE]}. {@link #started} counts requests whose head arrived (before their body is
 *       read), {@link #completed} streams written to the end.</li>
 * </ul>
 */
public final class ChatOrigin implements AutoCloseable {

    public final AtomicInteger started = new AtomicInteger();
    public final AtomicInteger completed = new AtomicInteger();
    public final List<String> bodies = new CopyOnWriteArrayList<>();
    /** The Via header of each request, as it arrived. */
    public final List<String> vias = new CopyOnWriteArrayList<>();
    /** Streams whose write failed: the proxy closed the connection (a cancel reached the origin). */
    public final AtomicInteger cancelled = new AtomicInteger();

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "chat-origin");
        t.setDaemon(true);
        return t;
    });

    public ChatOrigin() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(executor);
        server.createContext("/readyz", exchange -> {
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.createContext("/v1/chat/completions", this::chat);
        server.createContext("/stream", this::chat);
        server.start();
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    public URI readyzUrl() {
        return URI.create("http://127.0.0.1:" + address().getPort() + "/readyz");
    }

    private void chat(HttpExchange exchange) throws IOException {
        started.incrementAndGet();
        vias.add(String.valueOf(exchange.getRequestHeaders().getFirst("Via")));
        try (exchange) {
            bodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            Map<String, Long> params = params(exchange.getRequestURI().getQuery());
            long n = params.getOrDefault("n", 3L);
            long gap = params.getOrDefault("gap", 0L);
            sleep(params.getOrDefault("delay", 0L));
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            for (long i = 0; i < n; i++) {
                if (i > 0) {
                    sleep(gap);
                }
                out.write(("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"t" + i + "\"}}]}\n\n")
                        .getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            completed.incrementAndGet();
        } catch (IOException cut) {
            // The proxy closed the connection: the stream was cancelled or its parent went away.
            cancelled.incrementAndGet();
        }
    }

    private static Map<String, Long> params(String query) {
        Map<String, Long> out = new HashMap<>();
        if (query != null) {
            for (String param : query.split("&")) {
                String[] kv = param.split("=", 2);
                if (kv.length == 2 && kv[1].chars().allMatch(Character::isDigit) && !kv[1].isEmpty()) {
                    out.put(kv[0], Long.parseLong(kv[1]));
                }
            }
        }
        return out;
    }

    private static void sleep(long millis) {
        if (millis > 0) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
