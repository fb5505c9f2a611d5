package yunjing.origin.engine;

import yunjing.origin.model.LlamaConfig;

/**
 * RoPE angles (Su et al. 2021): {@code θ_i = pos · inv_freq[i]}, {@code inv_freq[i] = base^(−2i/d)}, computed in
 * float as transformers' {@code LlamaRotaryEmbedding} does, with the Llama 3.1 frequency scaling when the config
 * asks for it ({@code _compute_llama3_parameters}: long wavelengths slowed by {@code factor}, short ones kept,
 * a smooth blend between).
 */
public final class Rope {

    private final float[] invFreq;

    public Rope(LlamaConfig config) {
        int d = config.headDim();
        invFreq = new float[d / 2];
        for (int i = 0; i < d / 2; i++) {
            invFreq[i] = (float) (1.0 / Math.pow(config.ropeTheta(), (float) (2 * i) / d));
        }
        LlamaConfig.RopeScaling s = config.ropeScaling();
        if (s != null) {
            double lowFreqWavelen = s.originalMaxPositionEmbeddings() / s.lowFreqFactor();
            double highFreqWavelen = s.originalMaxPositionEmbeddings() / s.highFreqFactor();
            for (int i = 0; i < invFreq.length; i++) {
                double wavelen = 2 * Math.PI / invFreq[i];
                if (wavelen > lowFreqWavelen) {
                    invFreq[i] = (float) (invFreq[i] / s.factor());
                } else if (wavelen >= highFreqWavelen) {
                    double smooth = (s.originalMaxPositionEmbeddings() / wavelen - s.lowFreqFactor())
                            / (s.highFreqFactor() - s.lowFreqFactor());
                    invFreq[i] = (float) ((1 - smooth) * invFreq[i] / s.factor() + smooth * invFreq[i]);
                }
            }
        }
    }

    /** The inverse frequencies (length d/2), for engines that compute the angles themselves. */
    public float[] inverseFrequencies() {
        return invFreq.clone();
    }

    /** Fills {@code cos} and {@code sin} (length d/2) for position {@code pos}. */
    void angles(int pos, float[] cos, float[] sin) {
        for (int i = 0; i < invFreq.length; i++) {
            float angle = pos * invFreq[i];
            cos[i] = (float) Math.cos(angle);
            sin[i] = (float) Math.sin(angle);
        }
    }
}
