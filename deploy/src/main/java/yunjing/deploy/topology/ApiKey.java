package yunjing.deploy.topology;

/**
 * An API key as stored: only the SHA-256 of the secret, never the secret itself.
 *
 * @param tenant who the key belongs to (the key's id unless the file says): answer cache entries are
 *               shared by the keys of one tenant and never across tenants
 */
public record ApiKey(String id, String plan, String sha256, String tenant) {
}
