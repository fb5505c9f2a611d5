package yunjing.origin.model;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import yunjing.origin.ModelLoadException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The tensors of a checkpoint directory: {@code model.safetensors}, or the shards listed by
 * {@code model.safetensors.index.json} ({@code weight_map}: tensor name → shard file) as larger Hugging Face
 * checkpoints are published.
 */
final class TensorSource implements AutoCloseable {

    static final String SINGLE_FILE = "model.safetensors";
    static final String INDEX_FILE = "model.safetensors.index.json";

    private final Map<String, SafetensorsFile> byTensor;
    private final Map<Path, SafetensorsFile> files;

    private TensorSource(Map<String, SafetensorsFile> byTensor, Map<Path, SafetensorsFile> files) {
        this.byTensor = byTensor;
        this.files = files;
    }

    static TensorSource open(Path dir) throws ModelLoadException {
        Path single = dir.resolve(SINGLE_FILE);
        Path index = dir.resolve(INDEX_FILE);
        Map<Path, SafetensorsFile> files = new LinkedHashMap<>();
        Map<String, SafetensorsFile> byTensor = new HashMap<>();
        try {
            if (Files.exists(single)) {
                SafetensorsFile f = SafetensorsFile.open(single);
                files.put(single, f);
                f.tensors().keySet().forEach(name -> byTensor.put(name, f));
            } else if (Files.exists(index)) {
                JsonNode map = readIndex(index).get("weight_map");
                if (map == null || !map.isObject()) {
                    throw new ModelLoadException(index + ": missing weight_map");
                }
                for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    Path shard = dir.resolve(e.getValue().asText()).normalize();
                    if (!shard.startsWith(dir.normalize())) {
                        throw new ModelLoadException(index + ": shard " + e.getValue() + " is outside " + dir);
                    }
                    SafetensorsFile f = files.get(shard);
                    if (f == null) {
                        f = SafetensorsFile.open(shard);
                        files.put(shard, f);
                    }
                    if (!f.tensors().containsKey(e.getKey())) {
                        throw new ModelLoadException(shard + ": no tensor named '" + e.getKey() + "' (listed in "
                                + index.getFileName() + ")");
                    }
                    byTensor.put(e.getKey(), f);
                }
                refuseTensorsInTwoShards(index, files);
            } else {
                throw new ModelLoadException(single + ": file not found (nor " + INDEX_FILE + ")");
            }
        } catch (ModelLoadException e) {
            files.values().forEach(SafetensorsFile::close);
            throw e;
        }
        return new TensorSource(byTensor, files);
    }

    /**
     * A tensor stored in two shards is ambiguous (which copy do the engines read?), whichever one the index
     * names: refused, naming both files.
     */
    private static void refuseTensorsInTwoShards(Path index, Map<Path, SafetensorsFile> files) throws ModelLoadException {
        Map<String, Path> seen = new HashMap<>();
        for (SafetensorsFile f : files.values()) {
            for (String name : f.tensors().keySet()) {
                Path other = seen.putIfAbsent(name, f.file());
                if (other != null) {
                    throw new ModelLoadException(index + ": tensor '" + name + "' is in two shards, "
                            + other.getFileName() + " and " + f.file().getFileName());
                }
            }
        }
    }

    private static JsonNode readIndex(Path index) throws ModelLoadException {
        try {
            // A tensor listed twice in weight_map is an error, not "the last one wins".
            return new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).readTree(index.toFile());
        } catch (IOException e) {
            throw new ModelLoadException(index + ": cannot parse: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }

    boolean has(String name) {
        return byTensor.containsKey(name);
    }

    /** The tensor as floats after checking it has exactly {@code shape}, as the engines index it by that shape. */
    float[] floats(String name, long... shape) throws ModelLoadException {
        SafetensorsFile f = checked(name, shape);
        return f.readFloats(name);
    }

    /** Where the tensor lies, after the same shape check and a check that its dtype is a float type. */
    TensorLocation locate(String name, long... shape) throws ModelLoadException {
        SafetensorsFile f = checked(name, shape);
        SafetensorsFile.TensorInfo info = f.tensors().get(name);
        if (!info.dtype().readableAsFloat) {
            throw new ModelLoadException(f.file() + ": tensor '" + name + "' has dtype " + info.dtype()
                    + ", not supported (expected: F32, F16 or BF16)");
        }
        return new TensorLocation(f.file(), f.absoluteOffset(info), info.dtype().name(), info.elements());
    }

    private SafetensorsFile checked(String name, long... shape) throws ModelLoadException {
        SafetensorsFile f = byTensor.get(name);
        if (f == null) {
            Path where = files.isEmpty() ? Path.of(SINGLE_FILE) : files.keySet().iterator().next();
            throw new ModelLoadException(where + ": missing tensor '" + name + "'");
        }
        long[] actual = f.tensors().get(name).shape();
        if (!Arrays.equals(actual, shape)) {
            throw new ModelLoadException(f.file() + ": tensor '" + name + "' has shape " + Arrays.toString(actual)
                    + " (expected: " + Arrays.toString(shape) + " from config.json)");
        }
        return f;
    }

    @Override
    public void close() {
        files.values().forEach(SafetensorsFile::close);
    }
}
