package yunjing.proxy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The keys and plans an edge checks on {@code /v1/} requests. A node whose access has no keys
 * ({@link #OPEN}: regional and central nodes, tests) checks nothing; one with keys acts as an API edge:
 * it authenticates, rate-limits and validates requests before they cross the long-haul link.
 *
 * @param plans plan name → plan (each plan's {@link ApiPlan#name()} must equal its map key)
 * @param keys  every key's plan must be in {@code plans}; ids and hashes unique
 */
public record ApiAccess(Map<String, ApiPlan> plans, List<ApiKeyEntry> keys) {

    /** No checks. */
    public static final ApiAccess OPEN = new ApiAccess(Map.of(), List.of());

    /** Largest {@code POST /v1/chat/completions} body an edge accepts (20 MiB); larger gets 413. */
    public static final int MAX_CHAT_BODY_BYTES = 20 * 1024 * 1024;

    public ApiAccess {
        plans = Map.copyOf(Objects.requireNonNull(plans, "plans"));
        keys = List.copyOf(Objects.requireNonNull(keys, "keys"));
        plans.forEach((name, plan) -> {
            if (!name.equals(plan.name())) {
                throw new IllegalArgumentException("plans: key '" + name + "' holds plan '" + plan.name()
                        + "' (expected: the same name)");
            }
        });
        var ids = new HashSet<String>();
        var hashes = new HashSet<String>();
        for (ApiKeyEntry key : keys) {
            if (!plans.containsKey(key.plan())) {
                throw new IllegalArgumentException("key " + key.id() + ": unknown plan '" + key.plan()
                        + "' (expected one of: " + plans.keySet() + ")");
            }
            if (!ids.add(key.id())) {
                throw new IllegalArgumentException("keys: duplicate id " + key.id());
            }
            if (!hashes.add(key.sha256Hex())) {
                throw new IllegalArgumentException("keys: key " + key.id() + " has the same secret as another key");
            }
        }
    }

    /** Whether this node checks keys (and so acts as an API edge). */
    public boolean hasKeys() {
        return !keys.isEmpty();
    }

    /** SHA-256 of the secret's UTF-8 bytes as 64 lower-case hex digits, the form {@link ApiKeyEntry} stores. */
    public static String sha256Hex(String secret) {
        return HexFormat.of().formatHex(sha256(secret.getBytes(StandardCharsets.UTF_8)));
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JRE", e);
        }
    }
}
