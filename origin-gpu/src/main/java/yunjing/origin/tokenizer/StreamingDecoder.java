package yunjing.origin.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Turns tokens into text one at a time for streaming. A byte-level token can end in the middle of a UTF-8
 * character (a Chinese character is three bytes, often two tokens), so bytes are held until the character is
 * complete; emitting them early would send U+FFFD to the client. Special tokens are skipped, as
 * {@code skip_special_tokens=True} does in other servers.
 *
 * <p>Not thread-safe: one per generated sequence, used by the thread running it.
 */
public final class StreamingDecoder {

    private final BpeTokenizer tokenizer;
    private byte[] pending = new byte[16];
    private int pendingLength;

    public StreamingDecoder(BpeTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** The text that {@code tokenId} completes; empty while a character is still incomplete. */
    public String push(int tokenId) {
        if (tokenizer.isSpecial(tokenId)) {
            return "";
        }
        byte[] bytes = tokenizer.tokenBytes(tokenId);
        if (pendingLength + bytes.length > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + bytes.length));
        }
        System.arraycopy(bytes, 0, pending, pendingLength, bytes.length);
        pendingLength += bytes.length;
        int complete = completePrefix(pending, pendingLength);
        String text = new String(pending, 0, complete, StandardCharsets.UTF_8);
        System.arraycopy(pending, complete, pending, 0, pendingLength - complete);
        pendingLength -= complete;
        return text;
    }

    /** Whatever is still held (an incomplete character at the end of generation), as replacement characters. */
    public String finish() {
        String text = new String(pending, 0, pendingLength, StandardCharsets.UTF_8);
        pendingLength = 0;
        return text;
    }

    /**
     * Length of the longest prefix that does not end inside a UTF-8 sequence. Only the last three bytes can
     * start an unfinished sequence; invalid bytes count as complete (they decode to U+FFFD right away rather
     * than being held forever).
     */
    static int completePrefix(byte[] b, int length) {
        for (int back = 1; back <= Math.min(3, length); back++) {
            int v = b[length - back] & 0xFF;
            if ((v & 0xC0) == 0x80) {
                continue; // continuation byte: keep looking for the lead byte
            }
            int needed = v >= 0xF0 && v <= 0xF4 ? 4 : v >= 0xE0 ? 3 : v >= 0xC2 && v < 0xE0 ? 2 : 1;
            if (v >= 0xF5) {
                needed = 1;
            }
            return needed > back ? length - back : length;
        }
        return length;
    }
}
