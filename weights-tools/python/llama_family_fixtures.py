#!/usr/bin/python3
"""Writes reference fixtures of the Llama-layout families with RoPE scalings (YaRN as Qwen 2.5 / Qwen 3 long-context configs
set it, Llama 3's) and of phi3 (fused qkv_proj and gate_up_proj) from the PyTorch reference in llama_family.py: config.json + model.safetensors (random weights in the HF
layout) and expected.json / expected.safetensors (the prompt and its F32 logits, one row per position). The prompt is longer
than the scaling's original context, so every frequency region of the scaling is exercised.

    /usr/bin/python3 weights-tools/python/llama_family_fixtures.py engine/src/test/resources/fixtures
"""
import os
import sys

import torch

import fixtures
import llama_family


def config(family, rope_scaling, theta, tied, vocab=61):
    c = {
        "architectures": [{"llama": "LlamaForCausalLM", "qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM",
                           "phi3": "Phi3ForCausalLM"}[family]],
        "model_type": family, "vocab_size": vocab, "hidden_size": 128, "intermediate_size": 96, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2, "hidden_act": "silu", "max_position_embeddings": 256,
        "rms_norm_eps": 1e-6, "rope_theta": theta, "tie_word_embeddings": tied, "torch_dtype": "float32",
    }
    if family == "qwen3":
        c["head_dim"] = 48  # heads · head_dim ≠ hidden, as in the real Qwen 3
    if family == "phi3":
        c["sliding_window"] = 2047  # as Phi-3-mini-4k sets it: longer than any prompt here
    if rope_scaling:
        c["rope_scaling"] = rope_scaling
    return c


def fixture(out, name, c, seed, prompt_len=80):
    torch.manual_seed(seed)
    model = llama_family.CausalLM(c)
    fixtures.randomize(model, seed, 0.12)
    model.eval()
    g = torch.Generator().manual_seed(seed + 1)
    tokens = torch.randint(0, c["vocab_size"], (1, prompt_len), generator=g)
    with torch.no_grad():
        logits = model(tokens)
    fixtures.write(os.path.join(out, name), c, model.state_dict(), tokens[0].tolist(), logits[0])
    print(f"{name}: {c['model_type']} rope_scaling {c.get('rope_scaling')}, attention factor {model.attention_factor:.4f}")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: llama_family_fixtures.py OUT_FOLDER")
    out = sys.argv[1]
    fixture(out, "qwen2-yarn", config("qwen2", {"type": "yarn", "factor": 4.0, "original_max_position_embeddings": 64}, 10000.0, True), 191)
    fixture(out, "qwen3-yarn", config("qwen3", {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 64}, 10000.0, True), 192)
    fixture(out, "llama3-scaled", config("llama", {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                                   "original_max_position_embeddings": 64}, 10000.0, False), 193)
    # a byte-level BPE tokenizer (256 byte tokens and more) fits this vocabulary, so llama.cpp can read its GGUF conversion
    fixture(out, "phi3-tiny", config("phi3", None, 10000.0, False, vocab=300), 194)


if __name__ == "__main__":
    main()
