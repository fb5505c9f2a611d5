package yunjing.origin.tokenizer;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.origin.model.TestModelGenerator;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ChatFormatTest {

    @TempDir
    static Path dir;
    static BpeTokenizer tokenizer;
    static ChatFormat format;

    @BeforeAll
    static void load() throws Exception {
        TestModelGenerator.generate(dir, 1);
        tokenizer = BpeTokenizer.load(dir.resolve("tokenizer.json"));
        format = ChatFormat.forTokenizer(dir.resolve("tokenizer.json"), tokenizer);
    }

    @Test
    void render_writesLlama3TurnsAndOpensTheAssistantTurn() {
        String prompt = format.render(List.of(new ChatMessage("system", "Be brief."),
                new ChatMessage("user", "  Hello  ")));
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", prompt);
    }

    @Test
    void encode_startsWithBeginOfTextAndEndsWithTheAssistantHeader() {
        int[] ids = format.encode(List.of(new ChatMessage("user", "Hi")));
        assertEquals(tokenizer.idOf("<|begin_of_text|>"), ids[0]);
        assertEquals(tokenizer.idOf("<|start_header_id|>"), ids[1]);
        assertEquals(tokenizer.idOf("<|end_header_id|>"), ids[ids.length - 3]);
        assertEquals(tokenizer.idOf("<|eot_id|>"), format.endOfTurnId());
    }
}
