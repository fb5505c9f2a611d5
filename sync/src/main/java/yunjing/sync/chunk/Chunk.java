package yunjing.sync.chunk;

/**
 * One content-defined chunk of a file: {@code length} bytes at {@code offset}, named by the
 * lower-case hex SHA-256 of those bytes.
 */
public record Chunk(long offset, int length, String sha256) {

    public Chunk {
        if (offset < 0) {
            throw new IllegalArgumentException("offset: " + offset + " (expected: >= 0)");
        }
        if (length <= 0 || length > FastCdc.MAX_SIZE) {
            throw new IllegalArgumentException("length: " + length + " (expected: 1.." + FastCdc.MAX_SIZE + ")");
        }
        if (sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("sha256: " + sha256 + " (expected: 64 lower-case hex digits)");
        }
    }

    /** The offset one past the last byte of this chunk. */
    public long end() {
        return offset + length;
    }
}
