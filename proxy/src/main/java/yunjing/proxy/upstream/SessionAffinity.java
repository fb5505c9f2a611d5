package yunjing.proxy.upstream;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.handler.codec.http.HttpHeaders;
import yunjing.proxy.http.ProxyHeaders;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The session affinity key of a chat completion: a SHA-256 of the model and the conversation's
 * opening (the messages up to and including the first {@code user} message, at most
 * {@link #MAX_PREFIX_MESSAGES}). Every later turn of the same conversation repeats that opening, so
 * it hashes to the same key, which the edge sends upstream as {@code X-Yunjing-Affinity}; every tier
 * then picks its parent by that key, and the conversation keeps reaching the replica that holds its
 * prefix cache (issue 4 item 6).
 *
 * <p>Streaming parse: the rest of the messages (e.g. later screenshots, megabytes of base64) is skipped,
 * not built into a tree. Stateless and thread-safe.
 */
public final class SessionAffinity {

    /** A conversation opening longer than this (system, tools, examples…) is cut here. */
    static final int MAX_PREFIX_MESSAGES = 4;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonFactory FACTORY = JSON.getFactory();

    private SessionAffinity() {
    }

    /** Sets {@code X-Yunjing-Affinity} to the body's key; leaves the headers alone when it has none. */
    public static void tag(HttpHeaders headers, ByteBuf body) {
        String key = key(body);
        if (key != null) {
            headers.set(ProxyHeaders.X_YUNJING_AFFINITY, key);
        }
    }

    /**
     * The affinity key of a chat completion body (read without moving its indexes), or null when the
     * body has no string {@code model} or no {@code messages} array.
     */
    public static String key(ByteBuf body) {
        MessageDigest sha = sha256();
        String model = null;
        boolean messages = false;
        try (JsonParser parser = FACTORY.createParser((java.io.InputStream) new ByteBufInputStream(body.duplicate()))) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if ("model".equals(field) && value == JsonToken.VALUE_STRING) {
                    model = parser.getText();
                } else if ("messages".equals(field) && value == JsonToken.START_ARRAY) {
                    messages = true;
                    digestOpening(parser, sha);
                } else {
                    parser.skipChildren();
                }
            }
        } catch (IOException e) {
            return null;
        }
        if (model == null || !messages) {
            return null;
        }
        sha.update((byte) 0);
        sha.update(model.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(sha.digest(), 0, 16);
    }

    /** Digests the opening messages, each in Jackson's compact form, and skips the rest of the array. */
    private static void digestOpening(JsonParser parser, MessageDigest sha) throws IOException {
        int taken = 0;
        boolean userSeen = false;
        JsonToken token;
        while ((token = parser.nextToken()) != JsonToken.END_ARRAY && token != null) {
            if (userSeen || taken >= MAX_PREFIX_MESSAGES) {
                parser.skipChildren();
                continue;
            }
            JsonNode message = parser.readValueAsTree();
            byte[] bytes = JSON.writeValueAsBytes(message);
            sha.update(bytes);
            sha.update((byte) '\n');
            taken++;
            userSeen = message.isObject() && "user".equals(message.path("role").asText());
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the JDK", e);
        }
    }
}
