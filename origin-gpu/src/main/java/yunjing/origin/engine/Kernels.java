package yunjing.origin.engine;

/**
 * The arithmetic of a Llama forward pass on float arrays, each written as the textbook formula with the
 * convention transformers uses. Dot products accumulate in double: the reference should be the value the fp32
 * weights define, with less rounding than any fast kernel it is compared with, not the same rounding.
 */
final class Kernels {

    private Kernels() {}

    /** {@code out[o] = Σ_i w[o·in + i] · x[i]} for a Hugging Face linear weight {@code [out, in]}. */
    static void matVec(float[] w, float[] x, int xOff, int in, float[] out, int outOff, int outDim) {
        for (int o = 0; o < outDim; o++) {
            int row = o * in;
            double sum = 0;
            for (int i = 0; i < in; i++) {
                sum += (double) w[row + i] * x[xOff + i];
            }
            out[outOff + o] = (float) sum;
        }
    }

    /**
     * RMSNorm (Zhang & Sennrich 2019) as {@code LlamaRMSNorm}: {@code x / sqrt(mean(x²) + ε) · weight}, the
     * weight applied after normalising.
     */
    static void rmsNorm(float[] x, int xOff, float[] weight, float eps, float[] out, int outOff, int n) {
        double sumSquares = 0;
        for (int i = 0; i < n; i++) {
            sumSquares += (double) x[xOff + i] * x[xOff + i];
        }
        float scale = (float) (1.0 / Math.sqrt(sumSquares / n + eps));
        for (int i = 0; i < n; i++) {
            out[outOff + i] = weight[i] * (x[xOff + i] * scale);
        }
    }

    /**
     * Rotary position embedding on one head, transformers' {@code rotate_half} convention: element {@code i}
     * pairs with {@code i + d/2} (not with {@code i + 1} as in Meta's original code; Hugging Face checkpoints
     * permute q/k weights to match this).
     * {@code out[i] = x[i]·cos θ_i − x[i+d/2]·sin θ_i}, {@code out[i+d/2] = x[i+d/2]·cos θ_i + x[i]·sin θ_i}.
     */
    static void rope(float[] x, int off, int headDim, float[] cos, float[] sin) {
        int half = headDim / 2;
        for (int i = 0; i < half; i++) {
            float a = x[off + i];
            float b = x[off + i + half];
            x[off + i] = a * cos[i] - b * sin[i];
            x[off + i + half] = b * cos[i] + a * sin[i];
        }
    }

    /** In-place softmax over {@code x[0..n)}, shifted by the maximum so that exp cannot overflow. */
    static void softmax(float[] x, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double e = Math.exp(x[i] - max);
            x[i] = (float) e;
            sum += e;
        }
        for (int i = 0; i < n; i++) {
            x[i] = (float) (x[i] / sum);
        }
    }

    /** SwiGLU (Shazeer 2020): {@code silu(gate) · up}, with {@code silu(g) = g · σ(g)}. */
    static void swiglu(float[] gate, float[] up, float[] out, int n) {
        for (int i = 0; i < n; i++) {
            float g = gate[i];
            out[i] = (float) (g / (1.0 + Math.exp(-g))) * up[i];
        }
    }

    static void addInPlace(float[] acc, int accOff, float[] x, int xOff, int n) {
        for (int i = 0; i < n; i++) {
            acc[accOff + i] += x[xOff + i];
        }
    }
}
