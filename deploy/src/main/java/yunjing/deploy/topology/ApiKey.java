package yunjing.deploy.topology;

/** An API key as stored: only the SHA-256 of the secret, never the secret itself. */
public record ApiKey(String id, String plan, String sha256) {
}
