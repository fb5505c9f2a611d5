package yunjing.proxy;

import java.util.Objects;

/**
 * One API key as the edge knows it: never the secret, only its SHA-256.
 *
 * @param id        stable, non-secret id; sent upstream as {@code X-Yunjing-Key-Id}, keys the counters
 * @param plan      name of an {@link ApiPlan} in the same {@link ApiAccess}
 * @param sha256Hex SHA-256 of the secret's UTF-8 bytes, 64 hex digits (stored lower-case)
 *                  ({@link ApiAccess#sha256Hex(String)} computes it)
 * @param tenant    who the key belongs to: keys of one tenant share answer cache entries, keys of
 *                  different tenants never do
 */
public record ApiKeyEntry(String id, String plan, String sha256Hex, String tenant) {

    /** A key that is its own tenant. */
    public ApiKeyEntry(String id, String plan, String sha256Hex) {
        this(id, plan, sha256Hex, id);
    }

    public ApiKeyEntry {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(plan, "plan");
        Objects.requireNonNull(sha256Hex, "sha256Hex");
        sha256Hex = sha256Hex.toLowerCase(java.util.Locale.ROOT);
        if (id.isBlank() || !id.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            // The id travels in a header: visible ASCII only.
            throw new IllegalArgumentException("key id: '" + id + "' (expected: non-empty visible ASCII)");
        }
        if (tenant.isBlank()) {
            throw new IllegalArgumentException("key " + id + ": tenant: '" + tenant + "' (expected: non-blank)");
        }
        if (sha256Hex.length() != 64 || !sha256Hex.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            throw new IllegalArgumentException("key " + id + ": sha256Hex (expected: 64 lower-case hex digits)");
        }
    }

    @Override
    public String toString() {
        return "ApiKeyEntry[id=" + id + ", plan=" + plan + ", tenant=" + tenant + "]";
    }
}
