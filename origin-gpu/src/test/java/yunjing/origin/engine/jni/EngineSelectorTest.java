package yunjing.origin.engine.jni;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.origin.ModelLoadException;
import yunjing.origin.engine.JavaReferenceEngine;
import yunjing.origin.model.Checkpoint;
import yunjing.origin.model.TestModelGenerator;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class EngineSelectorTest {

    @TempDir
    static Path dir;
    static Checkpoint cp;

    @BeforeAll
    static void load() throws Exception {
        TestModelGenerator.generate(dir, 1);
        cp = Checkpoint.load(dir);
    }

    @Test
    void java_whenRequested() throws Exception {
        EngineSelector.Selection s = EngineSelector.select(cp, "java", "YUNJING_ENGINE", 1);
        assertInstanceOf(JavaReferenceEngine.class, s.engine());
        assertEquals("requested by YUNJING_ENGINE=java", s.reason());
    }

    @Test
    void unknownOrUnbuiltEngine_isAnErrorNotAFallback() {
        ModelLoadException unknown = assertThrows(ModelLoadException.class,
                () -> EngineSelector.select(cp, "gpu", "YUNJING_ENGINE", 1));
        assertTrue(unknown.getMessage().contains("unknown engine 'gpu'"), unknown.getMessage());
        ModelLoadException trt = assertThrows(ModelLoadException.class,
                () -> EngineSelector.select(cp, "tensorrt", "YUNJING_ENGINE", 1));
        assertTrue(trt.getMessage().contains("TensorRT backend is not built"), trt.getMessage());
    }

    @Test
    void cuda_withoutDevice_saysWhy() {
        String why = EngineSelector.nativeUnavailability("cuda");
        assumeTrue(why != null, "a CUDA device is present");
        ModelLoadException e = assertThrows(ModelLoadException.class,
                () -> EngineSelector.select(cp, "cuda", "-Dyunjing.engine", 1));
        assertTrue(e.getMessage().contains(why), e.getMessage());
    }

    @Test
    void auto_prefersTheNativeWorkerWhenBuilt() throws Exception {
        EngineSelector.Selection s = EngineSelector.select(cp, "auto", "YUNJING_ENGINE", 1);
        if (NativeLibrary.isAvailable()) {
            NativeEngine engine = assertInstanceOf(NativeEngine.class, s.engine());
            assertEquals(EngineSelector.nativeUnavailability("cuda") == null ? "cuda" : "cpu", s.name());
            engine.close();
        } else {
            assertInstanceOf(JavaReferenceEngine.class, s.engine());
            assertTrue(s.reason().contains("native worker unavailable"), s.reason());
        }
    }
}
