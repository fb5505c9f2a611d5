package yunjing.origin.model;

import yunjing.origin.ModelLoadException;

import java.util.ArrayList;
import java.util.List;

/**
 * All weights of a Llama model as fp32 arrays, in the Hugging Face layout: a linear layer's weight is
 * {@code [out_features, in_features]} row-major, so {@code y[o] = Σ_i W[o·in + i] · x[i]}.
 * Immutable after load and shared by every sequence the engine runs.
 *
 * @param lmHead the output projection; the same array as {@code embedTokens} when the config ties them
 */
public record LlamaWeights(float[] embedTokens, List<Layer> layers, float[] norm, float[] lmHead) {

    /** One decoder layer ({@code model.layers.N.*}); the q/k/v biases are null unless the config has them. */
    public record Layer(float[] inputNorm, float[] wq, float[] wk, float[] wv, float[] wo,
                        float[] postAttentionNorm, float[] wGate, float[] wUp, float[] wDown,
                        float[] bq, float[] bk, float[] bv) {}

    static LlamaWeights load(TensorSource src, LlamaConfig c) throws ModelLoadException {
        long h = c.hiddenSize();
        long inter = c.intermediateSize();
        float[] embed = src.floats("model.embed_tokens.weight", c.vocabSize(), h);
        List<Layer> layers = new ArrayList<>(c.numLayers());
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "model.layers." + i + ".";
            layers.add(new Layer(
                    src.floats(p + "input_layernorm.weight", h),
                    src.floats(p + "self_attn.q_proj.weight", c.qDim(), h),
                    src.floats(p + "self_attn.k_proj.weight", c.kvDim(), h),
                    src.floats(p + "self_attn.v_proj.weight", c.kvDim(), h),
                    src.floats(p + "self_attn.o_proj.weight", h, c.qDim()),
                    src.floats(p + "post_attention_layernorm.weight", h),
                    src.floats(p + "mlp.gate_proj.weight", inter, h),
                    src.floats(p + "mlp.up_proj.weight", inter, h),
                    src.floats(p + "mlp.down_proj.weight", h, inter),
                    c.qkvBias() ? src.floats(p + "self_attn.q_proj.bias", c.qDim()) : null,
                    c.qkvBias() ? src.floats(p + "self_attn.k_proj.bias", c.kvDim()) : null,
                    c.qkvBias() ? src.floats(p + "self_attn.v_proj.bias", c.kvDim()) : null));
        }
        float[] norm = src.floats("model.norm.weight", h);
        // Tied checkpoints usually omit lm_head.weight; use it if present anyway, as transformers does on load.
        float[] lmHead = src.has("lm_head.weight") ? src.floats("lm_head.weight", c.vocabSize(), h)
                : c.tieWordEmbeddings() ? embed
                : src.floats("lm_head.weight", c.vocabSize(), h);
        return new LlamaWeights(embed, List.copyOf(layers), norm, lmHead);
    }
}
