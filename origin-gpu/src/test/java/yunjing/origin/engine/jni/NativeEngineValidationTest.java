package yunjing.origin.engine.jni;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import yunjing.origin.ModelLoadException;
import yunjing.origin.engine.InferenceEngine;
import yunjing.origin.engine.JavaReferenceEngine;
import yunjing.origin.model.Checkpoint;
import yunjing.origin.model.TestModelGenerator;

import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad shapes, sizes, handles and files become exceptions with a message; the engine keeps working. */
@ExtendWith(NativeLibraryBuilt.class)
class NativeEngineValidationTest {

    @TempDir
    static Path tmp;
    static Checkpoint cp;
    static NativeEngine engine;

    @BeforeAll
    static void open() throws Exception {
        TestModelGenerator.generate(tmp.resolve("model"), 3);
        cp = Checkpoint.load(tmp.resolve("model"));
        engine = NativeEngine.open(tmp.resolve("model"), cp.config(), "cpu", 2);
    }

    @AfterAll
    static void close() {
        if (engine != null) {
            engine.close();
        }
    }

    @Test
    void badArguments_throwAndLeaveTheEngineUsable() throws Exception {
        int vocab = cp.config().vocabSize();
        try (NativeSequence a = engine.newSequence(4); NativeSequence b = engine.newSequence(4)) {
            assertThrows(IllegalArgumentException.class, () -> engine.newSequence(0));
            assertThrows(IllegalArgumentException.class, () -> engine.newSequence(engine.contextLength() + 1));
            assertMessage(IllegalArgumentException.class, "token: " + vocab, () -> a.next(vocab));
            assertThrows(IllegalArgumentException.class, () -> a.next(-1));
            assertThrows(IllegalArgumentException.class, () -> a.prefill(new int[0]));
            assertMessage(IllegalArgumentException.class, "2 sequences but 1 tokens",
                    () -> engine.step(List.of(a, b), new int[] {1}));
            assertMessage(IllegalArgumentException.class, "appears twice",
                    () -> engine.step(List.of(a, a), new int[] {1, 2}));
            InferenceEngine.Sequence foreign = new JavaReferenceEngine(cp.config(), cp.weights()).newSequence(4);
            assertMessage(IllegalArgumentException.class, "not created by this engine",
                    () -> engine.step(List.of(a, foreign), new int[] {1, 2}));
            assertMessage(IllegalStateException.class, "sequence is full",
                    () -> a.prefill(new int[] {1, 2, 3, 4, 5}));
            assertEquals(0, a.length(), "a refused step appends nothing");

            a.prefill(new int[] {1, 2, 3});
            a.next(4);
            assertMessage(IllegalStateException.class, "sequence is full", () -> a.next(5));
            assertMessage(IllegalStateException.class, "sequence is full",
                    () -> engine.step(List.of(b, a), new int[] {1, 2}));
            assertEquals(0, b.length(), "a refused batch appends nothing to any sequence");
        }
        // Still computes the reference's numbers after all that.
        JavaReferenceEngine reference = new JavaReferenceEngine(cp.config(), cp.weights());
        assertArrayEquals(NativeCpuEngineTest.greedy(reference, new int[] {5, 6, 7}, 8),
                NativeCpuEngineTest.greedy(engine, new int[] {5, 6, 7}, 8));
    }

    @Test
    void closedSequence_isRefused() {
        NativeSequence s = engine.newSequence(8);
        s.prefill(new int[] {1, 2});
        s.close();
        s.close();
        assertMessage(IllegalStateException.class, "sequence is closed", () -> s.next(3));
        assertMessage(IllegalStateException.class, "sequence is closed", () -> engine.step(List.of(s), new int[] {3}));
    }

    @Test
    void closingOrDroppingASequence_freesItsNativeCache() throws Exception {
        int before = engine.liveSequences();
        NativeSequence s = engine.newSequence(8);
        assertEquals(before + 1, engine.liveSequences());
        s.close();
        assertEquals(before, engine.liveSequences());

        engine.newSequence(8).prefill(new int[] {1, 2, 3}); // dropped unclosed: the Cleaner frees it
        for (int i = 0; i < 200 && engine.liveSequences() > before; i++) {
            System.gc();
            Thread.sleep(50);
        }
        assertEquals(before, engine.liveSequences(), "cache of an unreachable sequence still allocated");
    }

    @Test
    void closedEngine_refusesEverythingAndClosingTwiceIsHarmless() throws Exception {
        NativeEngine other = NativeEngine.open(tmp.resolve("model"), cp.config(), "cpu", 1);
        NativeSequence s = other.newSequence(8);
        other.close();
        other.close();
        assertMessage(IllegalStateException.class, "closed", () -> s.next(1));
        assertMessage(IllegalStateException.class, "engine is closed", () -> other.newSequence(4));
        s.close();
    }

    @Test
    void unknownBackend_isRefusedWithAMessage() {
        ModelLoadException e = assertThrows(ModelLoadException.class,
                () -> NativeEngine.open(tmp.resolve("model"), cp.config(), "tpu", 1));
        assertTrue(e.getMessage().contains("backend 'tpu' is not compiled"), e.getMessage());
    }

    @Test
    void tensorWithWrongShape_isRefusedNamingIt() throws Exception {
        Path dir = tmp.resolve("wrong-shape");
        TestModelGenerator.generate(dir, 3);
        Checkpoint good = Checkpoint.load(dir);
        // The config the engine is given disagrees with the file: caught in Java, before native code runs.
        var lying = new yunjing.origin.model.LlamaConfig(good.config().hiddenSize(), 128, good.config().numLayers(),
                good.config().numHeads(), good.config().numKvHeads(), good.config().headDim(),
                good.config().vocabSize(), good.config().maxPositionEmbeddings(), good.config().rmsNormEps(),
                good.config().ropeTheta(), null, false, false);
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> NativeEngine.open(dir, lying, "cpu", 1));
        assertTrue(e.getMessage().contains("'model.layers.0.mlp.gate_proj.weight' has shape [176, 64]"),
                e.getMessage());
    }

    @Test
    void truncatedWeights_areRefusedWithAMessage() throws Exception {
        Path dir = tmp.resolve("truncated");
        TestModelGenerator.generate(dir, 3);
        Checkpoint good = Checkpoint.load(dir);
        Path file = dir.resolve("model.safetensors");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 1000);
        }
        ModelLoadException e = assertThrows(ModelLoadException.class,
                () -> NativeEngine.open(dir, good.config(), "cpu", 1));
        assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
    }

    @Test
    void missingTensor_isRefusedNamingIt() throws Exception {
        Path dir = tmp.resolve("renamed");
        TestModelGenerator.generate(dir, 3);
        Checkpoint good = Checkpoint.load(dir);
        Path file = dir.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(file);
        String all = new String(bytes, StandardCharsets.ISO_8859_1)
                .replace("model.norm.weight", "model.norm.weighx");
        Files.write(file, all.getBytes(StandardCharsets.ISO_8859_1));
        ModelLoadException e = assertThrows(ModelLoadException.class,
                () -> NativeEngine.open(dir, good.config(), "cpu", 1));
        assertTrue(e.getMessage().contains("missing tensor 'model.norm.weight'"), e.getMessage());
    }

    private static void assertMessage(Class<? extends Throwable> type, String part,
                                      org.junit.jupiter.api.function.Executable body) {
        Throwable t = assertThrows(type, body);
        assertTrue(String.valueOf(t.getMessage()).contains(part), () -> "message '" + t.getMessage()
                + "' (expected to contain '" + part + "')");
    }
}
