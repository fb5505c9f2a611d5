package yunjing.proxy.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UsageOptionTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode rewrite(String body) throws Exception {
        ByteBuf in = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        ByteBuf out = UsageOption.request(in, JSON.readTree(body), ByteBufAllocator.DEFAULT);
        JsonNode parsed = JSON.readTree(out.toString(StandardCharsets.UTF_8));
        out.release();
        assertEquals(0, in.refCnt(), "the given body was released, or handed to the result, which released it");
        return parsed;
    }

    @Test
    void aBodyWithoutStreamOptions_getsIncludeUsage_andKeepsEverythingElse() throws Exception {
        JsonNode out = rewrite("  {\"model\":\"m\",\"stream\":true,\"messages\":[]}");
        assertTrue(out.at("/stream_options/include_usage").booleanValue());
        assertEquals("m", out.get("model").asText());
        assertTrue(out.get("stream").booleanValue());
        assertEquals(3 + 1, out.size());
    }

    @Test
    void otherStreamOptions_areKept() throws Exception {
        JsonNode out = rewrite("{\"model\":\"m\",\"stream\":true,\"messages\":[],\"stream_options\":{\"x\":1}}");
        assertTrue(out.at("/stream_options/include_usage").booleanValue());
        assertEquals(1, out.at("/stream_options/x").asInt());
    }
}
