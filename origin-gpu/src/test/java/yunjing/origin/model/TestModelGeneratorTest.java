package yunjing.origin.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.origin.tokenizer.ChatFormat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TestModelGeneratorTest {

    private static final List<String> FILES = List.of("config.json", "model.safetensors", "tokenizer.json",
            "tokenizer_config.json", "generation_config.json");

    @Test
    void sameSeed_writesByteIdenticalFiles(@TempDir Path tmp) throws IOException {
        TestModelGenerator.generate(tmp.resolve("a"), 42);
        TestModelGenerator.generate(tmp.resolve("b"), 42);
        for (String f : FILES) {
            assertArrayEquals(Files.readAllBytes(tmp.resolve("a").resolve(f)),
                    Files.readAllBytes(tmp.resolve("b").resolve(f)), f);
        }
    }

    @Test
    void differentSeed_changesWeightsOnly(@TempDir Path tmp) throws IOException {
        TestModelGenerator.generate(tmp.resolve("a"), 1);
        TestModelGenerator.generate(tmp.resolve("b"), 2);
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(tmp.resolve("a/model.safetensors")),
                Files.readAllBytes(tmp.resolve("b/model.safetensors"))));
        assertArrayEquals(Files.readAllBytes(tmp.resolve("a/tokenizer.json")),
                Files.readAllBytes(tmp.resolve("b/tokenizer.json")), "the vocabulary does not depend on the seed");
    }

    @Test
    void generatedModel_loadsAsLlamaWithGroupedQueryAttention(@TempDir Path tmp) throws Exception {
        TestModelGenerator.generate(tmp, 7);
        Checkpoint cp = Checkpoint.load(tmp);
        LlamaConfig c = cp.config();
        assertEquals(64, c.hiddenSize());
        assertEquals(2, c.numLayers());
        assertEquals(4, c.numHeads());
        assertEquals(2, c.numKvHeads());
        assertEquals(16, c.headDim());
        assertEquals(176, c.intermediateSize());
        assertEquals(2048, c.maxPositionEmbeddings());
        assertEquals(1e-5f, c.rmsNormEps());
        assertEquals(cp.tokenizer().size(), c.vocabSize());
        assertTrue(c.vocabSize() > 256 + 200, "merges were learned: vocab " + c.vocabSize());
        assertEquals(c.vocabSize() * 64, cp.weights().lmHead().length);
        int eot = cp.tokenizer().idOf(ChatFormat.END_OF_TURN);
        int eos = cp.tokenizer().idOf("<|end_of_text|>");
        assertArrayEquals(new int[] {eos, eot}, cp.eosTokenIds());
    }

    @Test
    void weights_areSpreadNotConstant(@TempDir Path tmp) throws Exception {
        TestModelGenerator.generate(tmp, 7);
        float[] q = Checkpoint.load(tmp).weights().layers().get(0).wq();
        double sum = 0;
        double squares = 0;
        for (float v : q) {
            sum += v;
            squares += v * v;
        }
        double mean = sum / q.length;
        double std = Math.sqrt(squares / q.length - mean * mean);
        assertEquals(0, mean, 0.01);
        assertEquals(0.1, std, 0.01);
    }
}
