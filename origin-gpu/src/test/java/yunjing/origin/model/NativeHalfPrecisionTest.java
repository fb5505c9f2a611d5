package yunjing.origin.model;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import yunjing.origin.engine.InferenceEngine;
import yunjing.origin.engine.JavaReferenceEngine;
import yunjing.origin.engine.jni.NativeEngine;
import yunjing.origin.engine.jni.NativeLibrary;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * fp16 / bf16 checkpoints: the native worker widens them at load exactly as the Java loader does, so both
 * engines compute on the same numbers. Lives here for the package-private safetensors writer.
 */
class NativeHalfPrecisionTest {

    @TempDir
    Path tmp;

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F16", "BF16"})
    void halfPrecisionCheckpoint_nativeLogitsMatchJavaReference(DType dtype) throws Exception {
        assumeTrue(NativeLibrary.isAvailable(),
                () -> "native library not built, skipping: " + NativeLibrary.unavailabilityCause());
        TestModelGenerator.generate(tmp, 9, new TestModelGenerator.Shape(64, 2, 4, 2, 176, true, true));
        Path file = tmp.resolve("model.safetensors");
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (SafetensorsFile.TensorInfo t : f.tensors().values()) {
                w.add(t.name(), dtype, f.readFloats(t.name()), t.shape());
            }
        }
        w.write(file);
        Checkpoint cp = Checkpoint.load(tmp);
        InferenceEngine reference = new JavaReferenceEngine(cp.config(), cp.weights());
        try (NativeEngine engine = NativeEngine.open(tmp, cp.config(), "cpu", 2)) {
            int[] prompt = cp.tokenizer().encode("half precision, widened once");
            float[] expected = reference.newSequence(prompt.length).prefill(prompt);
            float[] actual = engine.newSequence(prompt.length).prefill(prompt);
            double max = 0;
            for (int i = 0; i < expected.length; i++) {
                max = Math.max(max, Math.abs(expected[i] - actual[i]));
            }
            assertTrue(max <= 1e-4, dtype + ": max |difference| " + max);
        }
    }
}
