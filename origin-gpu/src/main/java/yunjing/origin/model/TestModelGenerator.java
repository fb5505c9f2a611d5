package yunjing.origin.model;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import yunjing.origin.tokenizer.BpeTrainer;
import yunjing.origin.tokenizer.ByteLevel;
import yunjing.origin.tokenizer.ChatFormat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a tiny Llama-architecture model in real Hugging Face layout, for tests and the local cluster: the
 * files any Llama loader would accept, with random weights (so the text it writes is gibberish, but the
 * computation is the real one).
 *
 * <p>Preset ({@link Shape#PRESET}): hidden 64, 2 layers, 4 query heads and 2 key/value heads (grouped-query
 * attention, head_dim 16), intermediate 176, RoPE θ 10000, RMSNorm ε 1e-5, 2048 positions. Other {@link Shape}s
 * give the variants engines must agree on (no GQA, Qwen2 q/k/v bias, tied embeddings) and larger models for
 * benchmarks. Vocabulary: the 256 byte-level tokens, up to
 * {@value #MERGES} BPE merges learned from {@link TrainingText}, then the Llama 3 special tokens.
 *
 * <p>Determinism: the weights come from a {@link SplittableRandom} (SplitMix64, specified by the JDK) through a
 * Box–Muller transform computed with {@link StrictMath}; JSON is written with fixed key order and {@code \n}
 * line ends. The same seed gives byte-identical files on every JDK and platform.
 */
public final class TestModelGenerator {

    static final int MAX_POSITIONS = 2048;
    static final int MERGES = 320;
    static final List<String> SPECIAL_TOKENS = List.of(ChatFormat.BEGIN_OF_TEXT, "<|end_of_text|>",
            ChatFormat.START_HEADER, ChatFormat.END_HEADER, ChatFormat.END_OF_TURN);

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Indented like the files transformers writes ({@code "key": value}), with {@code \n} on every platform. */
    private static final ObjectWriter PRETTY = JSON.writer(new DefaultPrettyPrinter(Separators.createDefaultInstance()
                    .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
            .withObjectIndenter(new DefaultIndenter("  ", "\n"))
            .withArrayIndenter(new DefaultIndenter("  ", "\n")));

    private TestModelGenerator() {}

    /**
     * The size and variant of a generated model.
     *
     * @param qkvBias write a Qwen2 checkpoint ({@code Qwen2ForCausalLM}, biases on q/k/v)
     * @param tied    tie lm_head to the embeddings (and omit {@code lm_head.weight}, as such checkpoints do)
     */
    public record Shape(int hidden, int layers, int heads, int kvHeads, int intermediate, boolean qkvBias,
                        boolean tied) {
        public static final Shape PRESET = new Shape(64, 2, 4, 2, 176, false, false);

        public Shape {
            if (hidden % heads != 0 || heads % kvHeads != 0 || (hidden / heads) % 2 != 0) {
                throw new IllegalArgumentException("shape: " + hidden + " hidden, " + heads + " heads, " + kvHeads
                        + " kv heads (expected: heads | hidden, kvHeads | heads, even head_dim)");
            }
        }

        int headDim() {
            return hidden / heads;
        }
    }

    /** Writes the preset model into {@code dir} (created if needed); the same seed gives the same bytes. */
    public static void generate(Path dir, long seed) throws IOException {
        generate(dir, seed, Shape.PRESET);
    }

    /** Writes a model of {@code shape} into {@code dir}; the same seed and shape give the same bytes. */
    public static void generate(Path dir, long seed, Shape shape) throws IOException {
        generate(dir, seed, shape, 1);
    }

    /**
     * Writes a model of {@code shape} into {@code dir} with its weights in {@code shards} files: one gives
     * {@code model.safetensors}; more give {@code model-0000i-of-0000n.safetensors} and the
     * {@code model.safetensors.index.json} that maps each tensor to its shard, as Hugging Face publishes large
     * checkpoints. The tensors and their values do not depend on {@code shards}.
     */
    public static void generate(Path dir, long seed, Shape shape, int shards) throws IOException {
        Files.createDirectories(dir);
        List<String[]> merges = BpeTrainer.learnMerges(TrainingText.TEXT, MERGES);
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) {
            vocab.put(String.valueOf(ByteLevel.charOf(b)), b);
        }
        for (String[] m : merges) {
            vocab.putIfAbsent(m[0] + m[1], vocab.size());
        }
        Map<String, Integer> specials = new LinkedHashMap<>();
        for (String s : SPECIAL_TOKENS) {
            specials.put(s, vocab.size() + specials.size());
        }
        int vocabSize = vocab.size() + specials.size();
        int bos = specials.get(ChatFormat.BEGIN_OF_TEXT);
        int[] eos = {specials.get("<|end_of_text|>"), specials.get(ChatFormat.END_OF_TURN)};

        write(dir.resolve(Checkpoint.CONFIG), config(shape, vocabSize, bos, eos));
        write(dir.resolve(Checkpoint.TOKENIZER), tokenizer(vocab, merges, specials));
        write(dir.resolve(Checkpoint.TOKENIZER_CONFIG), tokenizerConfig(specials));
        ObjectNode generation = JSON.createObjectNode();
        generation.put("bos_token_id", bos);
        generation.putArray("eos_token_id").add(eos[0]).add(eos[1]);
        write(dir.resolve(Checkpoint.GENERATION_CONFIG), generation);
        SafetensorsWriter weights = weights(shape, vocabSize, new SplittableRandom(seed));
        if (shards == 1) {
            weights.write(dir.resolve(TensorSource.SINGLE_FILE));
        } else {
            writeShards(dir, weights, shards);
        }
    }

    /** The weights split into {@code shards} consecutive runs of tensors of about equal size, and the index. */
    private static void writeShards(Path dir, SafetensorsWriter weights, int shards) throws IOException {
        List<SafetensorsWriter> parts = weights.split(shards);
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", weights.dataBytes());
        ObjectNode map = index.putObject("weight_map");
        for (int i = 0; i < parts.size(); i++) {
            String file = String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", i + 1, parts.size());
            parts.get(i).write(dir.resolve(file));
            for (String name : parts.get(i).names()) {
                map.put(name, file);
            }
        }
        write(dir.resolve(TensorSource.INDEX_FILE), index);
    }

    private static ObjectNode config(Shape s, int vocabSize, int bos, int[] eos) {
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add(s.qkvBias() ? "Qwen2ForCausalLM" : "LlamaForCausalLM");
        c.put("model_type", s.qkvBias() ? "qwen2" : "llama");
        c.put("hidden_size", s.hidden());
        c.put("intermediate_size", s.intermediate());
        c.put("num_hidden_layers", s.layers());
        c.put("num_attention_heads", s.heads());
        c.put("num_key_value_heads", s.kvHeads());
        c.put("head_dim", s.headDim());
        c.put("hidden_act", "silu");
        c.put("max_position_embeddings", MAX_POSITIONS);
        c.put("rms_norm_eps", 1e-5);
        c.put("rope_theta", 10000.0);
        c.putNull("rope_scaling");
        c.put("vocab_size", vocabSize);
        c.put("bos_token_id", bos);
        c.putArray("eos_token_id").add(eos[0]).add(eos[1]);
        c.put("tie_word_embeddings", s.tied());
        if (s.qkvBias()) {
            c.put("use_sliding_window", false);
        } else {
            c.put("attention_bias", false);
            c.put("mlp_bias", false);
        }
        c.put("torch_dtype", "float32");
        return c;
    }

    private static ObjectNode tokenizer(Map<String, Integer> vocab, List<String[]> merges,
                                        Map<String, Integer> specials) {
        ObjectNode t = JSON.createObjectNode();
        t.put("version", "1.0");
        t.putNull("truncation");
        t.putNull("padding");
        ArrayNode added = t.putArray("added_tokens");
        specials.forEach((content, id) -> added.addObject().put("id", id).put("content", content)
                .put("single_word", false).put("lstrip", false).put("rstrip", false)
                .put("normalized", false).put("special", true));
        t.putNull("normalizer");
        t.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", true).put("use_regex", true);
        t.putNull("post_processor");
        t.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true)
                .put("trim_offsets", true).put("use_regex", true);
        ObjectNode model = t.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        ObjectNode v = model.putObject("vocab");
        vocab.forEach(v::put);
        ArrayNode m = model.putArray("merges");
        merges.forEach(pair -> m.addArray().add(pair[0]).add(pair[1]));
        return t;
    }

    private static ObjectNode tokenizerConfig(Map<String, Integer> specials) {
        ObjectNode c = JSON.createObjectNode();
        ObjectNode decoder = c.putObject("added_tokens_decoder");
        specials.forEach((content, id) -> decoder.putObject(String.valueOf(id)).put("content", content)
                .put("lstrip", false).put("normalized", false).put("rstrip", false)
                .put("single_word", false).put("special", true));
        c.put("bos_token", ChatFormat.BEGIN_OF_TEXT);
        c.put("eos_token", ChatFormat.END_OF_TURN);
        c.put("chat_template", ChatFormat.jinjaTemplate());
        c.put("clean_up_tokenization_spaces", false);
        c.put("model_max_length", MAX_POSITIONS);
        c.put("tokenizer_class", "PreTrainedTokenizerFast");
        return c;
    }

    private static SafetensorsWriter weights(Shape s, int vocabSize, SplittableRandom random) {
        int h = s.hidden();
        int inter = s.intermediate();
        int kvDim = s.kvHeads() * s.headDim();
        SafetensorsWriter w = new SafetensorsWriter();
        w.add("model.embed_tokens.weight", DType.F32, gaussian(random, vocabSize * h, 0, 0.4), vocabSize, h);
        for (int i = 0; i < s.layers(); i++) {
            String p = "model.layers." + i + ".";
            w.add(p + "self_attn.q_proj.weight", DType.F32, gaussian(random, h * h, 0, 0.1), h, h);
            w.add(p + "self_attn.k_proj.weight", DType.F32, gaussian(random, kvDim * h, 0, 0.1), kvDim, h);
            w.add(p + "self_attn.v_proj.weight", DType.F32, gaussian(random, kvDim * h, 0, 0.1), kvDim, h);
            w.add(p + "self_attn.o_proj.weight", DType.F32, gaussian(random, h * h, 0, 0.1), h, h);
            w.add(p + "mlp.gate_proj.weight", DType.F32, gaussian(random, inter * h, 0, 0.1), inter, h);
            w.add(p + "mlp.up_proj.weight", DType.F32, gaussian(random, inter * h, 0, 0.1), inter, h);
            w.add(p + "mlp.down_proj.weight", DType.F32, gaussian(random, h * inter, 0, 0.08), h, inter);
            // Norm weights near, not at, 1 so that a test would notice a norm applied without its weight.
            w.add(p + "input_layernorm.weight", DType.F32, gaussian(random, h, 1, 0.05), h);
            w.add(p + "post_attention_layernorm.weight", DType.F32, gaussian(random, h, 1, 0.05), h);
            if (s.qkvBias()) {
                w.add(p + "self_attn.q_proj.bias", DType.F32, gaussian(random, h, 0, 0.2), h);
                w.add(p + "self_attn.k_proj.bias", DType.F32, gaussian(random, kvDim, 0, 0.2), kvDim);
                w.add(p + "self_attn.v_proj.bias", DType.F32, gaussian(random, kvDim, 0, 0.2), kvDim);
            }
        }
        w.add("model.norm.weight", DType.F32, gaussian(random, h, 1, 0.05), h);
        if (!s.tied()) {
            w.add("lm_head.weight", DType.F32, gaussian(random, vocabSize * h, 0, 0.1), vocabSize, h);
        }
        return w;
    }

    static float[] gaussian(SplittableRandom random, int n, double mean, double std) {
        float[] out = new float[n];
        for (int i = 0; i < n; i += 2) {
            // Box–Muller; 1 - u keeps the logarithm's argument in (0, 1].
            double r = StrictMath.sqrt(-2 * StrictMath.log(1 - random.nextDouble()));
            double theta = 2 * Math.PI * random.nextDouble();
            out[i] = (float) (mean + std * r * StrictMath.cos(theta));
            if (i + 1 < n) {
                out[i + 1] = (float) (mean + std * r * StrictMath.sin(theta));
            }
        }
        return out;
    }

    private static void write(Path file, ObjectNode json) throws IOException {
        Files.write(file, (PRETTY.writeValueAsString(json) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
