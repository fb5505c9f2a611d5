package yunjing.origin.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.origin.ModelLoadException;
import yunjing.origin.engine.JavaReferenceEngine;
import yunjing.origin.engine.jni.NativeEngine;
import yunjing.origin.engine.jni.NativeLibrary;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Checkpoints split into shards listed by {@code model.safetensors.index.json}, as Hugging Face publishes them. */
class ShardedCheckpointTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void generator_writesShardsAndAnIndexCoveringEveryTensorOnce() throws Exception {
        Path dir = tmp.resolve("sharded");
        TestModelGenerator.generate(dir, 3, TestModelGenerator.Shape.PRESET, 3);
        assertFalse(Files.exists(dir.resolve("model.safetensors")));
        JsonNode index = JSON.readTree(dir.resolve("model.safetensors.index.json").toFile());
        Set<String> files = new HashSet<>();
        index.get("weight_map").forEach(f -> files.add(f.asText()));
        assertEquals(Set.of("model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                "model-00003-of-00003.safetensors"), files);
        long bytes = 0;
        int tensors = 0;
        for (String f : files) {
            try (SafetensorsFile s = SafetensorsFile.open(dir.resolve(f))) {
                for (SafetensorsFile.TensorInfo t : s.tensors().values()) {
                    assertEquals(f, index.at("/weight_map/" + t.name().replace("/", "~1")).asText(), t.name());
                    bytes += t.elements() * 4;
                    tensors++;
                }
            }
        }
        assertEquals(index.get("weight_map").size(), tensors, "each tensor in exactly one shard");
        assertEquals(index.at("/metadata/total_size").asLong(), bytes);
    }

    @Test
    void shardedCheckpoint_loadsTheSameWeightsAsTheSingleFile() throws Exception {
        Path single = tmp.resolve("single");
        Path sharded = tmp.resolve("sharded");
        TestModelGenerator.generate(single, 9);
        TestModelGenerator.generate(sharded, 9, TestModelGenerator.Shape.PRESET, 4);
        Checkpoint a = Checkpoint.load(single);
        Checkpoint b = Checkpoint.load(sharded);
        int[] prompt = a.tokenizer().encode("sharded or not, the same model");
        float[] expected = new JavaReferenceEngine(a.config(), a.weights()).newSequence(64).prefill(prompt);
        assertArrayEquals(expected, new JavaReferenceEngine(b.config(), b.weights()).newSequence(64).prefill(prompt));
    }

    @Test
    void shardedCheckpoint_loadsInTheNativeEngine() throws Exception {
        assumeTrue(NativeLibrary.isAvailable(), () -> "native library not built: " + NativeLibrary.unavailabilityCause());
        Path single = tmp.resolve("single");
        Path sharded = tmp.resolve("sharded");
        TestModelGenerator.generate(single, 9);
        TestModelGenerator.generate(sharded, 9, TestModelGenerator.Shape.PRESET, 4);
        Checkpoint a = Checkpoint.load(single);
        Checkpoint b = Checkpoint.load(sharded);
        int[] prompt = a.tokenizer().encode("native, from four files");
        try (NativeEngine one = NativeEngine.open(single, a.config(), "cpu", 1);
             NativeEngine four = NativeEngine.open(sharded, b.config(), "cpu", 1)) {
            assertArrayEquals(one.newSequence(64).prefill(prompt), four.newSequence(64).prefill(prompt));
        }
    }

    @Test
    void missingShard_isRefusedNamingTheFile() throws Exception {
        TestModelGenerator.generate(tmp, 1, TestModelGenerator.Shape.PRESET, 2);
        Files.delete(tmp.resolve("model-00002-of-00002.safetensors"));
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> Checkpoint.load(tmp));
        assertEquals(tmp.resolve("model-00002-of-00002.safetensors") + ": file not found", e.getMessage());
    }

    @Test
    void tensorInTwoShards_isRefusedNamingBoth() throws Exception {
        TestModelGenerator.generate(tmp, 1, TestModelGenerator.Shape.PRESET, 2);
        // The second shard also gets the first shard's first tensor; the index still names only one of them.
        Path first = tmp.resolve("model-00001-of-00002.safetensors");
        Path second = tmp.resolve("model-00002-of-00002.safetensors");
        SafetensorsWriter w = new SafetensorsWriter();
        String dup;
        try (SafetensorsFile f = SafetensorsFile.open(first); SafetensorsFile g = SafetensorsFile.open(second)) {
            dup = f.tensors().keySet().iterator().next();
            SafetensorsFile.TensorInfo t = f.tensors().get(dup);
            w.add(dup, DType.F32, f.readFloats(dup), t.shape());
            for (SafetensorsFile.TensorInfo u : g.tensors().values()) {
                w.add(u.name(), DType.F32, g.readFloats(u.name()), u.shape());
            }
        }
        w.write(second);
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> Checkpoint.load(tmp));
        assertEquals(tmp.resolve("model.safetensors.index.json") + ": tensor '" + dup + "' is in two shards, "
                + "model-00001-of-00002.safetensors and model-00002-of-00002.safetensors", e.getMessage());
    }

    @Test
    void tensorListedTwiceInTheIndex_isRefused() throws Exception {
        TestModelGenerator.generate(tmp, 1, TestModelGenerator.Shape.PRESET, 2);
        Path index = tmp.resolve("model.safetensors.index.json");
        String json = Files.readString(index, StandardCharsets.UTF_8);
        String entry = "\"model.norm.weight\": \"model-00002-of-00002.safetensors\"";
        assertTrue(json.contains(entry), json);
        Files.writeString(index, json.replace(entry,
                entry + ",\n    \"model.norm.weight\": \"model-00001-of-00002.safetensors\""), StandardCharsets.UTF_8);
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> Checkpoint.load(tmp));
        assertTrue(e.getMessage().startsWith(index + ": cannot parse: Duplicate field 'model.norm.weight'"),
                e.getMessage());
    }

    @Test
    void moreShardsThanTensors_isRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TestModelGenerator.generate(tmp, 1, TestModelGenerator.Shape.PRESET, 1000));
        assertTrue(e.getMessage().startsWith("shards: 1000 (expected: 1.."), e.getMessage());
    }
}
