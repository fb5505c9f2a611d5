package yunjing.origin.model;

import com.fasterxml.jackson.databind.JsonNode;
import yunjing.origin.ModelLoadException;

import java.nio.file.Path;

/**
 * The shape of a Llama-architecture model, read from a Hugging Face {@code config.json}
 * ({@code LlamaForCausalLM}, see transformers' {@code LlamaConfig}). Anything the engines do not implement
 * (another architecture, biases, an activation other than SiLU, an unknown RoPE scaling) is refused at load,
 * because silently computing something else would produce plausible-looking wrong text.
 *
 * @param headDim      per-head width; {@code hidden_size / num_attention_heads} unless {@code head_dim} is given
 * @param ropeScaling  Llama 3.1 style frequency scaling, or null for plain RoPE
 * @param qkvBias      q/k/v projections carry a bias ({@code Qwen2ForCausalLM}; o_proj and the MLP never do)
 */
public record LlamaConfig(int hiddenSize, int intermediateSize, int numLayers, int numHeads, int numKvHeads,
                          int headDim, int vocabSize, int maxPositionEmbeddings, float rmsNormEps,
                          double ropeTheta, RopeScaling ropeScaling, boolean tieWordEmbeddings, boolean qkvBias) {

    /** {@code rope_scaling} with {@code rope_type: "llama3"} (transformers' {@code _compute_llama3_parameters}). */
    public record RopeScaling(double factor, double lowFreqFactor, double highFreqFactor,
                              int originalMaxPositionEmbeddings) {}

    public int kvDim() {
        return numKvHeads * headDim;
    }

    public int qDim() {
        return numHeads * headDim;
    }

    static LlamaConfig parse(Path file, JsonNode c) throws ModelLoadException {
        if (c == null || !c.isObject()) {
            throw new ModelLoadException(file + ": not a JSON object");
        }
        JsonNode arch = c.get("architectures");
        String modelType = c.path("model_type").asText("");
        boolean qwen2;
        if (arch != null && arch.isArray() && !arch.isEmpty()) {
            boolean llama = false;
            boolean qwen = false;
            for (JsonNode a : arch) {
                llama |= a.asText().equals("LlamaForCausalLM");
                qwen |= a.asText().equals("Qwen2ForCausalLM");
            }
            if (!llama && !qwen) {
                throw new ModelLoadException(file + ": unsupported architecture " + arch
                        + " (expected: LlamaForCausalLM or Qwen2ForCausalLM)");
            }
            qwen2 = !llama;
        } else if (modelType.equals("llama") || modelType.equals("qwen2")) {
            qwen2 = modelType.equals("qwen2");
        } else {
            throw new ModelLoadException(file + ": unsupported model_type '" + modelType
                    + "' (expected: llama or qwen2)");
        }
        // Qwen2 is the Llama decoder with a bias on q/k/v; its sliding window is off in released checkpoints.
        if (qwen2 && c.path("use_sliding_window").asBoolean(false)) {
            throw new ModelLoadException(file + ": use_sliding_window is not supported");
        }
        String act = c.path("hidden_act").asText("silu");
        if (!act.equals("silu")) {
            throw new ModelLoadException(file + ": unsupported hidden_act '" + act + "' (expected: silu)");
        }
        if (c.path("attention_bias").asBoolean(false) || c.path("mlp_bias").asBoolean(false)) {
            throw new ModelLoadException(file + ": attention_bias / mlp_bias are not supported");
        }
        int hidden = positiveInt(file, c, "hidden_size", -1);
        int heads = positiveInt(file, c, "num_attention_heads", -1);
        int kvHeads = positiveInt(file, c, "num_key_value_heads", heads);
        int headDim = positiveInt(file, c, "head_dim", hidden / heads);
        if (heads % kvHeads != 0) {
            throw new ModelLoadException(file + ": num_attention_heads " + heads
                    + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        if (headDim % 2 != 0) {
            throw new ModelLoadException(file + ": head_dim " + headDim + " must be even for RoPE");
        }
        if (!c.has("head_dim") && hidden % heads != 0) {
            throw new ModelLoadException(file + ": hidden_size " + hidden + " is not a multiple of num_attention_heads "
                    + heads);
        }
        return new LlamaConfig(hidden,
                positiveInt(file, c, "intermediate_size", -1),
                positiveInt(file, c, "num_hidden_layers", -1),
                heads, kvHeads, headDim,
                positiveInt(file, c, "vocab_size", -1),
                positiveInt(file, c, "max_position_embeddings", 2048),
                (float) c.path("rms_norm_eps").asDouble(1e-6),
                c.path("rope_theta").asDouble(10000.0),
                ropeScaling(file, c.get("rope_scaling")),
                c.path("tie_word_embeddings").asBoolean(false),
                qwen2);
    }

    private static RopeScaling ropeScaling(Path file, JsonNode s) throws ModelLoadException {
        if (s == null || s.isNull()) {
            return null;
        }
        String type = s.path("rope_type").asText(s.path("type").asText(""));
        if (type.equals("default")) {
            return null;
        }
        if (!type.equals("llama3")) {
            throw new ModelLoadException(file + ": unsupported rope_scaling type '" + type + "' (expected: llama3)");
        }
        return new RopeScaling(s.path("factor").asDouble(8.0), s.path("low_freq_factor").asDouble(1.0),
                s.path("high_freq_factor").asDouble(4.0),
                s.path("original_max_position_embeddings").asInt(8192));
    }

    private static int positiveInt(Path file, JsonNode c, String field, int fallback) throws ModelLoadException {
        JsonNode n = c.get(field);
        if (n == null || n.isNull()) {
            if (fallback > 0) {
                return fallback;
            }
            throw new ModelLoadException(file + ": missing " + field);
        }
        if (!n.canConvertToExactIntegral() || n.asLong() < 1 || n.asLong() > Integer.MAX_VALUE) {
            throw new ModelLoadException(file + ": " + field + " is " + n + " (expected: a positive integer)");
        }
        return n.asInt();
    }
}
