#!/usr/bin/python3
"""α per position of a block drafter on the target's own greedy text, with no timing: on the held-out samples whose
continuation is the target's greedy one, a block is drafted at every third position of the continuation, and P(the first
j mask rows are all the target's next tokens) is reported per j, with the expected accepted tokens and α = accepted ÷ γ
of a linear greedy round for several γ. The same teacher-forced measure as the Java AlphaPerPosition; computed with the
PyTorch reference (models.BlockDrafter) on the F32 or F16 weights of an HF folder.

For sampling (--temperature, default 0.8): on the held-out samples whose continuation was sampled, blocks at the same
positions, the probability that row j is accepted given the text before it, with p_T the target's and q_T the drafter's
distribution at temperature T, under each of the engine's rules (docs/ALGORITHM.md, section 4): MARGINAL with a draft
drawn from q_T, Σ min(p_T, q_T); STRICT with a draft drawn from q_T, Σ q_T p_T; STRICT with the drafter's most likely
token, p_T(argmax q) (what the engine drafts under STRICT); each with its running product (rows taken as independent,
and the text before row j taken as accepted: an estimate, strict_chains.py measures the chain exactly), and the
target's probability mass inside the draft vocabulary (the most a MARGINAL drafter over it can be accepted with).

    /usr/bin/python3 weights-tools/python/eval_block_drafter.py --target models/demo/target \\
        --drafter models/demo/block-drafter --heldout data/distill/heldout-target-samples.ids.npy
"""
import argparse
import json
import os

import torch

import models
import soft_targets
import safetensors_io
import sample_target
import train_block_drafter


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--target", required=True)
    p.add_argument("--drafter", required=True)
    p.add_argument("--heldout", required=True)
    p.add_argument("--prompt", type=int, default=48, help="prompt tokens at the start of each sample")
    p.add_argument("--length", type=int, default=200)
    p.add_argument("--temperature", type=float, default=0.8, help="the sampling temperature (0: greedy text only)")
    args = p.parse_args()
    torch.set_num_threads(1)
    target, eos = sample_target.load_target(args.target)
    with open(os.path.join(args.drafter, "config.json")) as f:
        c = json.load(f)
    model = models.BlockDrafter(c["target_hidden_size"], c["target_layers"], c["target_vocab_size"], c["target_positions"],
                                c["n_layer"], c["n_head"], c["n_inner"], c["block_size"], c.get("draft_vocab"))
    model.load_state_dict({k: v.float() for k, v in safetensors_io.load(os.path.join(args.drafter, "model.safetensors")).items()})
    model.eval()
    seqs = train_block_drafter.sequences(args.heldout, eos, args.length)
    temperatures = [args.temperature] if args.temperature > 0 else []
    all_feats, all_greedy, all_ids, all_logits_v, all_lse = train_block_drafter.target_view(
        target, seqs, c["target_layers"], model.draft_ids, temperatures)
    greedy_text = (all_ids[:, args.prompt + 1:] == all_greedy[:, args.prompt:-1]).float().mean(1) > 0.95
    gamma = c["block_size"] - 1
    index = torch.full((c["target_vocab_size"],), -1, dtype=torch.long)
    index[model.draft_ids] = torch.arange(len(model.draft_ids))
    wte = target.transformer.wte.weight

    feats, greedy, ids = all_feats[greedy_text].float(), all_greedy[greedy_text], all_ids[greedy_text]
    pos = torch.arange(args.prompt, args.length - gamma, 3)[None].expand(len(ids), -1)
    rows = torch.arange(len(ids))[:, None]
    with torch.no_grad():
        logits = model(feats, pos, ids[rows, pos], wte, gamma)
    labels = index[greedy[rows[:, :, None], pos[:, :, None] + torch.arange(gamma)[None, None]]]
    chain = torch.cumprod((logits.argmax(-1) == labels).long(), -1).float().mean((0, 1))
    print(f"{len(ids)} greedy samples, {pos.numel()} blocks")
    print("P(first j accepted), j = 1..%d: %s" % (gamma, " ".join(f"{x:.3f}" for x in chain.tolist())))
    for g in range(1, gamma + 1):
        accepted = chain[:g].sum().item()
        print(f"γ = {g}: expected accepted {accepted:.3f}, α {accepted / g:.3f}, tokens per round {accepted + 1:.3f}")
    if not temperatures:
        return

    t = args.temperature
    sampled = ~greedy_text
    feats, ids = all_feats[sampled].float(), all_ids[sampled]
    logits_v, lse = all_logits_v[sampled], all_lse[sampled]
    pos = torch.arange(args.prompt, args.length - gamma, 3)[None].expand(len(ids), -1)
    rows = torch.arange(len(ids))[:, None]
    at = pos[:, :, None] + torch.arange(gamma)[None, None]
    with torch.no_grad():
        logits = model(feats, pos, ids[rows, pos], wte, gamma)
    sel = rows[:, :, None]
    cover = soft_targets.coverage(logits_v[sel, at], lse[sel, at, 0], t)
    print(f"{len(ids)} samples at temperature {t}, {pos.numel()} blocks; acceptance per row given the text before it")
    print(f"target mass inside the draft vocabulary ({len(model.draft_ids)} ids): {cover.mean().item():.3f}")
    for name, rule in (("MARGINAL, drawn draft, Σ min(p, q)", soft_targets.marginal_acceptance),
                       ("STRICT, drawn draft, Σ q·p", soft_targets.strict_acceptance_of_draw),
                       ("STRICT, most likely draft, p(argmax q)", soft_targets.strict_acceptance_of_guess)):
        accept = rule(logits, logits_v[sel, at], lse[sel, at, 0], t)
        streak = torch.cumprod(accept, -1).mean((0, 1))
        print(f"{name}: per row j = 1..{gamma}: {' '.join(f'{x:.3f}' for x in accept.mean((0, 1)).tolist())}; "
              f"P(first j accepted), rows independent: {' '.join(f'{x:.3f}' for x in streak.tolist())}")
        for g in (3, 4):
            accepted = streak[:g].sum().item()
            print(f"    γ = {g}: expected accepted {accepted:.3f}, α {accepted / g:.3f}, tokens per round {accepted + 1:.3f}")


if __name__ == "__main__":
    main()
