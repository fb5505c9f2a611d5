package yunjing.origin.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes float tensors in the safetensors format, in the order they were added, so the same tensors give the
 * same bytes. Used by {@link TestModelGenerator} and by tests that need fp16 / bf16 or damaged files.
 */
final class SafetensorsWriter {

    private record Entry(String name, DType dtype, long[] shape, float[] values) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<Entry> entries = new ArrayList<>();

    SafetensorsWriter add(String name, DType dtype, float[] values, long... shape) {
        long elements = 1;
        for (long d : shape) {
            elements *= d;
        }
        if (elements != values.length) {
            throw new IllegalArgumentException(name + ": " + values.length + " values for shape of " + elements);
        }
        if (!dtype.readableAsFloat) {
            throw new IllegalArgumentException(name + ": dtype " + dtype + " (expected: F32, F16 or BF16)");
        }
        entries.add(new Entry(name, dtype, shape.clone(), values));
        return this;
    }

    /** Tensor names in file order. */
    List<String> names() {
        return entries.stream().map(Entry::name).toList();
    }

    /** Bytes of tensor data (the index's {@code metadata.total_size}). */
    long dataBytes() {
        long total = 0;
        for (Entry e : entries) {
            total += (long) e.values().length * e.dtype().bytes;
        }
        return total;
    }

    /**
     * These tensors, in order, as {@code shards} writers of consecutive tensors, each closed once it holds its
     * share of the bytes (every shard gets at least one tensor).
     */
    List<SafetensorsWriter> split(int shards) {
        if (shards < 1 || shards > entries.size()) {
            throw new IllegalArgumentException("shards: " + shards + " (expected: 1.." + entries.size() + ", the tensor count)");
        }
        List<SafetensorsWriter> out = new ArrayList<>();
        long total = dataBytes();
        long written = 0;
        SafetensorsWriter current = new SafetensorsWriter();
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            current.entries.add(e);
            written += (long) e.values().length * e.dtype().bytes;
            int left = entries.size() - i - 1;
            int shardsLeft = shards - out.size() - 1;
            boolean full = written * shards >= total * (out.size() + 1);
            if (shardsLeft > 0 && (full || left == shardsLeft)) {
                out.add(current);
                current = new SafetensorsWriter();
            }
        }
        out.add(current);
        return out;
    }

    /** The header JSON, padded with spaces to a multiple of 8 bytes as the reference writer does. */
    byte[] header() {
        ObjectNode root = JSON.createObjectNode();
        root.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        for (Entry e : entries) {
            ObjectNode t = root.putObject(e.name());
            t.put("dtype", e.dtype().name());
            var shape = t.putArray("shape");
            for (long d : e.shape()) {
                shape.add(d);
            }
            long size = (long) e.values().length * e.dtype().bytes;
            t.putArray("data_offsets").add(offset).add(offset + size);
            offset += size;
        }
        byte[] json = root.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) & ~7;
        byte[] out = new byte[padded];
        System.arraycopy(json, 0, out, 0, json.length);
        for (int i = json.length; i < padded; i++) {
            out[i] = ' ';
        }
        return out;
    }

    void write(Path file) throws IOException {
        byte[] header = header();
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
            out.write(header);
            for (Entry e : entries) {
                ByteBuffer data = ByteBuffer.allocate(e.values().length * e.dtype().bytes);
                for (float v : e.values()) {
                    e.dtype().putFloat(data, v);
                }
                out.write(data.array());
            }
        }
    }
}
