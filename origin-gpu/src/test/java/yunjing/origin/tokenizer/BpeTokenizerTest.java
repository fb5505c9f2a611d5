package yunjing.origin.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.origin.ModelLoadException;
import yunjing.origin.model.TestModelGenerator;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BpeTokenizerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path FILE = Path.of("tokenizer.json");

    @TempDir
    static Path dir;
    static BpeTokenizer generated;

    @BeforeAll
    static void load() throws Exception {
        TestModelGenerator.generate(dir, 1);
        generated = BpeTokenizer.load(dir.resolve("tokenizer.json"));
    }

    @Test
    void encodeDecode_roundTripsUtf8() {
        for (String text : List.of("The mirror keeps a copy of every model.", "中文测试：你好，世界。",
                "emoji 🎉🚀, tabs\tand\n\nnewlines  ", "mixed 混合 text with ümlauts and 12345", "")) {
            int[] ids = generated.encode(text);
            assertEquals(text, generated.decode(ids, false), text);
        }
    }

    @Test
    void generatedTokenizer_encodesAsHuggingFaceTokenizersDoes() {
        // Expected ids from tokenizers 0.22.2: Tokenizer.from_file(".../tokenizer.json").encode(text,
        // add_special_tokens=False).ids, on the generated file (which does not depend on the seed).
        assertArrayEquals(new int[] {72, 101, 108, 286, 262, 283, 285, 33, 344, 296, 420, 114, 283, 455, 259, 267,
                292, 121, 46}, generated.encode("Hello world! The mirror keeps a copy."));
        assertArrayEquals(new int[] {32, 32, 360, 280, 319, 260, 112, 333, 272, 271, 10, 10, 110, 101, 119, 108, 275,
                272, 9, 256, 97, 98, 115}, generated.encode("  leading spaces and\n\nnewlines\t tabs"));
        assertArrayEquals(new int[] {101, 109, 111, 106, 105, 32, 240, 159, 142, 137, 240, 159, 154, 128, 271, 273,
                117, 109, 98, 264, 115, 32, 49, 50, 51, 52, 53, 32, 51, 46, 49, 52},
                generated.encode("emoji 🎉🚀 and numbers 12345 3.14"));
        assertArrayEquals(new int[] {474, 476, 117, 115, 264, 477, 10, 10, 72, 105, 258, 261, 478, 476, 314, 115, 421,
                116, 97, 429, 477, 10, 10}, generated.encode("<|begin_of_text|><|start_header_id|>user"
                + "<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"));
    }

    @Test
    void learnedMerges_compressEnglish() {
        String text = "the mirror keeps a copy of every model close to the people who use it";
        assertTrue(generated.encode(text).length < text.length() / 2, "merges make words shorter than bytes");
    }

    @Test
    void specialTokens_becomeSingleIdsEvenInsideText() {
        int eot = generated.idOf("<|eot_id|>");
        int[] ids = generated.encode("hi<|eot_id|>there");
        assertEquals(eot, ids[generated.encode("hi").length]);
        assertTrue(generated.isSpecial(eot));
        assertEquals("hithere", generated.decode(ids, true));
        assertEquals("hi<|eot_id|>there", generated.decode(ids, false));
    }

    /** A hand-made vocabulary: 256 byte tokens (id = byte value), then merged tokens from 256. */
    private static ObjectNode tokenizer(List<String[]> merges, boolean arrayForm, ObjectNode preTokenizer) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        ObjectNode vocab = model.putObject("vocab");
        for (int b = 0; b < 256; b++) {
            vocab.put(String.valueOf(ByteLevel.charOf(b)), b);
        }
        ArrayNode m = model.putArray("merges");
        for (String[] pair : merges) {
            if (!vocab.has(pair[0] + pair[1])) {
                vocab.put(pair[0] + pair[1], vocab.size());
            }
            if (arrayForm) {
                m.addArray().add(pair[0]).add(pair[1]);
            } else {
                m.add(pair[0] + " " + pair[1]);
            }
        }
        root.set("pre_tokenizer", preTokenizer);
        return root;
    }

    private static ObjectNode byteLevel(boolean useRegex) {
        return JSON.createObjectNode().put("type", "ByteLevel").put("add_prefix_space", false).put("use_regex", useRegex);
    }

    @Test
    void merges_applyByRank_inStringAndArrayForm() throws Exception {
        List<String[]> merges = List.<String[]>of(new String[] {"l", "l"}, new String[] {"h", "e"},
                new String[] {"he", "ll"}, new String[] {"Ġ", "w"});
        for (boolean arrayForm : new boolean[] {true, false}) {
            BpeTokenizer t = BpeTokenizer.fromJson(FILE, tokenizer(merges, arrayForm, byteLevel(true)));
            // "hello world" → pieces "hello", " world" → [hell, o], [Ġw, o, r, l, d]
            assertArrayEquals(new int[] {258, 'o', 259, 'o', 'r', 'l', 'd'}, t.encode("hello world"),
                    arrayForm ? "array form" : "string form");
        }
    }

    @Test
    void llama3StyleSplitPreTokenizer_groupsDigitsByThree() throws Exception {
        // Merge (3,4) has the best rank, so it wins when "1234" is one piece; Llama 3's \p{N}{1,3} split puts 4
        // in a piece of its own, so (1,2) and (12,3) apply instead.
        List<String[]> merges = List.<String[]>of(new String[] {"3", "4"}, new String[] {"1", "2"},
                new String[] {"12", "3"});
        BpeTokenizer gpt2 = BpeTokenizer.fromJson(FILE, tokenizer(merges, true, byteLevel(true)));
        assertArrayEquals(new int[] {257, 256}, gpt2.encode("1234"), "[12, 34]");
        ObjectNode split = JSON.createObjectNode().put("type", "Split").put("behavior", "Isolated").put("invert", false);
        split.putObject("pattern").put("Regex", "\\p{N}{1,3}");
        ObjectNode sequence = JSON.createObjectNode().put("type", "Sequence");
        sequence.putArray("pretokenizers").add(split).add(byteLevel(false));
        BpeTokenizer llama3 = BpeTokenizer.fromJson(FILE, tokenizer(merges, true, sequence));
        assertArrayEquals(new int[] {258, '4'}, llama3.encode("1234"), "[123, 4]");
    }

    @Test
    void ignoreMerges_takesWholeWordsFromTheVocab() throws Exception {
        ObjectNode json = tokenizer(List.<String[]>of(new String[] {"a", "b"}), true, byteLevel(true));
        ((ObjectNode) json.get("model")).put("ignore_merges", true);
        ((ObjectNode) json.get("model").get("vocab")).put("abc", 300);
        BpeTokenizer t = BpeTokenizer.fromJson(FILE, json);
        assertArrayEquals(new int[] {300}, t.encode("abc"));
        assertArrayEquals(new int[] {256, 'd'}, t.encode("abd"));
    }

    @Test
    void longPiece_mergesInLinearithmicTime() throws Exception {
        BpeTokenizer t = BpeTokenizer.fromJson(FILE, tokenizer(List.<String[]>of(new String[] {"a", "a"}), true,
                byteLevel(true)));
        int[] ids = t.encode("a".repeat(1_000_001));
        assertEquals(500_001, ids.length);
        assertEquals('a', ids[ids.length - 1]);
    }

    @Test
    void missingByteTokens_areRefused() {
        ObjectNode json = tokenizer(List.of(), true, byteLevel(true));
        ((ObjectNode) json.get("model").get("vocab")).remove("Ġ");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> BpeTokenizer.fromJson(FILE, json));
        assertTrue(e.getMessage().contains("no token for byte 0x20"), e.getMessage());
    }

    @Test
    void sentencePieceStyleTokenizer_isRefused() {
        ObjectNode json = tokenizer(List.of(), true, null);
        json.set("pre_tokenizer", JSON.createObjectNode().put("type", "Metaspace"));
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> BpeTokenizer.fromJson(FILE, json));
        assertEquals("tokenizer.json: unsupported pre_tokenizer type 'Metaspace' (supported: ByteLevel, Split,"
                + " Sequence)", e.getMessage());
    }
}
