package yunjing.origin.engine.jni;

import yunjing.origin.ModelLoadException;
import yunjing.origin.model.CheckpointTensors;
import yunjing.origin.model.LlamaConfig;
import yunjing.origin.model.TensorLocation;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The checkpoint's tensors as the native library takes them: file list plus, per tensor, file index, byte
 * offset, dtype code and element count, in the order of {@code model.h} (embed; per layer input norm, q, k, v,
 * o, post-attention norm, gate, up, down [, q/k/v bias]; norm; lm_head). Names, shapes and the tied-lm_head
 * rule are those of {@code LlamaWeights.load}, so both engines read the same numbers.
 */
record NativeModel(String[] files, int[] tensorFiles, long[] offsets, int[] dtypes, long[] elements) {

    static NativeModel locate(Path directory, LlamaConfig c) throws ModelLoadException {
        List<TensorLocation> order = new ArrayList<>();
        long h = c.hiddenSize();
        long inter = c.intermediateSize();
        try (CheckpointTensors t = CheckpointTensors.open(directory)) {
            TensorLocation embed = t.locate("model.embed_tokens.weight", c.vocabSize(), h);
            order.add(embed);
            for (int i = 0; i < c.numLayers(); i++) {
                String p = "model.layers." + i + ".";
                order.add(t.locate(p + "input_layernorm.weight", h));
                order.add(t.locate(p + "self_attn.q_proj.weight", c.qDim(), h));
                order.add(t.locate(p + "self_attn.k_proj.weight", c.kvDim(), h));
                order.add(t.locate(p + "self_attn.v_proj.weight", c.kvDim(), h));
                order.add(t.locate(p + "self_attn.o_proj.weight", h, c.qDim()));
                order.add(t.locate(p + "post_attention_layernorm.weight", h));
                order.add(t.locate(p + "mlp.gate_proj.weight", inter, h));
                order.add(t.locate(p + "mlp.up_proj.weight", inter, h));
                order.add(t.locate(p + "mlp.down_proj.weight", h, inter));
                if (c.qkvBias()) {
                    order.add(t.locate(p + "self_attn.q_proj.bias", c.qDim()));
                    order.add(t.locate(p + "self_attn.k_proj.bias", c.kvDim()));
                    order.add(t.locate(p + "self_attn.v_proj.bias", c.kvDim()));
                }
            }
            order.add(t.locate("model.norm.weight", h));
            order.add(t.has("lm_head.weight") ? t.locate("lm_head.weight", c.vocabSize(), h)
                    : c.tieWordEmbeddings() ? embed
                    : t.locate("lm_head.weight", c.vocabSize(), h));
        }
        Map<Path, Integer> fileIndex = new LinkedHashMap<>();
        int n = order.size();
        int[] tensorFiles = new int[n];
        long[] offsets = new long[n];
        int[] dtypes = new int[n];
        long[] elements = new long[n];
        for (int i = 0; i < n; i++) {
            TensorLocation l = order.get(i);
            tensorFiles[i] = fileIndex.computeIfAbsent(l.file().toAbsolutePath(), f -> fileIndex.size());
            offsets[i] = l.offset();
            dtypes[i] = switch (l.dtype()) {
                case "F32" -> 0;
                case "F16" -> 1;
                case "BF16" -> 2;
                default -> throw new ModelLoadException(l.file() + ": dtype " + l.dtype()
                        + " (expected: F32, F16 or BF16)");
            };
            elements[i] = l.elements();
        }
        String[] files = fileIndex.keySet().stream().map(Path::toString).toArray(String[]::new);
        return new NativeModel(files, tensorFiles, offsets, dtypes, elements);
    }

    /** fp32 bytes one decode step reads: every tensor but the embedding table, of which it reads one row. */
    long bytesPerStep() {
        long sum = 0;
        for (int i = 1; i < elements.length; i++) {
            sum += elements[i] * Float.BYTES;
        }
        return sum;
    }
}
