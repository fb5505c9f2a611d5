package yunjing.origin.tokenizer;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.origin.model.TestModelGenerator;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

class StreamingDecoderTest {

    @TempDir
    static Path dir;
    static BpeTokenizer tokenizer;

    @BeforeAll
    static void load() throws Exception {
        TestModelGenerator.generate(dir, 1);
        tokenizer = BpeTokenizer.load(dir.resolve("tokenizer.json"));
    }

    @Test
    void multiByteCharacter_isHeldUntilComplete() {
        // 中 is E4 B8 AD; the test vocabulary has no merges across these bytes, so they are three tokens.
        int[] ids = tokenizer.encode("中");
        assertEquals(3, ids.length);
        StreamingDecoder d = new StreamingDecoder(tokenizer);
        assertEquals("", d.push(ids[0]));
        assertEquals("", d.push(ids[1]));
        assertEquals("中", d.push(ids[2]));
    }

    @Test
    void tokensOfMixedText_concatenateToTheText() {
        String text = "Hello, 世界! 🎉 done";
        StreamingDecoder d = new StreamingDecoder(tokenizer);
        StringBuilder out = new StringBuilder();
        for (int id : tokenizer.encode(text)) {
            out.append(d.push(id));
        }
        out.append(d.finish());
        assertEquals(text, out.toString());
    }

    @Test
    void specialTokens_areSkipped() {
        StreamingDecoder d = new StreamingDecoder(tokenizer);
        assertEquals("", d.push(tokenizer.idOf("<|eot_id|>")));
    }

    @Test
    void truncatedCharacterAtTheEnd_becomesReplacementCharacter() {
        StreamingDecoder d = new StreamingDecoder(tokenizer);
        d.push(tokenizer.encode("中")[0]);
        assertEquals("\uFFFD", d.finish());
    }

    @Test
    void completePrefix_findsSequenceBoundaries() {
        byte[] b = {'a', (byte) 0xE4, (byte) 0xB8};
        assertEquals(1, StreamingDecoder.completePrefix(b, 3));
        assertEquals(1, StreamingDecoder.completePrefix(b, 2));
        assertEquals(1, StreamingDecoder.completePrefix(b, 1));
        byte[] four = {(byte) 0xF0, (byte) 0x9F, (byte) 0x8E, (byte) 0x89};
        assertEquals(0, StreamingDecoder.completePrefix(four, 3));
        assertEquals(4, StreamingDecoder.completePrefix(four, 4));
    }
}
