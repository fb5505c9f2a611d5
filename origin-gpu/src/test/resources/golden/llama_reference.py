"""Independent float64 Llama forward pass in NumPy, used to produce the golden logits in
yunjing.origin.engine.GoldenLogitsTest. It follows transformers' LlamaForCausalLM (rotate_half RoPE,
repeat_kv grouped-query attention, RMSNorm weight after normalising, SwiGLU MLP) and shares no code with
the Java engine.

    # write the model the test uses (seed 42) with TestModelGenerator.generate(dir, 42), then:
    python3 llama_reference.py DIR 302 382 301 394 258 449 259 261 296 280 101 46

Prints, for the last position, the argmax and the first 8 logits.
"""
import json
import struct
import sys

import numpy as np


def load(d):
    raw = open(d + "/model.safetensors", "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    weights = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        b, e = t["data_offsets"]
        weights[name] = np.frombuffer(raw[8 + n + b:8 + n + e], dtype=np.float32).reshape(t["shape"]).astype(np.float64)
    return json.load(open(d + "/config.json")), weights


def forward(cfg, W, toks):
    H, nh, nkv = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd, eps, theta = cfg["head_dim"], cfg["rms_norm_eps"], cfg["rope_theta"]
    T = len(toks)

    def rms(x, w):
        return w * (x / np.sqrt((x * x).mean(-1, keepdims=True) + eps))

    def rotate_half(x):
        h = x.shape[-1] // 2
        return np.concatenate([-x[..., h:], x[..., :h]], -1)

    inv = 1.0 / (theta ** (np.arange(0, hd, 2) / hd))
    ang = np.outer(np.arange(T), inv)
    emb = np.concatenate([ang, ang], -1)
    cos, sin = np.cos(emb), np.sin(emb)
    x = W["model.embed_tokens.weight"][toks]
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        xn = rms(x, W[p + "input_layernorm.weight"])
        q = (xn @ W[p + "self_attn.q_proj.weight"].T).reshape(T, nh, hd).transpose(1, 0, 2)
        k = (xn @ W[p + "self_attn.k_proj.weight"].T).reshape(T, nkv, hd).transpose(1, 0, 2)
        v = (xn @ W[p + "self_attn.v_proj.weight"].T).reshape(T, nkv, hd).transpose(1, 0, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k, v = np.repeat(k, nh // nkv, 0), np.repeat(v, nh // nkv, 0)
        s = q @ k.transpose(0, 2, 1) / np.sqrt(hd) + np.triu(np.full((T, T), -np.inf), 1)
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        x = x + (s @ v).transpose(1, 0, 2).reshape(T, nh * hd) @ W[p + "self_attn.o_proj.weight"].T
        xn = rms(x, W[p + "post_attention_layernorm.weight"])
        g, u = xn @ W[p + "mlp.gate_proj.weight"].T, xn @ W[p + "mlp.up_proj.weight"].T
        x = x + ((g / (1 + np.exp(-g))) * u) @ W[p + "mlp.down_proj.weight"].T
    return rms(x, W["model.norm.weight"]) @ W["lm_head.weight"].T


if __name__ == "__main__":
    cfg, W = load(sys.argv[1])
    logits = forward(cfg, W, [int(t) for t in sys.argv[2:]])
    print("argmax per position", logits.argmax(-1).tolist())
    print("last position, logits[0:8]", ", ".join(f"{v:.7f}" for v in logits[-1, :8]))
