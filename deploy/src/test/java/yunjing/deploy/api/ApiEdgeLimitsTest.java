package yunjing.deploy.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Acceptance of the edge's per-key limits and of cancellation, on the whole local network: a client that
 * leaves mid-stream frees the origin's sequence at once; the free plan's sixth concurrent stream is refused
 * with Retry-After; tokens per minute are charged from the usage the origin reports, streamed or not.
 */
class ApiEdgeLimitsTest {

    static final String FREE = "sk-yunjing-local-free";
    static final String PRO = "sk-yunjing-local-pro";
    static final String TPM_JSON = "sk-test-tpm-json";
    static final String TPM_STREAM = "sk-test-tpm-stream";
    /** Generation that goes on far longer than any test waits, unless cancelled. */
    static final String LONG_STREAM = "{\"model\":\"tiny-llama\",\"messages\":[{\"role\":\"user\",\"content\":\"go on\"}],"
            + "\"stream\":true,\"max_tokens\":1900,\"ignore_eos\":true}";

    @RegisterExtension
    static final ApiNetwork network = new ApiNetwork(
            "  tiny-tpm: { concurrent: 5, requests_per_minute: 600, requests_per_day: 10000, tokens_per_minute: 10, priority: 1 }\n",
            Map.of(TPM_JSON, "tiny-tpm", TPM_STREAM, "tiny-tpm"));

    static String chat(boolean stream, String extra) {
        return "{\"model\":\"tiny-llama\",\"messages\":[{\"role\":\"user\",\"content\":\"count tokens\"}],"
                + "\"max_tokens\":8,\"temperature\":0,\"stream\":" + stream + extra + "}";
    }

    HttpResponse<String> post(String edge, String key, String body) throws Exception {
        return network.http().send(HttpRequest.newBuilder(URI.create(network.apiBase(edge) + "/chat/completions"))
                        .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                        .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    double originRunning() throws Exception {
        return ApiNetwork.sample(network.metrics("origin"), "yunjing_origin_sequences_running");
    }

    void awaitOriginIdle() throws Exception {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (originRunning() > 0) {
            assertTrue(System.nanoTime() < deadline, "origin still generating after 20 s");
            Thread.sleep(20);
        }
    }

    /**
     * Three times (the median is compared, so one pause of this shared 2-core machine's scheduler does not
     * decide): a client reads 3 events of a long stream through gz-unicom, gz-regional and bj-central, then
     * closes its connection; the origin's running-sequences gauge must drop within 200 ms.
     */
    @Test
    void clientLeavingAfterThreeEvents_freesTheOriginsSequenceWithin200ms() throws Exception {
        double cancelledBefore = cancelledAtOrigin();
        long[] freedMicros = new long[3];
        for (int i = 0; i < freedMicros.length; i++) {
            freedMicros[i] = leaveAfterThreeEvents();
        }
        long[] sorted = freedMicros.clone();
        Arrays.sort(sorted);
        System.out.println("[ApiEdgeLimitsTest] origin sequence freed after the client closed (µs, through gz-unicom,"
                + " gz-regional, bj-central): " + Arrays.toString(freedMicros) + ", median " + sorted[1]);
        assertTrue(sorted[1] < 200_000, "median " + sorted[1] + " µs (expected: < 200 ms)");
        assertEquals(0.0, originRunning(), "/metrics shows no sequence running");
        assertEquals(cancelledBefore + 3, cancelledAtOrigin(), "each ended as cancelled, not by running out of tokens");
        assertTrue(ApiNetwork.sample(network.metrics("gz-unicom"), "yunjing_proxy_api_cancellations_total") >= 3);
    }

    double cancelledAtOrigin() throws Exception {
        double n = ApiNetwork.sample(network.metrics("origin"), "yunjing_origin_completions_total",
                "finish_reason=\"cancelled\"");
        return Double.isNaN(n) ? 0 : n;
    }

    /** Returns the microseconds from closing the client's connection to the origin's sequence ending. */
    long leaveAfterThreeEvents() throws Exception {
        awaitOriginIdle();
        // Timed on the origin's own registry (the one its /metrics renders): an HTTP scrape takes tens of ms
        // on this machine, too coarse for a 200 ms bound.
        var gauge = network.role("origin").adminRole().registry().get("yunjing.origin.sequences.running").gauge();
        long closedAt;
        try (SseSocket stream = new SseSocket(network.role("gz-unicom").http(), PRO, LONG_STREAM)) {
            assertEquals(200, stream.status());
            for (int i = 0; i < 3; i++) {
                assertNotNull(stream.nextData(), "event " + i);
            }
            assertEquals(1.0, gauge.value(), "the origin is generating for this stream");
            closedAt = System.nanoTime();
        }
        long freedMicros;
        while (gauge.value() > 0) {
            freedMicros = (System.nanoTime() - closedAt) / 1000;
            assertTrue(freedMicros < 5_000_000, "the origin still generates 5 s after the client left");
            Thread.sleep(1);
        }
        return (System.nanoTime() - closedAt) / 1000;
    }

    @Test
    void sixConcurrentStreamsOnTheFreeKey_fiveRun_theSixthGets429WithRetryAfter() throws Exception {
        awaitOriginIdle();
        List<SseSocket> five = new ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) {
                // Sent, not waited for: with two inference threads some of the five queue at the origin.
                five.add(new SseSocket(network.role("sh-telecom").http(), FREE, LONG_STREAM));
            }
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (ApiNetwork.sample(network.metrics("sh-telecom"), "yunjing_proxy_api_requests_active") < 5) {
                assertTrue(System.nanoTime() < deadline, "five streams not admitted after 20 s");
                Thread.sleep(20);
            }
            HttpResponse<String> sixth = post("sh-telecom", FREE, LONG_STREAM);
            assertEquals(429, sixth.statusCode(), sixth.body());
            assertEquals("1", sixth.headers().firstValue("retry-after").orElse(""));
            assertTrue(sixth.body().contains("\"retry_after_seconds\":1"), sixth.body());
            assertTrue(sixth.body().contains("5 concurrent requests"), sixth.body());
        } finally {
            for (SseSocket s : five) {
                s.close();
            }
        }
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (ApiNetwork.sample(network.metrics("sh-telecom"), "yunjing_proxy_api_requests_active") > 0) {
            assertTrue(System.nanoTime() < deadline, "slots not freed 20 s after the clients left");
            Thread.sleep(20);
        }
        assertEquals(200, post("sh-telecom", FREE, chat(false, "")).statusCode(), "the slots came back");
    }

    @Test
    void tokensPerMinute_areChargedFromTheUsageOfAWholeAnswer() throws Exception {
        HttpResponse<String> first = post("bj-mobile", TPM_JSON, chat(false, ""));
        assertEquals(200, first.statusCode(), first.body());
        assertTrue(first.body().contains("\"total_tokens\""), first.body());
        HttpResponse<String> second = post("bj-mobile", TPM_JSON, chat(false, ""));
        assertEquals(429, second.statusCode(), second.body());
        assertTrue(second.body().contains("tokens per minute"), second.body());
        long retryAfter = Long.parseLong(second.headers().firstValue("retry-after").orElseThrow());
        assertTrue(retryAfter >= 1, "Retry-After " + retryAfter);
        assertTrue(second.body().contains("\"retry_after_seconds\":" + retryAfter), second.body());
        assertTrue(ApiNetwork.sample(network.metrics("bj-mobile"), "yunjing_proxy_api_rejected_total",
                "reason=\"tpm\"") >= 1);
    }

    @Test
    void tokensPerMinute_ofAStream_areCountedFromUsageTheEdgeAskedFor_whichTheClientDoesNotSee() throws Exception {
        HttpResponse<String> stream = post("gz-unicom", TPM_STREAM, chat(true, ""));
        assertEquals(200, stream.statusCode(), stream.body());
        assertTrue(stream.body().strip().endsWith("data: [DONE]"), stream.body());
        assertFalse(stream.body().contains("usage"), "the client did not ask for usage: " + stream.body());
        HttpResponse<String> next = post("gz-unicom", TPM_STREAM, chat(true, ""));
        assertEquals(429, next.statusCode(), "the stream's tokens were charged: " + next.body());
        assertTrue(next.body().contains("tokens per minute"), next.body());
    }

    @Test
    void aClientThatAsksForUsage_getsTheUsageChunk() throws Exception {
        HttpResponse<String> stream = post("gz-unicom", PRO, chat(true, ",\"stream_options\":{\"include_usage\":true}"));
        assertEquals(200, stream.statusCode(), stream.body());
        assertTrue(stream.body().contains("\"choices\":[],\"usage\":{"), stream.body());
        assertTrue(stream.body().strip().endsWith("data: [DONE]"), stream.body());
    }
}
