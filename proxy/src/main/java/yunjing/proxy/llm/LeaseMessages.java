package yunjing.proxy.llm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The lease protocol between an edge and a key's budget owner (see proxy README, "Limits across edges"):
 * one small JSON request, one JSON answer. The edge states the plan's limits, because the owner (an inner
 * tier) holds no key store; the request is authenticated with the admin token by the transport.
 */
public final class LeaseMessages {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Longest key id accepted (ids are short names in the key store). */
    static final int MAX_KEY_ID = 200;
    /** Bounds of the counts in a request: far above any plan, low enough to keep arithmetic in int. */
    static final int MAX_COUNT = 100_000_000;

    private LeaseMessages() {
    }

    /**
     * An edge's request for a slice of a key's budget.
     *
     * @param want            requests it would like to spend (&gt;= 1; 0 only in a report of tokens)
     * @param used            requests it admitted without a slice since its last request (charged by the owner)
     * @param returned        requests of an expired slice it did not spend (given back to the owner)
     * @param tokens          tokens charged at the edge since its last request (the origin's usage)
     * @param tokensPerMinute the plan's tokens per minute; 0: no such limit (a field absent in older edges)
     */
    public record Ask(String keyId, int requestsPerMinute, int requestsPerDay, int want, int used, int returned,
            int tokens, int tokensPerMinute) {

        /** A request without tokens (a plan without tokens per minute). */
        public Ask(String keyId, int requestsPerMinute, int requestsPerDay, int want, int used, int returned) {
            this(keyId, requestsPerMinute, requestsPerDay, want, used, returned, 0, 0);
        }

        public Ask {
            if (keyId == null || keyId.isBlank() || keyId.length() > MAX_KEY_ID) {
                throw new IllegalArgumentException("key_id: expected 1 to " + MAX_KEY_ID + " characters");
            }
            check("requests_per_minute", requestsPerMinute, 1);
            check("requests_per_day", requestsPerDay, 1);
            check("want", want, tokensPerMinute > 0 ? 0 : 1);
            check("used", used, 0);
            check("returned", returned, 0);
            check("tokens", tokens, 0);
            check("tokens_per_minute", tokensPerMinute, 0);
        }

        public String toJson() {
            ObjectNode o = JSON.createObjectNode();
            o.put("key_id", keyId).put("requests_per_minute", requestsPerMinute)
                    .put("requests_per_day", requestsPerDay).put("want", want).put("used", used)
                    .put("returned", returned);
            if (tokensPerMinute > 0) {
                o.put("tokens", tokens).put("tokens_per_minute", tokensPerMinute);
            }
            return o.toString();
        }

        /** @throws IllegalArgumentException when {@code json} is not a valid request (the message says why) */
        public static Ask parse(String json) {
            JsonNode root = read(json);
            JsonNode id = root.get("key_id");
            if (id == null || !id.isTextual()) {
                throw new IllegalArgumentException("key_id: expected a string");
            }
            return new Ask(id.textValue(), integer(root, "requests_per_minute"), integer(root, "requests_per_day"),
                    integer(root, "want"), integer(root, "used"), integer(root, "returned"),
                    optionalInteger(root, "tokens"), optionalInteger(root, "tokens_per_minute"));
        }
    }

    /**
     * The owner's answer.
     *
     * @param granted           requests the edge may spend (0: none now)
     * @param ttlMillis         how long the slice is good for; unspent requests are returned after it
     * @param retryAfterSeconds when nothing is granted: when to ask again (the client's Retry-After)
     * @param reason            when nothing is granted: {@code rpm} or {@code rpd}; else null (a report of
     *                          tokens that asked for no requests)
     * @param tokensRetryAfterSeconds 0 while the key's tokens per minute are not spent; else how long until
     *                          the owner's token bucket is out of debt (the edge refuses the key until then)
     */
    public record Grant(int granted, long ttlMillis, long retryAfterSeconds, String reason,
            long tokensRetryAfterSeconds) {

        /** An answer about requests only. */
        public Grant(int granted, long ttlMillis, long retryAfterSeconds, String reason) {
            this(granted, ttlMillis, retryAfterSeconds, reason, 0);
        }

        public String toJson() {
            ObjectNode o = JSON.createObjectNode();
            o.put("granted", granted).put("ttl_ms", ttlMillis).put("retry_after_s", retryAfterSeconds);
            if (reason != null) {
                o.put("reason", reason);
            }
            if (tokensRetryAfterSeconds > 0) {
                o.put("tokens_retry_after_s", tokensRetryAfterSeconds);
            }
            return o.toString();
        }

        /** @throws IllegalArgumentException when {@code json} is not a valid answer */
        public static Grant parse(String json) {
            JsonNode root = read(json);
            int granted = integer(root, "granted");
            JsonNode ttl = root.get("ttl_ms");
            JsonNode retry = root.get("retry_after_s");
            if (ttl == null || !ttl.canConvertToLong() || ttl.longValue() <= 0
                    || retry == null || !retry.canConvertToLong() || retry.longValue() < 0) {
                throw new IllegalArgumentException("ttl_ms > 0 and retry_after_s >= 0 expected");
            }
            String reason = root.path("reason").isTextual() ? root.get("reason").textValue() : null;
            if (granted < 0 || reason != null && !"rpm".equals(reason) && !"rpd".equals(reason)) {
                throw new IllegalArgumentException("granted >= 0 and reason rpm or rpd expected");
            }
            JsonNode tokensRetry = root.get("tokens_retry_after_s");
            long tokensRetryAfter = 0;
            if (tokensRetry != null) {
                if (!tokensRetry.canConvertToLong() || tokensRetry.longValue() < 0) {
                    throw new IllegalArgumentException("tokens_retry_after_s >= 0 expected");
                }
                tokensRetryAfter = tokensRetry.longValue();
            }
            return new Grant(granted, ttl.longValue(), retry.longValue(), granted == 0 ? reason : null,
                    tokensRetryAfter);
        }
    }

    private static JsonNode read(String json) {
        if (json == null || json.length() > 4096) {
            throw new IllegalArgumentException("expected a JSON object of at most 4096 characters");
        }
        try {
            JsonNode root = JSON.readTree(json);
            if (root == null || !root.isObject()) {
                throw new IllegalArgumentException("expected a JSON object");
            }
            return root;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
        }
    }

    private static int integer(JsonNode root, String field) {
        JsonNode n = root.get(field);
        if (n == null || !n.isIntegralNumber() || !n.canConvertToInt()) {
            throw new IllegalArgumentException(field + ": expected an integer");
        }
        return n.intValue();
    }

    /** A field newer edges send: absent means 0. */
    private static int optionalInteger(JsonNode root, String field) {
        return root.has(field) ? integer(root, field) : 0;
    }

    private static void check(String field, int value, int min) {
        if (value < min || value > MAX_COUNT) {
            throw new IllegalArgumentException(field + ": " + value + " (expected " + min + " to " + MAX_COUNT + ")");
        }
    }
}
