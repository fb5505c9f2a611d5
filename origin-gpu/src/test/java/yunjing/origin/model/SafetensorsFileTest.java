package yunjing.origin.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.origin.ModelLoadException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsFileTest {

    @TempDir
    Path tmp;

    /** Values exactly representable in fp16 and bf16, so all three types must read back the same floats. */
    private static final float[] VALUES = {0f, 1f, -2f, 0.5f, 3.25f, -0.125f};

    private float[] roundTrip(DType dtype) throws Exception {
        Path file = tmp.resolve(dtype + ".safetensors");
        new SafetensorsWriter().add("w", dtype, VALUES, 2, 3).write(file);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(dtype, f.tensors().get("w").dtype());
            assertArrayEquals(new long[] {2, 3}, f.tensors().get("w").shape());
            return f.readFloats("w");
        }
    }

    @Test
    void f32_readsBack() throws Exception {
        assertArrayEquals(VALUES, roundTrip(DType.F32));
    }

    @Test
    void f16_widensToFloat() throws Exception {
        assertArrayEquals(VALUES, roundTrip(DType.F16));
    }

    @Test
    void bf16_widensToFloat() throws Exception {
        assertArrayEquals(VALUES, roundTrip(DType.BF16));
    }

    @Test
    void f16_knownBitPatterns() throws Exception {
        // 0x3C00 = 1.0, 0xC000 = -2.0, 0x7BFF = 65504 (largest half), 0x0001 = 2^-24 (smallest subnormal).
        Path file = raw("{\"x\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]}}",
                new byte[] {0x00, 0x3C, 0x00, (byte) 0xC0, (byte) 0xFF, 0x7B, 0x01, 0x00});
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertArrayEquals(new float[] {1f, -2f, 65504f, (float) Math.pow(2, -24)}, f.readFloats("x"));
        }
    }

    @Test
    void bf16_knownBitPatterns() throws Exception {
        // bf16 0x3F80 = 1.0, 0x4049 = 3.140625 (pi truncated to 8 bits of mantissa).
        Path file = raw("{\"x\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}",
                new byte[] {(byte) 0x80, 0x3F, 0x49, 0x40});
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertArrayEquals(new float[] {1f, 3.140625f}, f.readFloats("x"));
        }
    }

    @Test
    void truncatedFile_isRefusedNamingTheFile() throws Exception {
        Path file = tmp.resolve("t.safetensors");
        new SafetensorsWriter().add("w", DType.F32, VALUES, 6).write(file);
        byte[] all = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(all, all.length - 5));
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> SafetensorsFile.open(file));
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void headerLengthBeyondFile_isRefused() throws Exception {
        Path file = tmp.resolve("h.safetensors");
        byte[] bytes = new byte[1234];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(99_999_999L);
        Files.write(file, bytes);
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> SafetensorsFile.open(file));
        assertEquals(file + ": header length 99999999 exceeds file size 1234", e.getMessage());
    }

    @Test
    void headerNotJson_isRefused() throws Exception {
        Path file = raw("{not json at all}", new byte[0]);
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> SafetensorsFile.open(file));
        assertTrue(e.getMessage().startsWith(file + ": header is not valid JSON"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), "one line: " + e.getMessage());
    }

    @Test
    void tinyFile_isRefused() throws Exception {
        Path file = tmp.resolve("tiny.safetensors");
        Files.write(file, new byte[3]);
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> SafetensorsFile.open(file));
        assertTrue(e.getMessage().startsWith(file + ": file is 3 bytes"), e.getMessage());
    }

    @Test
    void unknownDtype_isRefusedNamingTensorAndType() throws Exception {
        Path file = raw("{\"w\":{\"dtype\":\"Q4_K\",\"shape\":[2],\"data_offsets\":[0,2]}}", new byte[2]);
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> SafetensorsFile.open(file));
        assertEquals(file + ": tensor 'w': unknown dtype Q4_K", e.getMessage());
    }

    @Test
    void knownButUnsupportedDtype_isRefusedWhenRead() throws Exception {
        Path file = raw("{\"w\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8]);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            ModelLoadException e = assertThrows(ModelLoadException.class, () -> f.readFloats("w"));
            assertTrue(e.getMessage().startsWith(file + ": tensor 'w' has dtype I64, not supported"), e.getMessage());
        }
    }

    @Test
    void sizeNotMatchingShape_isRefused() throws Exception {
        Path file = raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]);
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> SafetensorsFile.open(file));
        assertTrue(e.getMessage().contains("span 8 bytes but F32 [3] needs 12"), e.getMessage());
    }

    @Test
    void writerPadsHeaderToEightBytes() {
        byte[] header = new SafetensorsWriter().add("abc", DType.F32, new float[] {1}, 1).header();
        assertEquals(0, header.length % 8);
    }

    private Path raw(String header, byte[] data) throws IOException {
        Path file = tmp.resolve("raw" + System.nanoTime() + ".safetensors");
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        Files.write(file, b.array());
        return file;
    }
}
