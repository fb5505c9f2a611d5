package yunjing.proxy.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Which chat completion requests the answer cache may answer, and under which key. Stateless.
 *
 * <p>Deterministic requests only: {@code temperature} 0 (OpenAI's default is 1, so it must be sent) and
 * at most one choice. The key is SHA-256 over the key's tenant, the model and the canonical JSON of the
 * body: object keys sorted at every depth, no whitespace, whole numbers as integers, {@code stream} and
 * {@code stream_options}
 * left out so a streamed and a non-streamed request share one answer. The tenant comes first, so two
 * tenants never share an entry however alike their requests are.
 */
final class AnswerKey {

    private static final ObjectMapper CANONICAL = JsonMapper.builder()
            .enable(JsonNodeFeature.WRITE_PROPERTIES_SORTED)
            .build();

    private AnswerKey() {
    }

    /** Whether the same request always gets the same answer from a greedy origin. */
    static boolean deterministic(JsonNode root) {
        JsonNode temperature = root.get("temperature");
        if (temperature == null || !temperature.isNumber() || temperature.doubleValue() != 0.0) {
            return false;
        }
        JsonNode n = root.get("n");
        return n == null || n.isNull() || (n.isIntegralNumber() && n.longValue() == 1);
    }

    /** The cache key: 64 hex digits. Hashes as it serialises, so a 20 MiB body is never copied whole. */
    static String of(String tenant, JsonNode root) {
        ObjectNode body = ((ObjectNode) root).deepCopy();
        body.remove("stream");
        body.remove("stream_options");
        canonicalNumbers(body);
        MessageDigest sha256 = sha256();
        try (OutputStream out = new DigestOutputStream(OutputStream.nullOutputStream(), sha256)) {
            // Length-prefixed, so no tenant/model pair can be shifted into another.
            byte[] t = tenant.getBytes(StandardCharsets.UTF_8);
            byte[] m = root.path("model").asText().getBytes(StandardCharsets.UTF_8);
            out.write((t.length + ":").getBytes(StandardCharsets.US_ASCII));
            out.write(t);
            out.write((m.length + ":").getBytes(StandardCharsets.US_ASCII));
            out.write(m);
            CANONICAL.writeValue(out, body);
        } catch (IOException e) {
            throw new IllegalStateException("hashing writes to no device and cannot fail", e);
        }
        return HexFormat.of().formatHex(sha256.digest());
    }

    /**
     * Writes every whole number as an integer ({@code 0.0} → {@code 0}, {@code 1e2} → {@code 100}), as RFC 8785
     * does: JSON does not tell them apart, and SDKs send {@code temperature} as {@code 0.0} where curl users
     * write {@code 0}.
     */
    private static void canonicalNumbers(JsonNode node) {
        if (node instanceof ObjectNode object) {
            for (var fields = object.fields(); fields.hasNext(); ) {
                var field = fields.next();
                JsonNode whole = wholeNumber(field.getValue());
                if (whole != null) {
                    field.setValue(whole);
                } else {
                    canonicalNumbers(field.getValue());
                }
            }
        } else if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                JsonNode whole = wholeNumber(array.get(i));
                if (whole != null) {
                    array.set(i, whole);
                } else {
                    canonicalNumbers(array.get(i));
                }
            }
        }
    }

    /** The integer node equal to {@code node}, when it is a fractional-form number with a whole value. */
    private static JsonNode wholeNumber(JsonNode node) {
        if (!node.isFloatingPointNumber()) {
            return null;
        }
        BigDecimal value = node.decimalValue();
        try {
            return LongNode.valueOf(value.longValueExact());
        } catch (ArithmeticException notWholeOrTooLarge) {
            return null;
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JRE", e);
        }
    }
}
