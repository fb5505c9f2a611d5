package yunjing.origin.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.origin.ModelLoadException;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckpointTest {

    @TempDir
    Path tmp;

    @Test
    void missingDirectory_isRefusedNamingIt() {
        Path dir = tmp.resolve("nope");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> Checkpoint.load(dir));
        assertEquals(dir + ": model directory does not exist", e.getMessage());
    }

    @Test
    void otherArchitecture_isRefused() throws Exception {
        TestModelGenerator.generate(tmp, 1);
        replaceInFile(tmp.resolve("config.json"), "LlamaForCausalLM", "MixtralForCausalLM");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> Checkpoint.load(tmp));
        assertEquals(tmp.resolve("config.json") + ": unsupported architecture [\"MixtralForCausalLM\"]"
                + " (expected: LlamaForCausalLM or Qwen2ForCausalLM)", e.getMessage());
    }

    @Test
    void unknownRopeScaling_isRefused() throws Exception {
        TestModelGenerator.generate(tmp, 1);
        replaceInFile(tmp.resolve("config.json"), "\"rope_scaling\": null",
                "\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0}");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> Checkpoint.load(tmp));
        assertTrue(e.getMessage().contains("unsupported rope_scaling type 'yarn'"), e.getMessage());
    }

    @Test
    void missingTokenizer_isRefusedNamingTheFile() throws Exception {
        TestModelGenerator.generate(tmp, 1);
        Files.delete(tmp.resolve("tokenizer.json"));
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> Checkpoint.load(tmp));
        assertEquals(tmp.resolve("tokenizer.json") + ": file not found", e.getMessage());
    }

    @Test
    void tensorWithWrongShape_isRefusedNamingTensorAndShapes() throws Exception {
        TestModelGenerator.generate(tmp, 1);
        replaceInFile(tmp.resolve("config.json"), "\"intermediate_size\": 176", "\"intermediate_size\": 128");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> Checkpoint.load(tmp));
        assertTrue(e.getMessage().contains("tensor 'model.layers.0.mlp.gate_proj.weight' has shape [176, 64]"
                + " (expected: [128, 64] from config.json)"), e.getMessage());
    }

    @Test
    void fp16AndBf16Checkpoints_loadToTheSameWeightsWithinRounding() throws Exception {
        TestModelGenerator.generate(tmp.resolve("f32"), 3);
        LlamaWeights f32 = Checkpoint.load(tmp.resolve("f32")).weights();
        for (DType dtype : new DType[] {DType.F16, DType.BF16}) {
            Path dir = tmp.resolve(dtype.name());
            TestModelGenerator.generate(dir, 3);
            convert(dir.resolve("model.safetensors"), dtype);
            LlamaWeights converted = Checkpoint.load(dir).weights();
            // fp16 keeps 11 significant bits, bf16 8: relative error at most 2^-11 and 2^-8.
            double tolerance = dtype == DType.F16 ? 1.0 / 2048 : 1.0 / 256;
            float[] a = f32.layers().get(1).wDown();
            float[] b = converted.layers().get(1).wDown();
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], b[i], Math.abs(a[i]) * tolerance + 1e-7, dtype + " element " + i);
            }
        }
    }

    @Test
    void tiedEmbeddings_shareTheEmbeddingAsLmHead() throws Exception {
        TestModelGenerator.generate(tmp, 1);
        replaceInFile(tmp.resolve("config.json"), "\"tie_word_embeddings\": false", "\"tie_word_embeddings\": true");
        Path file = tmp.resolve("model.safetensors");
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (SafetensorsFile.TensorInfo t : f.tensors().values()) {
                if (!t.name().equals("lm_head.weight")) {
                    w.add(t.name(), DType.F32, f.readFloats(t.name()), t.shape());
                }
            }
        }
        w.write(file);
        LlamaWeights weights = Checkpoint.load(tmp).weights();
        assertSame(weights.embedTokens(), weights.lmHead());
    }

    private static void convert(Path file, DType dtype) throws Exception {
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (SafetensorsFile.TensorInfo t : f.tensors().values()) {
                w.add(t.name(), dtype, f.readFloats(t.name()), t.shape());
            }
        }
        w.write(file);
    }

    private static void replaceInFile(Path file, String from, String to) throws Exception {
        String s = Files.readString(file, StandardCharsets.UTF_8);
        if (!s.contains(from)) {
            throw new AssertionError(file + " does not contain " + from);
        }
        Files.writeString(file, s.replace(from, to), StandardCharsets.UTF_8);
    }
}
