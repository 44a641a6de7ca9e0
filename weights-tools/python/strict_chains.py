#!/usr/bin/python3
"""The expected accepted streak of a block drafter under each of the engine's sampling rules, measured exactly: on the
held-out samples whose continuation was sampled (at T = 0.8), a block is drafted every third position of the continuation
(as eval_block_drafter.py), the γ draft tokens are chosen as the engine would choose them, and the target is run over the
text and those drafts, so row j is judged by p_T(d_j | text, d_1..d_j−1), the row real decoding sees after accepting
d_1..d_j−1. Reported per j: P(the first j drafts are all accepted), its sum (expected accepted drafts per round), α and
tokens per round at γ.

Drafting and acceptance rules (docs/ALGORITHM.md, section 4):
- strict/argmax: each row's most likely token, accepted with p_T(d) (the engine under STRICT);
- strict/draw: each row drawn from q_T = softmax(draft logits / T), accepted with p_T(d) (the engine under STRICT before
  it drafted the most likely token);
- marginal/draw: drawn from q_T, accepted with min(1, p_T(d) / q_T(d)) (the engine under MARGINAL);
- marginal/draw-T1: drawn from softmax(draft logits) (temperature 1 on the drafter's side only), accepted with
  min(1, p_T(d) / q(d)) (what a drafter trained on raw logits would give).
Draws are one Monte Carlo sample per block (seeded), so the drawn rows carry sampling noise of about ±0.01.

    /usr/bin/python3 weights-tools/python/strict_chains.py --target models/demo/target \\
        --drafter models/demo/block-drafter --heldout data/distill/heldout-target-samples.ids.npy
"""
import argparse
import json
import os

import torch

import models
import safetensors_io
import sample_target
import train_block_drafter


def load_drafter(folder):
    with open(os.path.join(folder, "config.json")) as f:
        c = json.load(f)
    model = models.BlockDrafter(c["target_hidden_size"], c["target_layers"], c["target_vocab_size"], c["target_positions"],
                                c["n_layer"], c["n_head"], c["n_inner"], c["block_size"], c.get("draft_vocab"))
    model.load_state_dict({k: v.float() for k, v in safetensors_io.load(os.path.join(folder, "model.safetensors")).items()})
    model.eval()
    return model, c


def target_probabilities(target, text, full_logits, full_past, p, drafts, temperature):
    """p_T(d_j | text[..p], d_1..d_j−1) for j = 1..γ: the row for d_1 is the full pass's row p, the others come from one
    pass over d_1..d_γ−1 on the text's cache cut after position p."""
    gamma = len(drafts)
    past = [(k[:, :, :p + 1], v[:, :, :p + 1]) for k, v in full_past]
    logits, _ = target(drafts[None, :gamma - 1], past)
    rows = torch.cat([full_logits[0, p:p + 1], logits[0]])
    return torch.softmax(rows / temperature, -1).gather(1, drafts[:, None])[:, 0]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--target", required=True)
    p.add_argument("--drafter", required=True)
    p.add_argument("--heldout", required=True)
    p.add_argument("--prompt", type=int, default=48, help="prompt tokens at the start of each sample")
    p.add_argument("--length", type=int, default=200)
    p.add_argument("--gamma", type=int, default=4)
    p.add_argument("--temperature", type=float, default=0.8)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    t, g = args.temperature, args.gamma
    target, eos = sample_target.load_target(args.target)
    model, c = load_drafter(args.drafter)
    seqs = train_block_drafter.sequences(args.heldout, eos, args.length)
    feats, greedy, ids = train_block_drafter.target_view(target, seqs, c["target_layers"])
    sampled = (ids[:, args.prompt + 1:] == greedy[:, args.prompt:-1]).float().mean(1) <= 0.95
    pos = torch.arange(args.prompt, args.length - g, 3)
    wte = target.transformer.wte.weight
    chains = {}
    with torch.no_grad():
        for s in torch.nonzero(sampled).flatten().tolist():
            # the engine drafts a full block (block size − 1 masks) and uses its first γ rows
            logits = model(feats[s:s + 1].float(), pos[None], ids[s:s + 1, pos], wte, c["block_size"] - 1)[0, :, :g]
            full_logits, full_past = target(ids[s:s + 1])
            q_t = torch.softmax(logits / t, -1)
            q_1 = torch.softmax(logits, -1)
            draw_t = torch.multinomial(q_t.reshape(-1, q_t.shape[-1]), 1).reshape(q_t.shape[:2])
            draw_1 = torch.multinomial(q_1.reshape(-1, q_1.shape[-1]), 1).reshape(q_1.shape[:2])
            for name, index, q in (("argmax", logits.argmax(-1), None), ("draw", draw_t, q_t), ("draw-T1", draw_1, q_1)):
                drafts = model.draft_ids[index]
                p_d = torch.stack([target_probabilities(target, ids[s], full_logits, full_past, a, drafts[i], t)
                                   for i, a in enumerate(pos.tolist())])                                # (A, γ)
                if name != "draw-T1":
                    chains.setdefault("strict/" + name, []).append(torch.cumprod(p_d, -1))
                if q is not None:
                    q_d = q.gather(2, index[..., None])[..., 0]
                    chains.setdefault("marginal/" + name, []).append(torch.cumprod((p_d / q_d).clamp(max=1.0), -1))
            print(f"sample {s}: done", flush=True)
    print(f"{int(sampled.sum())} held-out samples at T = 0.8, {len(pos)} blocks each; target T = {t}, γ = {g}, "
          f"drafter {args.drafter}")
    for name, rows in chains.items():
        chain = torch.cat(rows).mean(0)
        accepted = chain.sum().item()
        print(f"{name:18s} P(first j accepted), j = 1..{g}: {' '.join(f'{x:.3f}' for x in chain.tolist())}; "
              f"expected accepted {accepted:.3f}, α {accepted / g:.3f}, tokens per round {accepted + 1:.3f}")


if __name__ == "__main__":
    main()
