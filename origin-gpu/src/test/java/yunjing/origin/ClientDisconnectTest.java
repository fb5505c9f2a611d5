package yunjing.origin;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A client that goes away mid-stream stops costing compute: generation is cancelled between tokens, well before
 * {@code max_tokens}, the token counter stops growing, and its KV cache blocks go back to the pool.
 */
class ClientDisconnectTest {

    @RegisterExtension
    static final OriginServerExtension origin = new OriginServerExtension();

    /** ~2000 tokens take the Java engine most of a second here; a stop within milliseconds leaves most unused. */
    private static final int MAX_TOKENS = 2000;
    private static final String LONG_STREAM = "{\"model\":\"tiny-llama\",\"stream\":true,\"temperature\":0,"
            + "\"ignore_eos\":true,\"max_tokens\":" + MAX_TOKENS
            + ",\"messages\":[{\"role\":\"user\",\"content\":\"Go on forever\"}]}";

    @Test
    void http1ConnectionClosed_stopsGeneration() throws Exception {
        double cancelledBefore = origin.completions("cancelled");
        double tokensBefore = origin.tokensGenerated();
        try (RawHttp1 raw = new RawHttp1(origin.address())) {
            raw.post("/v1/chat/completions", LONG_STREAM);
            raw.readHead();
            raw.readChunk(); // role
            raw.readChunk(); // first content: generation is under way
        }
        assertGenerationStopped(cancelledBefore, tokensBefore);
    }

    @Test
    void http2StreamReset_stopsGeneration() throws Exception {
        double cancelledBefore = origin.completions("cancelled");
        double tokensBefore = origin.tokensGenerated();
        try (H2cClient client = new H2cClient(origin.address(), origin.loops())) {
            H2cClient.Exchange ex = client.send("POST", "/v1/chat/completions", LONG_STREAM);
            ex.dataQueue.poll(5, TimeUnit.SECONDS);
            ex.dataQueue.poll(5, TimeUnit.SECONDS);
            // Closing an open stream channel sends RST_STREAM (CANCEL) and keeps the connection.
            ex.stream.close().sync();
            assertGenerationStopped(cancelledBefore, tokensBefore);
            H2cClient.Exchange next = client.send("GET", "/v1/models", null);
            assertEquals("200", next.status(), "the connection survives the reset");
        }
    }

    private static void assertGenerationStopped(double cancelledBefore, double tokensBefore) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (origin.completions("cancelled") == cancelledBefore && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(cancelledBefore + 1, origin.completions("cancelled"), "the generation was cancelled");
        double tokens = origin.tokensGenerated() - tokensBefore;
        assertTrue(tokens < MAX_TOKENS / 2.0, "stopped early, after " + tokens + " of " + MAX_TOKENS + " tokens");
        Thread.sleep(100);
        assertEquals(tokens, origin.tokensGenerated() - tokensBefore, "no tokens after cancellation");
        assertEquals(0, gauge("sequences.running"));
        // Its full blocks may stay for prefix reuse; nothing else holds any.
        assertEquals(gauge("prefix.cache.blocks"), gauge("kv.blocks.used"), "the sequence's KV blocks were freed");
    }

    private static double gauge(String name) {
        return origin.metrics().get("yunjing.origin." + name).gauge().value();
    }
}
