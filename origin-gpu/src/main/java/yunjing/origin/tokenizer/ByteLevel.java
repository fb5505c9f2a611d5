package yunjing.origin.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * GPT-2's byte-level mapping, as Hugging Face tokenizers' {@code ByteLevel} pre-tokenizer and decoder use it:
 * every byte maps to one printable Unicode character (printable Latin-1 bytes to themselves, the other 68 bytes
 * to U+0100…U+0143), so a BPE vocabulary of strings can cover arbitrary bytes. A space becomes {@code Ġ}
 * (U+0120) and a newline {@code Ċ} (U+010A), which is why those characters fill real vocabularies.
 * See {@code bytes_to_unicode} in openai/gpt-2 {@code encoder.py}.
 */
public final class ByteLevel {

    /**
     * GPT-2's pre-tokenization regex, which {@code ByteLevel} applies when {@code use_regex} is true.
     * {@code UNICODE_CHARACTER_CLASS} makes {@code \s} Unicode whitespace, as in the Rust regex crate that
     * tokenizers uses.
     */
    public static final Pattern GPT2_PATTERN = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[324];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + extra++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {}

    /** The character that stands for {@code b} (0–255). */
    public static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The byte {@code c} stands for, or -1 when {@code c} is not a byte-level character. */
    public static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /** UTF-8 bytes of {@code text}, one byte-level character per byte. */
    public static String encode(String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        char[] out = new char[utf8.length];
        for (int i = 0; i < utf8.length; i++) {
            out[i] = BYTE_TO_CHAR[utf8[i] & 0xFF];
        }
        return new String(out);
    }

    /**
     * The bytes a byte-level string stands for. A character outside the mapping (possible in hand-made
     * vocabularies) contributes its own UTF-8, as the tokenizers decoder does.
     */
    public static byte[] decode(String symbols) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(symbols.length());
        for (int i = 0; i < symbols.length(); ) {
            int cp = symbols.codePointAt(i);
            int b = cp < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[cp] : -1;
            if (b >= 0) {
                out.write(b);
            } else {
                out.writeBytes(Character.toString(cp).getBytes(StandardCharsets.UTF_8));
            }
            i += Character.charCount(cp);
        }
        return out.toByteArray();
    }
}
