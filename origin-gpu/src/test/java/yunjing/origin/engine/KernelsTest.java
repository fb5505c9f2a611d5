package yunjing.origin.engine;

import org.junit.jupiter.api.Test;
import yunjing.origin.model.LlamaConfig;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The kernels against values worked out by hand (with a calculator), not against another implementation. */
class KernelsTest {

    @Test
    void rmsNorm_dividesByRootMeanSquareThenScalesByWeight() {
        // mean(x²) = (1 + 4 + 9 + 16) / 4 = 7.5; 1/sqrt(7.5 + 1e-5) = 0.36514813
        float[] out = new float[4];
        Kernels.rmsNorm(new float[] {1, 2, 3, 4}, 0, new float[] {1, 0.5f, 2, 1}, 1e-5f, out, 0, 4);
        assertArrayEquals(new float[] {0.36514813f, 0.36514813f, 2.1908888f, 1.4605925f}, out, 1e-6f);
    }

    @Test
    void rmsNorm_readsAndWritesAtOffsets() {
        float[] x = {9, 9, 3, 4};
        float[] out = new float[3];
        Kernels.rmsNorm(x, 2, new float[] {1, 1}, 0f, out, 1, 2);
        // mean(9 + 16) = 12.5 → scale 1/sqrt(12.5) = 0.28284271
        assertArrayEquals(new float[] {0, 0.84852814f, 1.1313709f}, out, 1e-6f);
    }

    @Test
    void rope_rotatesPairsHalfADimensionApart() {
        // d = 4, θ = 10000, position 1: inv_freq = [1, 1/100], so angles 1 and 0.01 rad.
        Rope rope = new Rope(config(4, 10000, null));
        float[] cos = new float[2];
        float[] sin = new float[2];
        rope.angles(1, cos, sin);
        assertArrayEquals(new float[] {(float) Math.cos(1), (float) Math.cos(0.01)}, cos, 1e-7f);
        float[] x = {1, 2, 3, 4};
        Kernels.rope(x, 0, 4, cos, sin);
        // x0' = 1·cos1 − 3·sin1, x1' = 2·cos.01 − 4·sin.01, x2' = 3·cos1 + 1·sin1, x3' = 4·cos.01 + 2·sin.01
        assertArrayEquals(new float[] {-1.9841106f, 1.9599007f, 2.4623779f, 4.0197997f}, x, 1e-6f);
    }

    @Test
    void rope_atPositionZeroIsIdentity() {
        Rope rope = new Rope(config(8, 10000, null));
        float[] cos = new float[4];
        float[] sin = new float[4];
        rope.angles(0, cos, sin);
        float[] x = {1, -2, 3, -4, 5, -6, 7, -8};
        Kernels.rope(x, 0, 8, cos, sin);
        assertArrayEquals(new float[] {1, -2, 3, -4, 5, -6, 7, -8}, x);
    }

    @Test
    void llama3RopeScaling_slowsOnlyLongWavelengths() {
        // Llama 3.1 8B values: d 128, θ 500000, factor 8, low 1, high 4, original context 8192.
        LlamaConfig.RopeScaling s = new LlamaConfig.RopeScaling(8, 1, 4, 8192);
        Rope plain = new Rope(config(128, 500000, null));
        Rope scaled = new Rope(config(128, 500000, s));
        float[] c1 = new float[64];
        float[] s1 = new float[64];
        float[] c2 = new float[64];
        float[] s2 = new float[64];
        plain.angles(1000, c1, s1);
        scaled.angles(1000, c2, s2);
        // i = 0: wavelength 2π < 8192/4, unchanged.
        assertEquals(c1[0], c2[0]);
        // i = 63: inv_freq = 500000^(-126/128) ≈ 2.4e-6, wavelength ≈ 2.6e6 > 8192: angle divided by 8.
        double invFreq = 1.0 / Math.pow(500000, 126.0 / 128);
        assertEquals(Math.sin(1000 * invFreq / 8), s2[63], 1e-6);
    }

    @Test
    void softmax_sumsToOneAndSurvivesLargeLogits() {
        float[] x = {1000, 1000 + (float) Math.log(3)};
        Kernels.softmax(x, 2);
        assertArrayEquals(new float[] {0.25f, 0.75f}, x, 1e-4f);
    }

    @Test
    void swiglu_isSiluOfGateTimesUp() {
        // silu(2) = 2 / (1 + e^-2) = 1.7615942; × 3 = 5.2847826
        float[] out = new float[1];
        Kernels.swiglu(new float[] {2}, new float[] {3}, out, 1);
        assertEquals(5.2847825f, out[0], 1e-6f);
    }

    @Test
    void matVec_usesHuggingFaceOutInLayout() {
        // W = [[1, 2, 3], [4, 5, 6]] is [out=2, in=3]; W·[1, 0, -1] = [-2, -2]
        float[] out = new float[2];
        Kernels.matVec(new float[] {1, 2, 3, 4, 5, 6}, new float[] {1, 0, -1}, 0, 3, out, 0, 2);
        assertArrayEquals(new float[] {-2, -2}, out);
    }

    private static LlamaConfig config(int headDim, double theta, LlamaConfig.RopeScaling scaling) {
        return new LlamaConfig(headDim, 4, 1, 1, 1, headDim, 10, 16, 1e-5f, theta, scaling, false, false);
    }
}
