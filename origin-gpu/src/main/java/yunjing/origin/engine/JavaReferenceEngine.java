package yunjing.origin.engine;

import yunjing.origin.model.LlamaConfig;
import yunjing.origin.model.LlamaWeights;

import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The Llama forward pass in plain Java fp32, written to be read and trusted rather than fast: it is the golden
 * reference a native worker is checked against. Per layer: RMSNorm → q/k/v projections → RoPE → grouped-query
 * causal attention over the key/value cache → o_proj → residual → RMSNorm → SwiGLU MLP → residual; then the
 * final norm and lm_head (transformers' {@code LlamaForCausalLM}).
 *
 * <p>Two paths compute the same function: {@link Sequence#next} appends one token using the cache (how
 * generation runs), and {@link #forwardAll} recomputes every position from scratch with an explicit causal mask
 * (no cache). Tests hold them equal, which pins down the cache bookkeeping and the positions fed to RoPE.
 *
 * <p>Thread-safe: weights are read-only; each sequence owns its cache and scratch buffers.
 */
public final class JavaReferenceEngine implements InferenceEngine {

    private final LlamaConfig c;
    private final LlamaWeights w;
    private final Rope rope;
    private final float attentionScale;

    public JavaReferenceEngine(LlamaConfig config, LlamaWeights weights) {
        this.c = config;
        this.w = weights;
        this.rope = new Rope(config);
        this.attentionScale = (float) (1.0 / Math.sqrt(config.headDim()));
    }

    @Override
    public int contextLength() {
        return c.maxPositionEmbeddings();
    }

    @Override
    public int vocabSize() {
        return c.vocabSize();
    }

    @Override
    public Sequence newSequence(int capacity) {
        if (capacity < 1 || capacity > contextLength()) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: 1.." + contextLength() + ")");
        }
        return new CachedSequence(capacity);
    }

    /**
     * Advances the batch's sequences in parallel on the common fork-join pool: each reads the shared weights and
     * writes only its own cache, so the result is exactly that of advancing them one by one.
     */
    @Override
    public float[][] step(List<? extends Sequence> sequences, int[] tokens) {
        if (sequences.size() != tokens.length) {
            throw new IllegalArgumentException(
                    "step: " + sequences.size() + " sequences but " + tokens.length + " tokens");
        }
        float[][] logits = new float[tokens.length][];
        if (tokens.length == 1) {
            logits[0] = sequences.get(0).next(tokens[0]); // nothing to spread: stay on the scheduler thread
            return logits;
        }
        IntStream.range(0, tokens.length).parallel().forEach(i -> logits[i] = sequences.get(i).next(tokens[i]));
        return logits;
    }

    @Override
    public boolean supportsFork() {
        return true;
    }

    @Override
    public Sequence fork(Sequence source, int length, int capacity) {
        if (!(source instanceof CachedSequence from) || from.engine() != this) {
            throw new IllegalArgumentException("fork: the source sequence belongs to another engine");
        }
        if (length < 0 || length > from.length()) {
            throw new IllegalArgumentException("fork: length " + length + " (expected: 0.." + from.length() + ")");
        }
        if (capacity < Math.max(1, length)) {
            throw new IllegalArgumentException("fork: capacity " + capacity + " (expected: >= " + length + ")");
        }
        CachedSequence copy = (CachedSequence) newSequence(capacity);
        int n = length * c.kvDim();
        for (int l = 0; l < c.numLayers(); l++) {
            System.arraycopy(from.cache.keys[l], 0, copy.cache.keys[l], 0, n);
            System.arraycopy(from.cache.values[l], 0, copy.cache.values[l], 0, n);
        }
        copy.cache.length = length;
        return copy;
    }

    /** Scratch buffers for one token's pass; one set per sequence. */
    private final class CachedSequence implements Sequence {
        private final KvCache cache;
        private final float[] x = new float[c.hiddenSize()];
        private final float[] xn = new float[c.hiddenSize()];
        private final float[] q = new float[c.qDim()];
        private final float[] k = new float[c.kvDim()];
        private final float[] v = new float[c.kvDim()];
        private final float[] attn = new float[c.qDim()];
        private final float[] proj = new float[c.hiddenSize()];
        private final float[] gate = new float[c.intermediateSize()];
        private final float[] up = new float[c.intermediateSize()];
        private final float[] scores;
        private final float[] cos = new float[c.headDim() / 2];
        private final float[] sin = new float[c.headDim() / 2];

        CachedSequence(int capacity) {
            cache = new KvCache(c.numLayers(), capacity, c.kvDim());
            scores = new float[capacity];
        }

        @Override
        public float[] prefill(int[] tokens) {
            if (tokens.length == 0) {
                throw new IllegalArgumentException("prefill needs at least one token");
            }
            float[] logits = null;
            for (int t : tokens) {
                logits = next(t);
            }
            return logits;
        }

        @Override
        public float[] next(int token) {
            if (cache.length == cache.capacity) {
                throw new IllegalStateException("sequence is full: " + cache.capacity + " tokens");
            }
            checkToken(token);
            int pos = cache.length;
            System.arraycopy(w.embedTokens(), token * c.hiddenSize(), x, 0, c.hiddenSize());
            rope.angles(pos, cos, sin);
            for (int l = 0; l < c.numLayers(); l++) {
                LlamaWeights.Layer layer = w.layers().get(l);
                Kernels.rmsNorm(x, 0, layer.inputNorm(), c.rmsNormEps(), xn, 0, c.hiddenSize());
                Kernels.matVec(layer.wq(), xn, 0, c.hiddenSize(), q, 0, c.qDim());
                Kernels.matVec(layer.wk(), xn, 0, c.hiddenSize(), k, 0, c.kvDim());
                Kernels.matVec(layer.wv(), xn, 0, c.hiddenSize(), v, 0, c.kvDim());
                addBiases(layer, q, 0, k, 0, v, 0);
                for (int h = 0; h < c.numHeads(); h++) {
                    Kernels.rope(q, h * c.headDim(), c.headDim(), cos, sin);
                }
                for (int h = 0; h < c.numKvHeads(); h++) {
                    Kernels.rope(k, h * c.headDim(), c.headDim(), cos, sin);
                }
                System.arraycopy(k, 0, cache.keys[l], cache.offset(pos), c.kvDim());
                System.arraycopy(v, 0, cache.values[l], cache.offset(pos), c.kvDim());
                attend(q, 0, cache.keys[l], cache.values[l], pos + 1, scores, attn, 0);
                Kernels.matVec(layer.wo(), attn, 0, c.qDim(), proj, 0, c.hiddenSize());
                Kernels.addInPlace(x, 0, proj, 0, c.hiddenSize());
                mlp(layer, x, 0, xn, gate, up, proj);
                Kernels.addInPlace(x, 0, proj, 0, c.hiddenSize());
            }
            cache.length++;
            return logits(x, 0, xn);
        }

        @Override
        public int length() {
            return cache.length;
        }

        JavaReferenceEngine engine() {
            return JavaReferenceEngine.this;
        }
    }

    /**
     * Logits at every position of {@code tokens}, recomputed without a cache: each layer is applied to all
     * positions, and position {@code t} attends to keys {@code 0..t} (the causal mask). O(n²) per call; for
     * tests and as the reference, not for serving.
     */
    float[][] forwardAll(int[] tokens) {
        int n = tokens.length;
        int hd = c.hiddenSize();
        float[] x = new float[n * hd];
        for (int t = 0; t < n; t++) {
            checkToken(tokens[t]);
            System.arraycopy(w.embedTokens(), tokens[t] * hd, x, t * hd, hd);
        }
        float[] xn = new float[hd];
        float[] qAll = new float[n * c.qDim()];
        float[] kAll = new float[n * c.kvDim()];
        float[] vAll = new float[n * c.kvDim()];
        float[] attn = new float[c.qDim()];
        float[] proj = new float[hd];
        float[] gate = new float[c.intermediateSize()];
        float[] up = new float[c.intermediateSize()];
        float[] scores = new float[n];
        float[] cos = new float[c.headDim() / 2];
        float[] sin = new float[c.headDim() / 2];
        for (LlamaWeights.Layer layer : w.layers()) {
            for (int t = 0; t < n; t++) {
                Kernels.rmsNorm(x, t * hd, layer.inputNorm(), c.rmsNormEps(), xn, 0, hd);
                Kernels.matVec(layer.wq(), xn, 0, hd, qAll, t * c.qDim(), c.qDim());
                Kernels.matVec(layer.wk(), xn, 0, hd, kAll, t * c.kvDim(), c.kvDim());
                Kernels.matVec(layer.wv(), xn, 0, hd, vAll, t * c.kvDim(), c.kvDim());
                addBiases(layer, qAll, t * c.qDim(), kAll, t * c.kvDim(), vAll, t * c.kvDim());
                rope.angles(t, cos, sin);
                for (int h = 0; h < c.numHeads(); h++) {
                    Kernels.rope(qAll, t * c.qDim() + h * c.headDim(), c.headDim(), cos, sin);
                }
                for (int h = 0; h < c.numKvHeads(); h++) {
                    Kernels.rope(kAll, t * c.kvDim() + h * c.headDim(), c.headDim(), cos, sin);
                }
            }
            // All keys and values of this layer exist before any position attends: the mask, not the
            // order of computation, is what keeps position t from seeing t+1.
            float[] xNext = x.clone();
            for (int t = 0; t < n; t++) {
                attend(qAll, t * c.qDim(), kAll, vAll, t + 1, scores, attn, 0);
                Kernels.matVec(layer.wo(), attn, 0, c.qDim(), proj, 0, hd);
                Kernels.addInPlace(xNext, t * hd, proj, 0, hd);
                mlp(layer, xNext, t * hd, xn, gate, up, proj);
                Kernels.addInPlace(xNext, t * hd, proj, 0, hd);
            }
            x = xNext;
        }
        float[][] logits = new float[n][];
        for (int t = 0; t < n; t++) {
            logits[t] = logits(x, t * hd, xn);
        }
        return logits;
    }

    /**
     * Grouped-query attention for one query position over keys/values {@code [0, visible)}: query head h reads
     * key/value head {@code h / (numHeads / numKvHeads)} (transformers' {@code repeat_kv}), scores scaled by
     * 1/√d, softmax, weighted sum of values into {@code out}.
     */
    private void attend(float[] q, int qOff, float[] keys, float[] values, int visible, float[] scores,
                        float[] out, int outOff) {
        int d = c.headDim();
        int group = c.numHeads() / c.numKvHeads();
        for (int h = 0; h < c.numHeads(); h++) {
            int kvOff = (h / group) * d;
            int qh = qOff + h * d;
            for (int t = 0; t < visible; t++) {
                int kt = t * c.kvDim() + kvOff;
                double dot = 0;
                for (int i = 0; i < d; i++) {
                    dot += (double) q[qh + i] * keys[kt + i];
                }
                scores[t] = (float) dot * attentionScale;
            }
            Kernels.softmax(scores, visible);
            int oh = outOff + h * d;
            Arrays.fill(out, oh, oh + d, 0f);
            for (int i = 0; i < d; i++) {
                double sum = 0;
                for (int t = 0; t < visible; t++) {
                    sum += (double) scores[t] * values[t * c.kvDim() + kvOff + i];
                }
                out[oh + i] = (float) sum;
            }
        }
    }

    /** Qwen2's q/k/v biases, added after the projection and before RoPE; nothing for Llama. */
    private static void addBiases(LlamaWeights.Layer layer, float[] q, int qOff, float[] k, int kOff, float[] v,
                                  int vOff) {
        if (layer.bq() != null) {
            Kernels.addInPlace(q, qOff, layer.bq(), 0, layer.bq().length);
            Kernels.addInPlace(k, kOff, layer.bk(), 0, layer.bk().length);
            Kernels.addInPlace(v, vOff, layer.bv(), 0, layer.bv().length);
        }
    }

    /** {@code out = down(silu(gate(norm(x))) · up(norm(x)))} for the hidden state at {@code x[off…]}. */
    private void mlp(LlamaWeights.Layer layer, float[] x, int off, float[] xn, float[] gate, float[] up,
                     float[] out) {
        Kernels.rmsNorm(x, off, layer.postAttentionNorm(), c.rmsNormEps(), xn, 0, c.hiddenSize());
        Kernels.matVec(layer.wGate(), xn, 0, c.hiddenSize(), gate, 0, c.intermediateSize());
        Kernels.matVec(layer.wUp(), xn, 0, c.hiddenSize(), up, 0, c.intermediateSize());
        Kernels.swiglu(gate, up, gate, c.intermediateSize());
        Kernels.matVec(layer.wDown(), gate, 0, c.intermediateSize(), out, 0, c.hiddenSize());
    }

    private float[] logits(float[] x, int off, float[] xn) {
        Kernels.rmsNorm(x, off, w.norm(), c.rmsNormEps(), xn, 0, c.hiddenSize());
        float[] logits = new float[c.vocabSize()];
        Kernels.matVec(w.lmHead(), xn, 0, c.hiddenSize(), logits, 0, c.vocabSize());
        return logits;
    }

    private void checkToken(int token) {
        if (token < 0 || token >= c.vocabSize()) {
            throw new IllegalArgumentException("token: " + token + " (expected: 0.." + (c.vocabSize() - 1) + ")");
        }
    }
}
