package yunjing.origin.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The element types a safetensors header may name (see https://github.com/huggingface/safetensors, "Format").
 * Every type is known so that sizes can be checked against the data offsets; only the floating types a Llama
 * checkpoint stores its weights in ({@link #F32}, {@link #F16}, {@link #BF16}) can be read as floats.
 */
enum DType {
    BOOL(1, false), U8(1, false), I8(1, false), F8_E4M3(1, false), F8_E5M2(1, false),
    I16(2, false), U16(2, false), F16(2, true), BF16(2, true),
    I32(4, false), U32(4, false), F32(4, true),
    I64(8, false), U64(8, false), F64(8, false);

    final int bytes;
    final boolean readableAsFloat;

    DType(int bytes, boolean readableAsFloat) {
        this.bytes = bytes;
        this.readableAsFloat = readableAsFloat;
    }

    /** The type named {@code name} in a header, or null when safetensors has no such type. */
    static DType byName(String name) {
        for (DType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }

    /**
     * Converts {@code count} little-endian elements starting at the buffer's position into {@code out[offset…]}.
     * fp16 and bf16 widen exactly to float, so the reference engine computes on the same values the checkpoint
     * holds.
     */
    void toFloats(ByteBuffer in, float[] out, int offset, int count) {
        ByteBuffer le = in.order(ByteOrder.LITTLE_ENDIAN);
        switch (this) {
            case F32 -> le.asFloatBuffer().get(out, offset, count);
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    out[offset + i] = Float.float16ToFloat(le.getShort(le.position() + 2 * i));
                }
            }
            case BF16 -> {
                // bf16 is the upper half of an IEEE binary32: shift it back into place.
                for (int i = 0; i < count; i++) {
                    out[offset + i] = Float.intBitsToFloat((le.getShort(le.position() + 2 * i) & 0xFFFF) << 16);
                }
            }
            default -> throw new IllegalStateException(this + " is not a float type");
        }
    }

    /** Encodes one float in this type (round to nearest even), little-endian. */
    void putFloat(ByteBuffer out, float value) {
        ByteBuffer le = out.order(ByteOrder.LITTLE_ENDIAN);
        switch (this) {
            case F32 -> le.putFloat(value);
            case F16 -> le.putShort(Float.floatToFloat16(value));
            case BF16 -> le.putShort(toBf16(value));
            default -> throw new IllegalStateException(this + " is not a float type");
        }
    }

    private static short toBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x40); // keep it a quiet NaN
        }
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }
}
