package yunjing.proxy.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChatAnswerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String HEAD = "\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":7,\"model\":\"m\"";

    static List<JsonNode> chunks(String... texts) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        out.add(JSON.readTree("{" + HEAD + ",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
                + "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}"));
        for (String t : texts) {
            out.add(JSON.readTree("{" + HEAD + ",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + t + "\"},"
                    + "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}"));
        }
        out.add(JSON.readTree("{" + HEAD + ",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,"
                + "\"finish_reason\":\"stop\"}],\"usage\":null}"));
        out.add(JSON.readTree("{" + HEAD + ",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,"
                + "\"total_tokens\":5}}"));
        return out;
    }

    @Test
    void streamedChunks_becomeTheCompletion_andReplayAsBothShapes() throws Exception {
        ChatAnswer answer = ChatAnswer.fromChunks(chunks("Hel", "lo"));
        assertNotNull(answer);
        JsonNode json = JSON.readTree(answer.json());
        assertEquals("chat.completion", json.get("object").asText());
        assertEquals("chatcmpl-1", json.get("id").asText());
        assertEquals("Hello", json.at("/choices/0/message/content").asText());
        assertEquals("assistant", json.at("/choices/0/message/role").asText());
        assertEquals("stop", json.at("/choices/0/finish_reason").asText());
        assertEquals(5, json.at("/usage/total_tokens").asInt());

        String sse = new String(answer.sse(false), StandardCharsets.UTF_8);
        assertTrue(sse.endsWith("data: [DONE]\n\n"), sse);
        assertTrue(!sse.contains("usage"), sse);
        StringBuilder text = new StringBuilder();
        for (String event : sse.split("\n\n")) {
            String data = SseEvents.data(event + "\n\n");
            if (!data.equals("[DONE]")) {
                JsonNode chunk = JSON.readTree(data);
                assertEquals("chat.completion.chunk", chunk.get("object").asText());
                text.append(chunk.at("/choices/0/delta/content").asText(""));
            }
        }
        assertEquals("Hello", text.toString());
        String withUsage = new String(answer.sse(true), StandardCharsets.UTF_8);
        assertTrue(withUsage.contains("\"choices\":[],\"usage\":{\"prompt_tokens\":3"), withUsage);
        assertTrue(withUsage.contains("\"usage\":null"), withUsage);
    }

    @Test
    void aCompletion_isReplayedByteForByte() throws Exception {
        String body = "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"logprobs\":null,\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}";
        byte[] raw = body.getBytes(StandardCharsets.UTF_8);
        ChatAnswer answer = ChatAnswer.fromCompletion(JSON.readTree(raw), raw);
        assertNotNull(answer);
        assertEquals(body, new String(answer.json(), StandardCharsets.UTF_8));
    }

    @Test
    void answersNotPlainText_orIncomplete_areNotKept() throws Exception {
        List<JsonNode> noUsage = chunks("a");
        noUsage.remove(noUsage.size() - 1);
        assertNull(ChatAnswer.fromChunks(noUsage), "no usage: cannot be replayed to a client that asks for it");
        List<JsonNode> noFinish = chunks("a");
        noFinish.remove(noFinish.size() - 2);
        assertNull(ChatAnswer.fromChunks(noFinish));
        List<JsonNode> toolCall = chunks("a");
        toolCall.add(1, JSON.readTree("{" + HEAD + ",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{}]},"
                + "\"finish_reason\":null}]}"));
        assertNull(ChatAnswer.fromChunks(toolCall));
        String twoChoices = "{\"id\":\"c\",\"object\":\"chat.completion\",\"usage\":{},\"choices\":["
                + "{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"a\"},\"finish_reason\":\"stop\"},"
                + "{\"index\":1,\"message\":{\"role\":\"assistant\",\"content\":\"b\"},\"finish_reason\":\"stop\"}]}";
        assertNull(ChatAnswer.fromCompletion(JSON.readTree(twoChoices), twoChoices.getBytes(StandardCharsets.UTF_8)));
    }
}
