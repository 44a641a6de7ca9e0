#!/usr/bin/python3
"""Writes the reference fixtures the Java tests check the engine against.

Each fixture is a small random-weight checkpoint in the real HF layout (config.json + model.safetensors)
plus what the PyTorch reference (models.py) computes for it: expected.json (input tokens, a greedy
continuation) and expected.safetensors (F32 logits). Weights are drawn with a larger spread than a
fresh model's so that the logits are far from uniform and layer mistakes show.

    /usr/bin/python3 weights-tools/python/fixtures.py engine/src/test/resources/fixtures
"""
import json
import os
import sys

import torch

import models
import safetensors_io


def randomize(model, seed, std):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("inv_freq"):
                continue
            if "ln_" in name or "norm" in name:
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g) if name.endswith("weight") else 0.2 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(std * torch.randn(p.shape, generator=g))


def write(folder, config, state, tokens, logits, extra=None):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    safetensors_io.save({k: v.float().contiguous() for k, v in state.items()}, os.path.join(folder, "model.safetensors"))
    expected = {"tokens": tokens}
    expected.update(extra or {})
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump(expected, f)
        f.write("\n")
    safetensors_io.save({"logits": logits.float().contiguous()}, os.path.join(folder, "expected.safetensors"))


def gpt2_fixture(out, name, vocab, ctx, d, layers, heads, seed, prefix=True, prompt_len=11, greedy_steps=32):
    torch.manual_seed(seed)
    model = models.GPT2(vocab, ctx, d, layers, heads)
    randomize(model, seed, 0.15)
    model.eval()
    g = torch.Generator().manual_seed(seed + 1)
    tokens = torch.randint(0, vocab, (1, prompt_len), generator=g)
    with torch.no_grad():
        logits, _ = model(tokens)
        seq = tokens.clone()
        for _ in range(greedy_steps):
            nxt = model(seq)[0][0, -1].argmax()
            seq = torch.cat([seq, nxt.view(1, 1)], dim=1)
    state = model.state_dict()
    if not prefix:
        state = {k[len("transformer."):] if k.startswith("transformer.") else k: v for k, v in state.items()}
    # old HF checkpoints carry causal-mask buffers; the loader must ignore them
    state["transformer.h.0.attn.bias" if prefix else "h.0.attn.bias"] = torch.tril(torch.ones(ctx, ctx)).view(1, 1, ctx, ctx)[:, :, :8, :8]
    write(os.path.join(out, name), model.hf_config(eos_token_id=vocab - 1), state, tokens[0].tolist(), logits[0],
          {"greedy": seq[0, prompt_len:].tolist()})
    print(f"{name}: GPT-2 {layers}x{d}, vocab {vocab}")


def mdlm_fixture(out, name, vocab_with_mask, d, blocks, heads, cond, length, seed, keep_inv_freq=True):
    torch.manual_seed(seed)
    model = models.MDLM(vocab_with_mask, d, blocks, heads, cond_dim=cond, model_length=64)
    randomize(model, seed, 0.12)
    model.eval()
    mask = vocab_with_mask - 1
    g = torch.Generator().manual_seed(seed + 1)
    ids = torch.randint(0, vocab_with_mask - 1, (1, length), generator=g)
    masked = torch.rand((1, length), generator=g) < 0.4
    masked[0, -4:] = True
    ids[masked] = mask
    with torch.no_grad():
        logits = model(ids)
    state = model.state_dict()
    if not keep_inv_freq:
        state = {k: v for k, v in state.items() if not k.endswith("inv_freq")}
    write(os.path.join(out, name), model.hf_config(), state, ids[0].tolist(), logits[0],
          {"mask_id": mask})
    print(f"{name}: MDLM {blocks}x{d}, vocab {vocab_with_mask}")


def load_gpt2(folder):
    with open(os.path.join(folder, "config.json")) as f:
        c = json.load(f)
    model = models.GPT2(c["vocab_size"], c["n_positions"], c["n_embd"], c["n_layer"], c["n_head"], c["layer_norm_epsilon"])
    state = {k: v for k, v in safetensors_io.load(os.path.join(folder, "model.safetensors")).items() if not k.endswith(".attn.bias")}
    if not any(k.startswith("transformer.") for k in state):
        state = {"transformer." + k: v for k, v in state.items()}
    model.load_state_dict(state)
    model.eval()
    return model


def block_drafter_fixture(out, name, target, layers, n_layers, heads, ffn, block_size, draft_vocab, seed, length=13, gamma=4):
    """A random draft head for one of the GPT-2 fixtures above (read back from its folder), the target's features of a
    random sequence and the draft logits of two blocks: one after the whole sequence, one after its first 4 tokens."""
    gpt2 = load_gpt2(os.path.join(out, target))
    c = gpt2.config
    torch.manual_seed(seed)
    model = models.BlockDrafter(c["n_embd"], layers, c["vocab_size"], c["n_positions"], n_layers, heads, ffn, block_size,
                                draft_vocab)
    randomize(model, seed, 0.12)
    model.eval()
    g = torch.Generator().manual_seed(seed + 1)
    tokens = torch.randint(0, c["vocab_size"], (1, length), generator=g)
    anchors = [length - 1, 3]
    with torch.no_grad():
        features, _ = gpt2.block_states(tokens, layers)
        logits = model(features, torch.tensor([anchors]), tokens[:, anchors], gpt2.transformer.wte.weight, gamma)
    folder = os.path.join(out, name)
    write(folder, model.hf_config(), model.state_dict(), tokens[0].tolist(), logits[0],
          {"target": target, "anchors": anchors, "gamma": gamma})
    safetensors_io.save({"logits": logits[0].contiguous(), "features": features[0].contiguous()},
                        os.path.join(folder, "expected.safetensors"))
    print(f"{name}: block drafter {n_layers} layers over {target} blocks {layers}, draft vocabulary "
          f"{len(draft_vocab) if draft_vocab else c['vocab_size']}")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    torch.set_num_threads(1)
    gpt2_fixture(out, "gpt2-tiny", vocab=300, ctx=64, d=64, layers=2, heads=4, seed=1)
    gpt2_fixture(out, "gpt2-awkward", vocab=257, ctx=48, d=48, layers=3, heads=3, seed=2, prefix=False, prompt_len=7)
    gpt2_fixture(out, "gpt2-tiny-drafter", vocab=300, ctx=64, d=32, layers=1, heads=2, seed=5)
    mdlm_fixture(out, "mdlm-tiny", vocab_with_mask=301, d=64, blocks=2, heads=4, cond=32, length=20, seed=3)
    mdlm_fixture(out, "mdlm-awkward", vocab_with_mask=258, d=48, blocks=3, heads=3, cond=24, length=13, seed=4, keep_inv_freq=False)
    block_drafter_fixture(out, "block-drafter-tiny", "gpt2-tiny", layers=[0, 1], n_layers=2, heads=4, ffn=96, block_size=5,
                          draft_vocab=None, seed=6)
    block_drafter_fixture(out, "block-drafter-awkward", "gpt2-awkward", layers=[2, 0], n_layers=1, heads=3, ffn=72, block_size=7,
                          draft_vocab=[int(i) for i in torch.randperm(257, generator=torch.Generator().manual_seed(8))[:37]], seed=7,
                          length=9, gamma=5)


if __name__ == "__main__":
    main()
