package yunjing.origin.engine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.origin.model.Checkpoint;
import yunjing.origin.model.TestModelGenerator;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The Java engine against an independent implementation: the expected values were computed by
 * {@code src/test/resources/golden/llama_reference.py}, a float64 NumPy forward pass written from transformers'
 * {@code LlamaForCausalLM}, on the seed-42 test model (the command is in the script's docstring).
 */
class GoldenLogitsTest {

    private static final int[] TOKENS = {302, 382, 301, 394, 258, 449, 259, 261, 296, 280, 101, 46};
    private static final int[] ARGMAX = {261, 437, 278, 212, 317, 452, 86, 296, 145, 176, 44, 339};
    private static final float[] LAST_LOGITS_0_TO_8 = {-0.0480554f, 0.3267673f, -1.0444876f, -0.5143046f,
            0.9037717f, 0.6482079f, 0.7601137f, -0.3123720f};

    @Test
    void seed42Model_matchesTheNumpyReference(@TempDir Path dir) throws Exception {
        TestModelGenerator.generate(dir, 42);
        Checkpoint model = Checkpoint.load(dir);
        assertArrayEquals(TOKENS, model.tokenizer().encode("The origin is where the answers are made."),
                "ids as Hugging Face tokenizers 0.22 encodes the text with the same tokenizer.json");
        JavaReferenceEngine engine = new JavaReferenceEngine(model.config(), model.weights());
        InferenceEngine.Sequence seq = engine.newSequence(TOKENS.length);
        for (int t = 0; t < TOKENS.length; t++) {
            float[] logits = seq.next(TOKENS[t]);
            assertEquals(ARGMAX[t], Sampler.argmax(logits), "argmax at position " + t);
            if (t == TOKENS.length - 1) {
                for (int i = 0; i < LAST_LOGITS_0_TO_8.length; i++) {
                    assertEquals(LAST_LOGITS_0_TO_8[i], logits[i], 1e-5f, "logit " + i);
                }
            }
        }
    }
}
