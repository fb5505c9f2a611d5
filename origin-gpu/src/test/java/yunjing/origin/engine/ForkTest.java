package yunjing.origin.engine;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.origin.model.Checkpoint;
import yunjing.origin.model.TestModelGenerator;

import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link JavaReferenceEngine#fork}: a copied prefix continues exactly as if it had been prefilled. */
class ForkTest {

    @TempDir
    static Path dir;
    static JavaReferenceEngine engine;

    @BeforeAll
    static void load() throws Exception {
        TestModelGenerator.generate(dir, 3);
        Checkpoint cp = Checkpoint.load(dir);
        engine = new JavaReferenceEngine(cp.config(), cp.weights());
    }

    @Test
    void forkedPrefix_thenRest_equalsPrefillingEverything() {
        int[] tokens = {5, 77, 130, 9, 250, 31, 64, 200, 18, 101};
        InferenceEngine.Sequence source = engine.newSequence(20);
        source.prefill(Arrays.copyOf(tokens, 8));
        source.next(3); // the source went on differently after the shared prefix

        InferenceEngine.Sequence fork = engine.fork(source, 6, 12);
        assertEquals(6, fork.length());
        float[] forked = fork.prefill(Arrays.copyOfRange(tokens, 6, tokens.length));

        float[] cold = engine.newSequence(12).prefill(tokens);
        assertArrayEquals(cold, forked, "bit-identical logits");
        assertEquals(9, source.length(), "the source is untouched");
        assertTrue(engine.supportsFork());
    }

    @Test
    void fork_refusesBadArguments() {
        InferenceEngine.Sequence source = engine.newSequence(8);
        source.prefill(new int[] {1, 2, 3});
        assertThrows(IllegalArgumentException.class, () -> engine.fork(source, 4, 8));
        assertThrows(IllegalArgumentException.class, () -> engine.fork(source, 3, 2));
        InferenceEngine other = new InferenceEngine() {
            @Override
            public int contextLength() {
                return 8;
            }

            @Override
            public int vocabSize() {
                return 2;
            }

            @Override
            public Sequence newSequence(int capacity) {
                throw new UnsupportedOperationException();
            }
        };
        assertThrows(UnsupportedOperationException.class, () -> other.fork(source, 1, 8));
        assertTrue(!other.supportsFork());
    }
}
