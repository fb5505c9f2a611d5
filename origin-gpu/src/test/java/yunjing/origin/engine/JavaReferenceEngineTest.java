package yunjing.origin.engine;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.origin.model.Checkpoint;
import yunjing.origin.model.TestModelGenerator;

import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class JavaReferenceEngineTest {

    @TempDir
    static Path dir;
    static Checkpoint model;
    static JavaReferenceEngine engine;

    @BeforeAll
    static void load() throws Exception {
        TestModelGenerator.generate(dir, 11);
        model = Checkpoint.load(dir);
        engine = new JavaReferenceEngine(model.config(), model.weights());
    }

    @Test
    void cachedIncrementalDecoding_equalsFullRecompute() {
        int[] tokens = model.tokenizer().encode("The origin is where the answers are made. 中文 too!");
        float[][] full = engine.forwardAll(tokens);

        InferenceEngine.Sequence seq = engine.newSequence(tokens.length);
        int prefill = 5;
        float[] logits = seq.prefill(Arrays.copyOf(tokens, prefill));
        assertClose(full[prefill - 1], logits, prefill - 1);
        for (int t = prefill; t < tokens.length; t++) {
            logits = seq.next(tokens[t]);
            assertClose(full[t], logits, t);
        }
        assertEquals(tokens.length, seq.length());
    }

    @Test
    void logitsDependOnEarlierTokens() {
        float[] a = engine.newSequence(2).prefill(new int[] {10, 20});
        float[] b = engine.newSequence(2).prefill(new int[] {11, 20});
        assertFalse(Arrays.equals(a, b), "attention must see the previous token");
    }

    @Test
    void sequence_refusesTokensBeyondItsCapacity() {
        InferenceEngine.Sequence seq = engine.newSequence(2);
        seq.prefill(new int[] {1, 2});
        assertThrows(IllegalStateException.class, () -> seq.next(3));
    }

    @Test
    void sequence_refusesTokenIdsOutsideTheVocabulary() {
        InferenceEngine.Sequence seq = engine.newSequence(2);
        assertThrows(IllegalArgumentException.class, () -> seq.next(model.config().vocabSize()));
    }

    @Test
    void newSequence_refusesCapacityBeyondTheContext() {
        assertThrows(IllegalArgumentException.class, () -> engine.newSequence(engine.contextLength() + 1));
    }

    private static void assertClose(float[] expected, float[] actual, int position) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-5f, "position " + position + ", logit " + i);
        }
    }
}
