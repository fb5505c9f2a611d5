package yunjing.proxy.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AnswerKeyTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }

    @Test
    void keyOrderWhitespaceNumberFormAndStreamFlags_doNotChangeTheKey() throws Exception {
        String a = AnswerKey.of("t", json("{\"model\":\"m\",\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
        String b = AnswerKey.of("t", json("{ \"messages\" : [ {\"content\":\"hi\", \"role\":\"user\"} ],\n"
                + " \"temperature\": 0.0, \"model\": \"m\", \"stream\": true, \"stream_options\": {\"include_usage\": true} }"));
        assertEquals(a, b);
        assertEquals(64, a.length());
    }

    @Test
    void tenantModelAndContent_eachChangeTheKey() throws Exception {
        JsonNode body = json("{\"model\":\"m\",\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        String key = AnswerKey.of("tenant-a", body);
        assertNotEquals(key, AnswerKey.of("tenant-b", body));
        assertNotEquals(key, AnswerKey.of("tenant-a", json("{\"model\":\"m2\",\"temperature\":0,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")));
        assertNotEquals(key, AnswerKey.of("tenant-a", json("{\"model\":\"m\",\"temperature\":0,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi!\"}]}")));
        assertNotEquals(key, AnswerKey.of("tenant-a", json("{\"model\":\"m\",\"temperature\":0,\"max_tokens\":5,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")));
    }

    @Test
    void onlyTemperatureZeroAndOneChoice_areDeterministic() throws Exception {
        assertTrue(AnswerKey.deterministic(json("{\"temperature\":0}")));
        assertTrue(AnswerKey.deterministic(json("{\"temperature\":0.0,\"n\":1}")));
        assertFalse(AnswerKey.deterministic(json("{}")), "OpenAI's default temperature is 1");
        assertFalse(AnswerKey.deterministic(json("{\"temperature\":0.2}")));
        assertFalse(AnswerKey.deterministic(json("{\"temperature\":\"0\"}")));
        assertFalse(AnswerKey.deterministic(json("{\"temperature\":0,\"n\":2}")));
    }
}
