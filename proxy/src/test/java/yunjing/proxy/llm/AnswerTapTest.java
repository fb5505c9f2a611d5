package yunjing.proxy.llm;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AnswerTapTest {

    static final String HEAD = ChatAnswerTest.HEAD;
    static final String ROLE = "data: {" + HEAD + ",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
            + "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n";
    static final String TEXT = "data: {" + HEAD + ",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},"
            + "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n";
    static final String FINISH = "data: {" + HEAD + ",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,"
            + "\"finish_reason\":\"stop\"}],\"usage\":null}\n\n";
    static final String USAGE = "data: {" + HEAD + ",\"choices\":[],\"usage\":{\"prompt_tokens\":4,"
            + "\"completion_tokens\":2,\"total_tokens\":6}}\n\n";
    static final String DONE = "data: [DONE]\n\n";

    /** Relays {@code content} and returns the text sent on, releasing it as the client channel would. */
    static String relay(AnswerTap tap, HttpContent content) {
        HttpContent out = tap.relay(content);
        try {
            return out.content().toString(StandardCharsets.UTF_8);
        } finally {
            out.release();
            assertEquals(0, content.refCnt(), "the tap released or passed on what it was given");
        }
    }

    static HttpContent piece(String text) {
        return new DefaultHttpContent(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
    }

    static HttpContent last(String text) {
        return new DefaultLastHttpContent(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
    }

    @Test
    void usageTheEdgeAskedFor_isTakenOut_butCharged_andTheAnswerKeptAfterDone() {
        AnswerTap tap = new AnswerTap(true, true, true);
        StringBuilder client = new StringBuilder();
        client.append(relay(tap, piece(ROLE + TEXT.substring(0, 20))));
        client.append(relay(tap, piece(TEXT.substring(20) + FINISH)));
        assertNull(tap.answer(), "not before [DONE]");
        client.append(relay(tap, piece(USAGE)));
        client.append(relay(tap, last(DONE)));
        String seen = client.toString();
        assertFalse(seen.contains("usage"), seen);
        assertTrue(seen.contains("\"delta\":{\"content\":\"Hi\"}"), seen);
        assertTrue(seen.endsWith(DONE), seen);
        assertEquals(6, tap.tokensUsed());
        ChatAnswer answer = tap.answer();
        assertNotNull(answer);
        assertTrue(new String(answer.json(), StandardCharsets.UTF_8).contains("\"content\":\"Hi\""));
    }

    @Test
    void aStreamWithoutRewriting_isPassedOnAsTheSameObjects() {
        AnswerTap tap = new AnswerTap(true, false, false);
        HttpContent first = piece(ROLE + TEXT + FINISH + USAGE);
        HttpContent out = tap.relay(first);
        assertSame(first, out);
        out.release();
        HttpContent end = last(DONE);
        HttpContent outEnd = tap.relay(end);
        assertSame(end, outEnd);
        outEnd.release();
        assertEquals(6, tap.tokensUsed());
        assertNull(tap.answer(), "not collecting");
    }

    @Test
    void aStreamCutShort_isNotKept_andIsChargedPerChunkRelayed() {
        AnswerTap tap = new AnswerTap(true, true, true);
        relay(tap, piece(ROLE + TEXT + TEXT));
        assertNull(tap.answer());
        assertEquals(3, tap.tokensUsed());
    }

    @Test
    void aWholeJsonAnswer_isChargedFromItsUsage_andKept() {
        String body = "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"logprobs\":null,\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}";
        AnswerTap tap = new AnswerTap(false, false, true);
        assertEquals(body.substring(0, 30), relay(tap, piece(body.substring(0, 30))));
        assertEquals(body.substring(30), relay(tap, last(body.substring(30))));
        assertEquals(2, tap.tokensUsed());
        assertEquals(body, new String(tap.answer().json(), StandardCharsets.UTF_8));
    }
}
