package yunjing.proxy.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

class SessionAffinityTest {

    private static final String SYSTEM = "{\"role\":\"system\",\"content\":\"You are a phone agent.\"}";
    private static final String FIRST = "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"open maps\"},"
            + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,AAAA\"}}]}";

    @Test
    void laterTurnsOfOneConversation_shareTheKey() {
        String turn1 = key("autoglm-phone-9b", SYSTEM, FIRST);
        String turn2 = key("autoglm-phone-9b", SYSTEM, FIRST,
                "{\"role\":\"assistant\",\"content\":\"tap(120,300)\"}", "{\"role\":\"user\",\"content\":\"next\"}");
        assertNotNull(turn1);
        assertEquals(turn1, turn2);
        assertEquals(32, turn1.length());
    }

    @Test
    void otherOpeningOrModel_otherKey() {
        String base = key("autoglm-phone-9b", SYSTEM, FIRST);
        assertNotEquals(base, key("autoglm-phone-9b", SYSTEM, "{\"role\":\"user\",\"content\":\"open mail\"}"));
        assertNotEquals(base, key("other-model", SYSTEM, FIRST));
        assertNotEquals(base, key("autoglm-phone-9b", FIRST));
    }

    @Test
    void fieldOrderAndOtherFields_doNotMatter_butMessagesMust() {
        String a = "{\"model\":\"m\",\"stream\":true,\"messages\":[" + SYSTEM + "," + FIRST + "]}";
        String b = "{\"temperature\":0,\"messages\":[" + SYSTEM + "," + FIRST + "],\"model\":\"m\"}";
        assertEquals(key(a), key(b));
        assertNull(key("{\"model\":\"m\"}"));
        assertNull(key("{\"messages\":[]}"));
        assertNull(key("not json"));
    }

    @Test
    void doesNotMoveTheBodysIndexes() {
        ByteBuf body = Unpooled.copiedBuffer("{\"model\":\"m\",\"messages\":[" + FIRST + "]}", StandardCharsets.UTF_8);
        try {
            int before = body.readerIndex();
            assertNotNull(SessionAffinity.key(body));
            assertEquals(before, body.readerIndex());
        } finally {
            body.release();
        }
    }

    private static String key(String model, String... messages) {
        return key("{\"model\":\"" + model + "\",\"messages\":[" + String.join(",", messages) + "]}");
    }

    private static String key(String json) {
        ByteBuf body = Unpooled.copiedBuffer(json, StandardCharsets.UTF_8);
        try {
            return SessionAffinity.key(body);
        } finally {
            body.release();
        }
    }
}
