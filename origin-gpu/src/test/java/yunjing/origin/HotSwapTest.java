package yunjing.origin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.common.net.EventLoops;
import yunjing.origin.model.TestModelGenerator;
import yunjing.origin.sched.SchedulerConfig;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link OriginServer#reload}: a model swapped to a new checkpoint under load, without a failed request. */
class HotSwapTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MODEL = "tiny-llama";
    private static final String PROMPT = "{\"model\":\"tiny-llama\",\"temperature\":0,\"ignore_eos\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Say something\"}]";
    /** Long enough, with readers that pause, that the streams are still running on the server at the swap. */
    private static final int STREAM_TOKENS = 1900;

    @TempDir
    Path tmp;
    private EventLoops loops;
    private OriginServer server;
    private Path oldDir;
    private Path newDir;

    @BeforeEach
    void setUp() throws Exception {
        oldDir = Files.createDirectory(tmp.resolve("r1"));
        newDir = Files.createDirectory(tmp.resolve("r2"));
        TestModelGenerator.generate(oldDir, 2024);
        TestModelGenerator.generate(newDir, 7); // another seed: other weights, other answers
        loops = EventLoops.create(2, "hotswap-test");
        server = start(oldDir, "r1");
    }

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
        if (loops != null) {
            loops.close();
        }
    }

    private OriginServer start(Path dir, String revision) throws Exception {
        return OriginServer.start(new OriginConfig("hotswap", new InetSocketAddress("127.0.0.1", 0),
                List.of(new ModelSpec(MODEL, dir, revision)), 4, SchedulerConfig.DEFAULTS), loops,
                new SimpleMeterRegistry());
    }

    /** The greedy answer of {@code dir}'s model, from a server of its own. */
    private String referenceAnswer(Path dir, int maxTokens) throws Exception {
        try (OriginServer reference = start(dir, "ref")) {
            return complete(reference.httpAddress(), maxTokens);
        }
    }

    private static String complete(InetSocketAddress address, int maxTokens) throws Exception {
        try (HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + address.getPort() + "/v1/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(PROMPT + ",\"max_tokens\":" + maxTokens + "}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), response.body());
            return JSON.readTree(response.body()).at("/choices/0/message/content").asText();
        }
    }

    private String listedRevision() throws Exception {
        try (HttpClient client = HttpClient.newHttpClient()) {
            String body = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + server.httpAddress().getPort() + "/v1/models")).build(), HttpResponse.BodyHandlers.ofString())
                    .body();
            JsonNode model = JSON.readTree(body).at("/data/0");
            assertEquals(MODEL, model.get("id").asText());
            return model.path("revision").asText(null);
        }
    }

    /**
     * Streams one completion: counts {@code firstChunk} down once the first event arrived, then reads on only once
     * {@code resume} opens (the server, unable to write, holds the sequence); returns the streamed text.
     */
    private String stream(CountDownLatch firstChunk, CountDownLatch resume) throws Exception {
        try (RawHttp1 raw = new RawHttp1(server.httpAddress())) {
            raw.post("/v1/chat/completions", PROMPT + ",\"stream\":true,\"max_tokens\":" + STREAM_TOKENS + "}");
            raw.readHead();
            assertEquals(200, raw.status);
            StringBuilder text = new StringBuilder();
            boolean done = false;
            boolean paused = false;
            for (String c = raw.readChunk(); c != null; c = raw.readChunk()) {
                if (!paused) {
                    paused = true;
                    firstChunk.countDown();
                    assertTrue(resume.await(60, TimeUnit.SECONDS));
                }
                String data = c.substring("data: ".length()).strip();
                if (data.equals("[DONE]")) {
                    done = true;
                    continue;
                }
                text.append(JSON.readTree(data).at("/choices/0/delta/content").asText(""));
            }
            assertTrue(done, "the stream ended with [DONE]");
            return text.toString();
        }
    }

    @Test
    void reloadUnderLoad_inFlightStreamsFinishOnTheOldModel_newRequestsGetTheNewOne() throws Exception {
        String oldStream = referenceAnswer(oldDir, STREAM_TOKENS);
        String oldShort = referenceAnswer(oldDir, 8);
        String newShort = referenceAnswer(newDir, 8);
        assertNotEquals(oldShort, newShort, "the two seeds answer differently");
        assertEquals("r1", listedRevision());

        int streams = 4;
        CountDownLatch started = new CountDownLatch(streams);
        CountDownLatch swappedLatch = new CountDownLatch(1);
        ExecutorService clients = Executors.newFixedThreadPool(streams + 2);
        try {
            List<Future<String>> inFlight = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                inFlight.add(clients.submit(() -> stream(started, swappedLatch)));
            }
            assertTrue(started.await(60, TimeUnit.SECONDS), "every stream under way before the swap");
            // Short requests keep arriving across the swap: each must succeed, answered by one model or the other.
            AtomicBoolean swapped = new AtomicBoolean();
            ConcurrentLinkedQueue<String> across = new ConcurrentLinkedQueue<>();
            List<Future<?>> loaders = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                loaders.add(clients.submit(() -> {
                    do {
                        across.add(complete(server.httpAddress(), 8));
                    } while (!swapped.get());
                    return null;
                }));
            }

            server.reload(new ModelSpec(MODEL, newDir, "r2"));
            swapped.set(true);
            int retiringAtSwap = server.retiringModels();
            swappedLatch.countDown();
            assertEquals(1, retiringAtSwap, "the old model was still running the streams when it was swapped out");

            assertEquals("r2", listedRevision());
            assertNull(server.swapInProgress());
            assertTrue(server.isReady());
            assertEquals(newShort, complete(server.httpAddress(), 8), "after the swap the new model answers");
            for (Future<String> f : inFlight) {
                assertEquals(oldStream, f.get(60, TimeUnit.SECONDS), "a stream begun before the swap ends on the old model");
            }
            for (Future<?> f : loaders) {
                f.get(60, TimeUnit.SECONDS); // a failed request would have failed the loader
            }
            assertTrue(!across.isEmpty());
            for (String answer : across) {
                assertTrue(answer.equals(oldShort) || answer.equals(newShort), "answered by one model: " + answer);
            }
        } finally {
            clients.shutdownNow();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (server.retiringModels() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(0, server.retiringModels(), "the old model and its engine are closed once its streams ended");
    }

    @Test
    void failedReload_keepsTheOldModelServing() throws Exception {
        String oldShort = referenceAnswer(oldDir, 8);
        Path broken = Files.createDirectory(tmp.resolve("broken"));
        Files.writeString(broken.resolve("config.json"), "{not json");

        assertThrows(ModelLoadException.class, () -> server.reload(new ModelSpec(MODEL, broken, "r2")));

        assertEquals("r1", listedRevision());
        assertEquals(oldShort, complete(server.httpAddress(), 8));
        assertTrue(server.isReady());
        assertEquals(0, server.retiringModels());
    }

    @Test
    void reloadOfAnUnknownModel_isRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> server.reload(new ModelSpec("other", newDir, "r2")));
        assertTrue(e.getMessage().contains("other"), e.getMessage());
    }
}
