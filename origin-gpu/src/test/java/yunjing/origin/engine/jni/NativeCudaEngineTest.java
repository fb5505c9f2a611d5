package yunjing.origin.engine.jni;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import yunjing.origin.engine.DeviceMemory;
import yunjing.origin.engine.InferenceEngine;
import yunjing.origin.engine.JavaReferenceEngine;
import yunjing.origin.model.Checkpoint;
import yunjing.origin.model.TestModelGenerator;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static yunjing.origin.engine.Sampler.argmax;
import static yunjing.origin.engine.jni.NativeCpuEngineTest.assertPrefillAndEightStepsClose;
import static yunjing.origin.engine.jni.NativeCpuEngineTest.greedy;

/** The CUDA backend against the Java reference; skipped with a message where no GPU is present. */
@ExtendWith(NativeLibraryBuilt.class)
class NativeCudaEngineTest {

    @TempDir
    static Path tmp;

    @BeforeEach
    void requireCudaDevice() {
        String why = EngineSelector.nativeUnavailability("cuda");
        assumeTrue(why == null, () -> "CUDA backend not usable here, skipping: " + why);
    }

    @ParameterizedTest
    @EnumSource(NativeCpuEngineTest.Variant.class)
    void logits_matchJavaReference(NativeCpuEngineTest.Variant variant) throws Exception {
        Path dir = tmp.resolve(variant.name());
        TestModelGenerator.generate(dir, 17, variant.shape);
        Checkpoint cp = Checkpoint.load(dir);
        JavaReferenceEngine reference = new JavaReferenceEngine(cp.config(), cp.weights());
        try (NativeEngine engine = NativeEngine.open(dir, cp.config(), "cuda", 1)) {
            int[] prompt = cp.tokenizer().encode("GPU check: grouped heads, biases, RoPE. ".repeat(6));
            InferenceEngine.Sequence ref = reference.newSequence(prompt.length + 8);
            InferenceEngine.Sequence nat = engine.newSequence(prompt.length + 8);
            assertPrefillAndEightStepsClose(ref, nat, prompt, cp.config().vocabSize());
        }
    }

    @Test
    void deviceMemory_reportsTheGpusUsedAndTotalBytes() throws Exception {
        Path dir = tmp.resolve("memory");
        TestModelGenerator.generate(dir, 5);
        Checkpoint cp = Checkpoint.load(dir);
        try (NativeEngine engine = NativeEngine.open(dir, cp.config(), "cuda", 1)) {
            DeviceMemory memory = engine.deviceMemory().orElseThrow();
            long total = memory.totalBytes();
            long used = memory.usedBytes();
            assertTrue(total > (1L << 30), "a GPU has more than 1 GiB: " + total);
            assertTrue(used >= engine.bytesPerStep() && used <= total, used + " of " + total + " bytes used");
        }
    }

    @Test
    void greedyAndBatchOfEight_matchWhatEachGetsAlone() throws Exception {
        Path dir = tmp.resolve("batch");
        TestModelGenerator.generate(dir, 23);
        Checkpoint cp = Checkpoint.load(dir);
        JavaReferenceEngine reference = new JavaReferenceEngine(cp.config(), cp.weights());
        try (NativeEngine engine = NativeEngine.open(dir, cp.config(), "cuda", 1)) {
            int[][] prompts = new int[8][];
            for (int b = 0; b < 8; b++) {
                prompts[b] = cp.tokenizer().encode("prompt number " + b + " ".repeat(b) + "!");
            }
            List<int[]> alone = new ArrayList<>();
            for (int[] p : prompts) {
                int[] tokens = greedy(engine, p, 12);
                assertArrayEquals(greedy(reference, p, 12), tokens);
                alone.add(tokens);
            }
            List<NativeSequence> batch = new ArrayList<>();
            int[] next = new int[8];
            for (int b = 0; b < 8; b++) {
                batch.add(engine.newSequence(64));
                next[b] = argmax(batch.get(b).prefill(prompts[b]));
            }
            for (int i = 0; i < 12; i++) {
                for (int b = 0; b < 8; b++) {
                    assertEquals(alone.get(b)[i], next[b], "prompt " + b + " token " + i);
                }
                float[][] logits = engine.step(batch, next);
                for (int b = 0; b < 8; b++) {
                    next[b] = argmax(logits[b]);
                }
            }
            batch.forEach(NativeSequence::close);
        }
    }
}
