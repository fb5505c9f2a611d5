package yunjing.origin.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import yunjing.origin.ModelLoadException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads one {@code .safetensors} file: an 8-byte little-endian header length N, N bytes of JSON naming every
 * tensor's dtype, shape and {@code data_offsets} (relative to the byte after the header), then the raw data.
 * See https://github.com/huggingface/safetensors#format.
 *
 * <p>The whole header is validated when the file is opened (offsets inside the file, sizes matching
 * dtype × shape), so a truncated download fails at start-up with the file named rather than halfway through
 * loading. Tensor data is read on demand with positional reads, so files larger than 2 GiB work.
 */
final class SafetensorsFile implements AutoCloseable {

    /** The safetensors library refuses headers above 100 MB; so do we, before allocating for one. */
    static final long MAX_HEADER_BYTES = 100_000_000L;
    private static final int READ_CHUNK = 4 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {
        long elements() {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }
    }

    private final Path file;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;

    private SafetensorsFile(Path file, FileChannel channel, long dataStart, Map<String, TensorInfo> tensors) {
        this.file = file;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
    }

    static SafetensorsFile open(Path file) throws ModelLoadException {
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new ModelLoadException(file + ": file not found", e);
        } catch (IOException e) {
            throw new ModelLoadException(file + ": cannot open: " + e.getMessage(), e);
        }
        try {
            long size = channel.size();
            if (size < 8) {
                throw new ModelLoadException(file + ": file is " + size + " bytes, too short for the 8-byte header length");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0);
            long headerLength = lengthBytes.flip().getLong();
            if (headerLength < 0 || headerLength > size - 8) {
                throw new ModelLoadException(file + ": header length " + Long.toUnsignedString(headerLength)
                        + " exceeds file size " + size);
            }
            if (headerLength < 2) {
                throw new ModelLoadException(file + ": header length " + headerLength + " is too small for a JSON object");
            }
            if (headerLength > MAX_HEADER_BYTES) {
                throw new ModelLoadException(file + ": header length " + headerLength + " exceeds the limit of "
                        + MAX_HEADER_BYTES + " bytes");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            readFully(channel, header, 8);
            long dataStart = 8 + headerLength;
            Map<String, TensorInfo> tensors = parseHeader(file, header.array(), size - dataStart);
            return new SafetensorsFile(file, channel, dataStart, tensors);
        } catch (ModelLoadException e) {
            closeQuietly(channel);
            throw e;
        } catch (IOException e) {
            closeQuietly(channel);
            throw new ModelLoadException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static Map<String, TensorInfo> parseHeader(Path file, byte[] header, long dataSize)
            throws ModelLoadException {
        JsonNode root;
        try {
            root = JSON.readTree(header);
        } catch (JsonProcessingException e) {
            throw new ModelLoadException(file + ": header is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ModelLoadException(file + ": header is not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelLoadException(file + ": header is not a JSON object");
        }
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            tensors.put(e.getKey(), parseTensor(file, e.getKey(), e.getValue(), dataSize));
        }
        return Collections.unmodifiableMap(tensors);
    }

    private static TensorInfo parseTensor(Path file, String name, JsonNode node, long dataSize)
            throws ModelLoadException {
        String where = file + ": tensor '" + name + "'";
        JsonNode dtypeNode = node.get("dtype");
        JsonNode shapeNode = node.get("shape");
        JsonNode offsets = node.get("data_offsets");
        if (dtypeNode == null || !dtypeNode.isTextual() || shapeNode == null || !shapeNode.isArray()
                || offsets == null || !offsets.isArray() || offsets.size() != 2
                || !offsets.get(0).canConvertToExactIntegral() || !offsets.get(1).canConvertToExactIntegral()) {
            throw new ModelLoadException(where + ": expected {\"dtype\": string, \"shape\": [..], "
                    + "\"data_offsets\": [begin, end]}, got " + abbreviate(node.toString()));
        }
        DType dtype = DType.byName(dtypeNode.asText());
        if (dtype == null) {
            throw new ModelLoadException(where + ": unknown dtype " + dtypeNode.asText());
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.canConvertToExactIntegral() || d.asLong() < 0) {
                throw new ModelLoadException(where + ": bad shape " + shapeNode);
            }
            shape[i] = d.asLong();
        }
        long begin = offsets.get(0).asLong();
        long end = offsets.get(1).asLong();
        TensorInfo info = new TensorInfo(name, dtype, shape, begin, end);
        long expected;
        try {
            expected = Math.multiplyExact(info.elements(), dtype.bytes);
        } catch (ArithmeticException overflow) {
            throw new ModelLoadException(where + ": shape " + Arrays.toString(shape) + " overflows");
        }
        if (begin < 0 || end < begin) {
            throw new ModelLoadException(where + ": bad data_offsets [" + begin + ", " + end + "]");
        }
        if (end > dataSize) {
            throw new ModelLoadException(where + ": data ends at byte " + end + " of the data section but the file"
                    + " has only " + dataSize + " data bytes (truncated?)");
        }
        if (end - begin != expected) {
            throw new ModelLoadException(where + ": data_offsets span " + (end - begin) + " bytes but " + dtype
                    + " " + Arrays.toString(shape) + " needs " + expected);
        }
        return info;
    }

    Path file() {
        return file;
    }

    Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /** Where a tensor's bytes start in the file (header included), for engines that map the file themselves. */
    long absoluteOffset(TensorInfo info) {
        return dataStart + info.begin();
    }

    /** The tensor as floats, widened from its stored type. */
    float[] readFloats(String name) throws ModelLoadException {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new ModelLoadException(file + ": no tensor named '" + name + "'");
        }
        if (!info.dtype().readableAsFloat) {
            throw new ModelLoadException(file + ": tensor '" + name + "' has dtype " + info.dtype()
                    + ", not supported (expected: F32, F16 or BF16)");
        }
        long elements = info.elements();
        if (elements > Integer.MAX_VALUE - 8) {
            throw new ModelLoadException(file + ": tensor '" + name + "' has " + elements
                    + " elements, more than one Java array holds");
        }
        float[] out = new float[(int) elements];
        int perChunk = READ_CHUNK / info.dtype().bytes;
        ByteBuffer buf = ByteBuffer.allocate(perChunk * info.dtype().bytes);
        try {
            for (int done = 0; done < out.length; ) {
                int count = Math.min(perChunk, out.length - done);
                buf.clear().limit(count * info.dtype().bytes);
                readFully(channel, buf, dataStart + info.begin() + (long) done * info.dtype().bytes);
                buf.flip();
                info.dtype().toFloats(buf, out, done, count);
                done += count;
            }
        } catch (IOException e) {
            throw new ModelLoadException(file + ": cannot read tensor '" + name + "': " + e.getMessage(), e);
        }
        return out;
    }

    private static void readFully(FileChannel channel, ByteBuffer into, long position) throws IOException {
        long at = position;
        while (into.hasRemaining()) {
            int n = channel.read(into, at);
            if (n < 0) {
                throw new IOException("unexpected end of file at byte " + at);
            }
            at += n;
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 117) + "...";
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // Already failing with a better message.
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }
}
