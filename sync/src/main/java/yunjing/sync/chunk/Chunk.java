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
        if (!isSha256Hex(sha256)) {
            throw new IllegalArgumentException("sha256: " + sha256 + " (expected: 64 lower-case hex digits)");
        }
    }

    /**
     * Whether {@code s} is 64 lower-case hex digits. A loop rather than a regular expression: a
     * manifest of a large model names tens of thousands of chunks, each checked as it is parsed.
     */
    public static boolean isSha256Hex(String s) {
        if (s == null || s.length() != 64) {
            return false;
        }
        for (int i = 0; i < 64; i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    /** The offset one past the last byte of this chunk. */
    public long end() {
        return offset + length;
    }
}
