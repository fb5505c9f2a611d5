package yunjing.deploy.run;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Map;

/**
 * Which central node owns a key's budget: rendezvous (highest random weight) hashing of the key id over
 * the central nodes, so every edge picks the same owner without asking, and a central added or removed
 * moves only the keys it wins or owned.
 *
 * @param <T> what an owner is to the caller (its lease address)
 */
final class BudgetOwners<T> {

    private final Map<String, T> byNodeId;

    /** @param byNodeId the central nodes by id (not empty) */
    BudgetOwners(Map<String, T> byNodeId) {
        if (byNodeId.isEmpty()) {
            throw new IllegalArgumentException("no central node to own API budgets");
        }
        this.byNodeId = Map.copyOf(byNodeId);
    }

    /** The owner of {@code keyId}'s budget. */
    T ownerOf(String keyId) {
        return byNodeId.get(ownerId(keyId, List.copyOf(byNodeId.keySet())));
    }

    /** The id, among {@code nodeIds}, whose weight for {@code keyId} is highest (ties: the smaller id). */
    static String ownerId(String keyId, List<String> nodeIds) {
        String best = null;
        long bestWeight = 0;
        for (String id : nodeIds) {
            long w = weight(id, keyId);
            if (best == null || Long.compareUnsigned(w, bestWeight) > 0
                    || (w == bestWeight && id.compareTo(best) < 0)) {
                best = id;
                bestWeight = w;
            }
        }
        return best;
    }

    /** The first 8 bytes of SHA-256(nodeId NUL keyId): ids are short, and leases are seconds apart. */
    static long weight(String nodeId, String keyId) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((nodeId + '\0' + keyId).getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(digest, 0, 8).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JRE", e);
        }
    }
}
