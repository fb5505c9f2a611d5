package yunjing.origin.engine.jni;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import yunjing.origin.engine.InferenceEngine;
import yunjing.origin.model.Checkpoint;
import yunjing.origin.model.TestModelGenerator;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Native prefix reuse: a fork continues exactly as the sequence it copies, and leaves the source untouched. */
@ExtendWith(NativeLibraryBuilt.class)
class NativeForkTest {

    @TempDir
    static Path tmp;

    @Test
    void fork_continuesLikeAColdPrefill_andLeavesTheSourceIntact() throws Exception {
        TestModelGenerator.generate(tmp, 11);
        Checkpoint cp = Checkpoint.load(tmp);
        try (NativeEngine engine = NativeEngine.open(tmp, cp.config(), "cpu", 2)) {
            int[] prompt = cp.tokenizer().encode("The agent resends its growing prompt every step.");
            int shared = prompt.length - 3;
            InferenceEngine.Sequence source = engine.newSequence(prompt.length + 4);
            source.prefill(prompt);

            try (InferenceEngine.Sequence forked = engine.fork(source, shared, prompt.length + 4);
                 InferenceEngine.Sequence cold = engine.newSequence(prompt.length + 4)) {
                assertEquals(shared, forked.length());
                int[] rest = java.util.Arrays.copyOfRange(prompt, shared, prompt.length);
                assertArrayEquals(cold.prefill(prompt), forked.prefill(rest), "fork + rest == cold prefill");
                assertArrayEquals(cold.next(7), forked.next(7), "and the next step too");
            }
            assertEquals(prompt.length, source.length());
            assertEquals(1, engine.liveSequences(), "the fork and the cold sequence were freed");
            source.close();
        }
    }

    @Test
    void fork_refusesBadLengthsAndForeignSequences() throws Exception {
        Path dir = tmp.resolve("bad");
        TestModelGenerator.generate(dir, 3);
        Checkpoint cp = Checkpoint.load(dir);
        try (NativeEngine engine = NativeEngine.open(dir, cp.config(), "cpu", 2);
             NativeEngine other = NativeEngine.open(dir, cp.config(), "cpu", 1)) {
            InferenceEngine.Sequence source = engine.newSequence(16);
            source.prefill(new int[] {1, 2, 3});
            assertThrows(IllegalArgumentException.class, () -> engine.fork(source, 4, 16));
            assertThrows(IllegalArgumentException.class, () -> engine.fork(source, 2, 1));
            assertThrows(IllegalArgumentException.class, () -> other.fork(source, 2, 16));
            source.close();
            assertThrows(IllegalStateException.class, () -> engine.fork(source, 2, 16));
        }
    }
}
