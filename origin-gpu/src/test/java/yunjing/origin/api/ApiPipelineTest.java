package yunjing.origin.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The connection pipeline in memory: HTTP/1.1 detection, the Server header, 413, and buffer ownership. */
class ApiPipelineTest {

    private static final int MAX_BODY = 1024;
    private ExecutorService inference;
    private EmbeddedChannel channel;

    @BeforeEach
    void setUp() {
        inference = Executors.newSingleThreadExecutor();
        ApiContext api = new ApiContext("yunjing-origin/mem", new ServedModels(java.util.List.of()), inference,
                new OriginMetrics(new SimpleMeterRegistry()), new ObjectMapper(), MAX_BODY);
        channel = new EmbeddedChannel();
        ApiPipeline.configureConnection(channel, api, new ServerHeaderHandler(api.serverHeader()));
    }

    @AfterEach
    void tearDown() {
        channel.finishAndReleaseAll();
        inference.shutdownNow();
    }

    private String exchange(String request) {
        ByteBuf in = Unpooled.copiedBuffer(request, StandardCharsets.UTF_8);
        channel.writeInbound(in);
        assertEquals(0, in.refCnt(), "the pipeline released the request bytes");
        StringBuilder out = new StringBuilder();
        for (ByteBuf b = channel.readOutbound(); b != null; b = channel.readOutbound()) {
            out.append(b.toString(StandardCharsets.UTF_8));
            b.release();
        }
        return out.toString();
    }

    @Test
    void http1Request_installsTheHttp1HandlersInOrder() {
        String response = exchange("GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n");
        assertTrue(response.startsWith("HTTP/1.1 200 OK\r\n"), response);
        assertTrue(response.contains("server: yunjing-origin/mem\r\n"), response);
        assertTrue(response.endsWith("{\"object\":\"list\",\"data\":[]}\n"), response);
        var names = channel.pipeline().names();
        assertFalse(names.contains(ApiPipeline.H1_DETECT));
        int header = names.indexOf(ApiPipeline.SERVER_HEADER);
        assertTrue(header >= 0 && header < names.indexOf(ApiPipeline.KEEP_ALIVE)
                && names.indexOf(ApiPipeline.KEEP_ALIVE) < names.indexOf(ApiPipeline.AGGREGATOR)
                && names.indexOf(ApiPipeline.AGGREGATOR) < names.indexOf(ApiPipeline.API), names.toString());
    }

    @Test
    void keepAlive_secondRequestOnTheSameChannel() {
        exchange("GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n");
        String second = exchange("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
        assertTrue(second.startsWith("HTTP/1.1 404 Not Found\r\n"), second);
        assertTrue(second.contains("\"code\":\"not_found\""), second);
        assertTrue(channel.isActive());
    }

    @Test
    void connectionClose_isHonoured() {
        String response = exchange("GET /v1/models HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertTrue(response.contains("connection: close\r\n"), response);
        assertFalse(channel.isActive());
    }

    @Test
    void oversizedBody_gets413InOpenAiShapeAndTheConnectionCloses() {
        String body = "x".repeat(MAX_BODY + 1);
        String response = exchange("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length() + "\r\n\r\n" + body);
        assertTrue(response.startsWith("HTTP/1.1 413 Request Entity Too Large\r\n"), response);
        assertTrue(response.contains("server: yunjing-origin/mem\r\n"), response);
        assertTrue(response.contains("\"type\":\"invalid_request_error\""), response);
        assertTrue(response.contains("\"code\":\"request_too_large\""), response);
        assertFalse(channel.isActive());
    }

    @Test
    void malformedRequestLine_is400() {
        String response = exchange("GET /v1/models HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n");
        assertTrue(response.startsWith("HTTP/1.1 400 Bad Request\r\n"), response);
    }
}
