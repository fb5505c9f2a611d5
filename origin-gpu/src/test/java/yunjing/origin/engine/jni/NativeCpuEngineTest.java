package yunjing.origin.engine.jni;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import yunjing.origin.engine.InferenceEngine;
import yunjing.origin.engine.JavaReferenceEngine;
import yunjing.origin.model.Checkpoint;
import yunjing.origin.model.TestModelGenerator;
import yunjing.origin.model.TestModelGenerator.Shape;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static yunjing.origin.engine.Sampler.argmax;

/** The native CPU backend computes what the Java reference computes (issue 7 acceptance). */
@ExtendWith(NativeLibraryBuilt.class)
class NativeCpuEngineTest {

    /** Model variants both engines must agree on. */
    enum Variant {
        GQA(Shape.PRESET),
        NO_GQA(new Shape(64, 2, 4, 4, 176, false, false)),
        QKV_BIAS(new Shape(64, 2, 4, 2, 176, true, false)),
        QKV_BIAS_NO_GQA_TIED(new Shape(48, 3, 3, 3, 120, true, true));

        final Shape shape;

        Variant(Shape shape) {
            this.shape = shape;
        }
    }

    static final double TOLERANCE = 1e-4;

    @TempDir
    static Path tmp;

    @ParameterizedTest
    @EnumSource(Variant.class)
    void logits_matchJavaReference(Variant variant) throws Exception {
        Path dir = tmp.resolve(variant.name());
        TestModelGenerator.generate(dir, 17, variant.shape);
        Checkpoint cp = Checkpoint.load(dir);
        JavaReferenceEngine reference = new JavaReferenceEngine(cp.config(), cp.weights());
        try (NativeEngine engine = NativeEngine.open(dir, cp.config(), "cpu", 2)) {
            // Longer than one prefill chunk, so chunked prefill is covered too.
            int[] prompt = cp.tokenizer().encode(("Hello from the native worker: grouped heads, biases, RoPE. ")
                    .repeat(6));
            assertEquals(true, prompt.length > NativeEngine.PREFILL_CHUNK, "prompt of " + prompt.length);
            InferenceEngine.Sequence ref = reference.newSequence(prompt.length + 8);
            InferenceEngine.Sequence nat = engine.newSequence(prompt.length + 8);
            assertPrefillAndEightStepsClose(ref, nat, prompt, cp.config().vocabSize());
            assertEquals(ref.length(), nat.length());
        }
    }

    @Test
    void cpuBackend_reportsNoDeviceMemory() throws Exception {
        Path dir = tmp.resolve("cpu-memory");
        TestModelGenerator.generate(dir, 5);
        Checkpoint cp = Checkpoint.load(dir);
        try (NativeEngine engine = NativeEngine.open(dir, cp.config(), "cpu", 1)) {
            assertTrue(engine.deviceMemory().isEmpty());
        }
    }

    @Test
    void greedyGeneration_isIdenticalToJavaReference() throws Exception {
        Path dir = tmp.resolve("greedy");
        TestModelGenerator.generate(dir, 5);
        Checkpoint cp = Checkpoint.load(dir);
        JavaReferenceEngine reference = new JavaReferenceEngine(cp.config(), cp.weights());
        try (NativeEngine engine = NativeEngine.open(dir, cp.config(), "cpu", 2)) {
            int[] prompt = cp.tokenizer().encode("Once upon a time");
            assertArrayEquals(greedy(reference, prompt, 40), greedy(engine, prompt, 40));
        }
    }

    @Test
    void batchOfEight_givesEachSequenceExactlyWhatItGetsAlone() throws Exception {
        Path dir = tmp.resolve("batch");
        TestModelGenerator.generate(dir, 23, new Shape(64, 2, 4, 2, 176, true, false));
        Checkpoint cp = Checkpoint.load(dir);
        String[] prompts = {"a", "The quick brown fox", "中文 text", "1 2 3 4 5 6 7 8 9", "origin",
            "jumps over the lazy dog, twice and again", "?", "Batching must not mix sequences up."};
        int steps = 12;
        try (NativeEngine engine = NativeEngine.open(dir, cp.config(), "cpu", 2)) {
            List<float[][]> alone = new ArrayList<>();
            List<int[]> aloneTokens = new ArrayList<>();
            for (String p : prompts) {
                try (NativeSequence s = engine.newSequence(64)) {
                    float[][] logits = new float[steps + 1][];
                    int[] tokens = new int[steps];
                    logits[0] = s.prefill(cp.tokenizer().encode(p));
                    for (int i = 0; i < steps; i++) {
                        tokens[i] = argmax(logits[i]);
                        logits[i + 1] = s.next(tokens[i]);
                    }
                    alone.add(logits);
                    aloneTokens.add(tokens);
                }
            }
            List<NativeSequence> batch = new ArrayList<>();
            int[] next = new int[prompts.length];
            for (int b = 0; b < prompts.length; b++) {
                NativeSequence s = engine.newSequence(64);
                batch.add(s);
                float[] first = s.prefill(cp.tokenizer().encode(prompts[b]));
                assertArrayEquals(alone.get(b)[0], first, "prefill of prompt " + b);
                next[b] = argmax(first);
            }
            for (int i = 0; i < steps; i++) {
                float[][] logits = engine.step(batch, next);
                for (int b = 0; b < prompts.length; b++) {
                    assertEquals(aloneTokens.get(b)[i], next[b], "prompt " + b + " token " + i);
                    // Same arithmetic in the same order per row: equal bits, not just close.
                    assertArrayEquals(alone.get(b)[i + 1], logits[b], "prompt " + b + " step " + i);
                    next[b] = argmax(logits[b]);
                }
            }
            batch.forEach(NativeSequence::close);
        }
    }

    @Test
    void threadCount_doesNotChangeLogits() throws Exception {
        // Each thread owns a contiguous range of panels and idle threads steal from the others' ranges; 3 and 5
        // threads on 4 to 11 panels per projection cover uneven and empty ranges. Every output is still summed
        // in input order by one lane, so the logits must be equal bits.
        Path dir = tmp.resolve("threads");
        TestModelGenerator.generate(dir, 31, new Shape(64, 2, 4, 2, 176, true, false));
        Checkpoint cp = Checkpoint.load(dir);
        int[] prompt = cp.tokenizer().encode("threads share the panels of every projection");
        float[][] single = prefillAndSteps(dir, cp, 1, prompt);
        for (int threads : new int[] {3, 5}) {
            float[][] logits = prefillAndSteps(dir, cp, threads, prompt);
            for (int i = 0; i < single.length; i++) {
                assertArrayEquals(single[i], logits[i], threads + " threads, step " + i);
            }
        }
    }

    /** Logits of the prefill of {@code prompt} and of six greedy steps, on a new engine with {@code threads}. */
    static float[][] prefillAndSteps(Path dir, Checkpoint cp, int threads, int[] prompt) throws Exception {
        try (NativeEngine engine = NativeEngine.open(dir, cp.config(), "cpu", threads);
             NativeSequence s = engine.newSequence(prompt.length + 6)) {
            float[][] logits = new float[7][];
            logits[0] = s.prefill(prompt);
            for (int i = 0; i < 6; i++) {
                logits[i + 1] = s.next(argmax(logits[i]));
            }
            return logits;
        }
    }

    @Test
    void concurrentRequestsOnOneEngine_eachGetWhatItGetsAlone() throws Exception {
        Path dir = tmp.resolve("concurrent");
        TestModelGenerator.generate(dir, 29);
        Checkpoint cp = Checkpoint.load(dir);
        try (NativeEngine engine = NativeEngine.open(dir, cp.config(), "cpu", 2)) {
            int[][] prompts = new int[4][];
            int[][] alone = new int[4][];
            for (int i = 0; i < 4; i++) {
                prompts[i] = cp.tokenizer().encode("thread " + i + " asks something different".repeat(i + 1));
                alone[i] = greedy(engine, prompts[i], 20);
            }
            // As OriginServer's inference threads do: one request per thread, steps interleaved at random.
            try (var pool = java.util.concurrent.Executors.newFixedThreadPool(4)) {
                List<java.util.concurrent.Future<int[]>> results = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    int[] p = prompts[i];
                    results.add(pool.submit(() -> greedy(engine, p, 20)));
                }
                for (int i = 0; i < 4; i++) {
                    assertArrayEquals(alone[i], results.get(i).get(), "request " + i);
                }
            }
            assertEquals(0, engine.liveSequences());
        }
    }

    static int[] greedy(InferenceEngine engine, int[] prompt, int n) {
        InferenceEngine.Sequence s = engine.newSequence(prompt.length + n);
        int[] out = new int[n];
        float[] logits = s.prefill(prompt);
        for (int i = 0; i < n; i++) {
            out[i] = argmax(logits);
            logits = s.next(out[i]);
        }
        if (s instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
        return out;
    }

    /** The prefill of {@code prompt}, then eight decode steps on tokens picked from it: logits close at each. */
    static void assertPrefillAndEightStepsClose(InferenceEngine.Sequence ref, InferenceEngine.Sequence nat, int[] prompt,
                                                int vocabSize) {
        assertClose(ref.prefill(prompt), nat.prefill(prompt), "prefill");
        for (int i = 0; i < 8; i++) {
            int token = (prompt[i] * 31 + i) % vocabSize;
            assertClose(ref.next(token), nat.next(token), "step " + i);
        }
    }


    static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        double max = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(expected[i] - actual[i]);
            if (!(d <= max)) {
                max = d;
                at = i;
            }
        }
        if (!(max <= TOLERANCE)) {
            throw new AssertionError(what + ": max |difference| " + max + " at logit " + at + " (expected "
                    + expected[at] + ", got " + actual[at] + "; tolerance " + TOLERANCE + ")");
        }
    }
}
