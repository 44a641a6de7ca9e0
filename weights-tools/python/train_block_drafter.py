#!/usr/bin/python3
"""Trains a target-conditioned block drafter (models.BlockDrafter) for a frozen GPT-2 target.

The target is run once over every training sequence (target-generated text, plus corpus windows when asked) and its
hidden states at the chosen blocks and its greedy next token at every position are kept; the draft head then trains on
those alone. Each step draws blocks at random anchor positions p: the block is the token at p and γ masks, and mask row
j learns the target's greedy token at p+j given the text up to p+j−1. The loss is acceptance-aligned: row j counts
only where the text at p+1..p+j−1 is itself the target's greedy choice (so that rows after a rejection teach nothing),
and rows are weighted by exp(−(j−1)/τ), early rows first (a later row matters only if every earlier one was accepted).
Labels outside the draft vocabulary are skipped.

For sampling, a second loss (soft_targets.py) teaches every mask row the target's own distribution at the sampling
temperatures (--temperatures): the cross-entropy of softmax(draft logits / T) against softmax(target logits / T) on the
draft vocabulary, the target's mass outside it counting for nothing (no draft can earn it). It is weighted by
exp(−(j−1)/τ_soft) and counts on every row, whatever the text before it (any context is one the target may have
sampled); the data holds the target's sampled continuations as well as its greedy ones. The draft vocabulary is the
set of tokens with the most target probability at the lowest temperature (plus greedy counts) on part of the data.
--init continues from an earlier drafter's weights (the draft vocabulary may change: the head is the target's).

    /usr/bin/python3 weights-tools/python/train_block_drafter.py --target models/demo/target \\
        --data data/distill/target-samples.ids.npy --heldout data/distill/heldout-target-samples.ids.npy \\
        --out runs/block-drafter --minutes 25
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

import models
import sample_target
import soft_targets
import training


def sequences(path, eos, length):
    """The sequences of a token stream (split at the end-of-text id) of at least `length` tokens, cut to `length` (the
    pieces of a prompt that held a document boundary are shorter and left out)."""
    ids = np.load(path).astype(np.int64)
    cuts = np.flatnonzero(ids == eos)
    out, start = [], 0
    for c in list(cuts) + [len(ids)]:
        seq = ids[start:c]
        if len(seq) >= length:
            out.append(seq[:length])
        start = c + 1
    return out


def target_view(target, seqs, layers, draft_ids=None, temperatures=(), batch=16):
    """Features (n, T, L*C) as float16, greedy next tokens (n, T) and the sequences (n, T), all of one length; with
    draft_ids also the target's logits at those ids (n, T, N) as float16 and the full log-sum-exp of logits / T per
    temperature (n, T, K) (soft_targets.py)."""
    ids = torch.from_numpy(np.stack(seqs))
    feats, greedy, logits_v, lse = [], [], [], []
    started = time.time()
    with torch.no_grad():
        for i in range(0, len(ids), batch):
            f, logits = target.block_states(ids[i:i + batch], layers)
            feats.append(f.half())
            greedy.append(logits.argmax(-1))
            if draft_ids is not None:
                logits_v.append(logits[..., draft_ids].half())
                lse.append(torch.stack([soft_targets.full_lse(logits, t) for t in temperatures], dim=-1) if temperatures
                           else torch.zeros(logits.shape[:2] + (0,)))
            print(f"target features: {min(i + batch, len(ids))}/{len(ids)} sequences, {time.time() - started:.0f} s", flush=True)
    if draft_ids is None:
        return torch.cat(feats), torch.cat(greedy), ids
    return torch.cat(feats), torch.cat(greedy), ids, torch.cat(logits_v), torch.cat(lse)


def token_mass(target, seqs, temperature, vocab, batch=16):
    """Per token id: the target's summed probability at the temperature over every position of the sequences, and
    how often it is the greedy choice."""
    ids = torch.from_numpy(np.stack(seqs))
    mass = torch.zeros(vocab, dtype=torch.float64)
    counts = torch.zeros(vocab, dtype=torch.float64)
    with torch.no_grad():
        for i in range(0, len(ids), batch):
            logits, _ = target(ids[i:i + batch])
            mass += torch.softmax(logits / temperature, dim=-1).sum((0, 1)).double()
            counts += torch.bincount(logits.argmax(-1).flatten(), minlength=vocab).double()
    return mass, counts


def block_batch(feats, greedy, ids, rows, anchors, gamma, draft_index, g):
    """Anchors, their tokens, labels (rows, A, γ) in draft-vocabulary indices or −1, for the chosen sequences, and the
    positions (rows, A, γ) whose target distribution row j predicts."""
    t = ids.shape[1]
    pos = torch.randint(1, t - gamma, (len(rows), anchors), generator=g)
    j = torch.arange(1, gamma + 1)
    at = pos[:, :, None] + j[None, None] - 1                                    # the target's prediction for p+j
    sel = rows[:, None, None]
    labels = draft_index[greedy[sel, at]]
    # row j counts only where the text at p+1..p+j-1 is the target's greedy continuation
    agrees = (ids[sel, at] == greedy[sel, at - 1]).long()                       # is token p+j-1 greedy? (j ≥ 2)
    agrees[:, :, 0] = 1
    valid = torch.cumprod(agrees, dim=2).bool()
    labels = torch.where(valid, labels, torch.full_like(labels, -1))
    return feats[rows].float(), pos, ids[rows[:, None], pos], labels, at


def chained_accuracy(logits, labels):
    """P(rows 1..j all right) per j, over blocks whose row-1 label is in the draft vocabulary."""
    right = (logits.argmax(-1) == labels) & (labels >= 0)
    keep = labels[..., 0] >= 0
    chain = torch.cumprod(right.long(), dim=-1)[keep]
    return chain.float().mean(0)


def soft_loss(logits, logits_v, lse, rows, at, temperatures, weights):
    """The weighted mean over rows and temperatures of the soft cross-entropy (soft_targets.py)."""
    sel = rows[:, None, None]
    total = 0.0
    for k, t in enumerate(temperatures):
        ce = soft_targets.cross_entropy(logits, logits_v[sel, at], lse[sel, at, k], t)
        total = total + (ce * weights).sum() / (weights.sum() * ce.shape[0] * ce.shape[1])
    return total / len(temperatures)


def sampled_acceptance(logits, logits_v, lse, rows, at, k, temperature):
    """Per row j: the mean MARGINAL acceptance Σ min(p_T, q_T) at temperature k of the list, and the mean over blocks of
    its running product (the chance that rows 1..j are all accepted, rows taken as independent)."""
    sel = rows[:, None, None]
    a = soft_targets.marginal_acceptance(logits, logits_v[sel, at], lse[sel, at, k], temperature)
    return a.mean((0, 1)), torch.cumprod(a, dim=-1).mean((0, 1))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--target", required=True, help="the target's HF folder")
    p.add_argument("--data", nargs="+", required=True, help="token streams of target-generated text (.npy)")
    p.add_argument("--corpus", help="a corpus token array (.npy) to add random windows of (their labels are still the target's)")
    p.add_argument("--corpus-windows", type=int, default=0)
    p.add_argument("--heldout", required=True, help="a held-out token stream of target-generated text")
    p.add_argument("--heldout-sequences", type=int, default=0, help="evaluate on N evenly spaced held-out sequences only (0: all)")
    p.add_argument("--out", required=True)
    p.add_argument("--layers", default="1,4,7", help="target blocks whose hidden states are fused")
    p.add_argument("--draft-layers", type=int, default=1)
    p.add_argument("--ffn", type=int, default=384)
    p.add_argument("--gamma", type=int, default=5, help="masks per block; block size γ+1")
    p.add_argument("--draft-vocab", type=int, default=2048)
    p.add_argument("--length", type=int, default=200, help="tokens per training sequence (the samples hold 48 + 160)")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--anchors", type=int, default=16)
    p.add_argument("--tau", type=float, default=2.0)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--steps", type=int, default=1500, help="the schedule's length")
    p.add_argument("--minutes", type=float, default=25, help="stop (and write the model) after this long")
    p.add_argument("--eval-every", type=int, default=100)
    p.add_argument("--temperatures", default="0.8,1.0", help="the soft loss's sampling temperatures (empty: greedy labels only)")
    p.add_argument("--soft-weight", type=float, default=1.0, help="the soft loss's weight beside the greedy one")
    p.add_argument("--soft-tau", type=float, default=2.0, help="row j of the soft loss weighs exp(−(j−1)/τ_soft)")
    p.add_argument("--vocab-probe", type=int, default=256, help="sequences the draft vocabulary is chosen on")
    p.add_argument("--init", help="an earlier block drafter's HF folder to continue from")
    p.add_argument("--seed", type=int, default=18)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    training.setup(args.seed, args.threads)
    os.makedirs(args.out, exist_ok=True)
    layers = [int(x) for x in args.layers.split(",")]
    target, eos = sample_target.load_target(args.target)
    for q in target.parameters():
        q.requires_grad_(False)
    c = target.config
    train = [s for path in args.data for s in sequences(path, eos, args.length)]
    if args.corpus and args.corpus_windows:
        corpus = np.load(args.corpus).astype(np.int64)
        rng = np.random.default_rng(args.seed)
        starts = rng.integers(0, len(corpus) - args.length, size=args.corpus_windows)
        train += [corpus[s:s + args.length] for s in starts]
    held = sequences(args.heldout, eos, args.length)
    if args.heldout_sequences:
        held = held[::max(1, len(held) // args.heldout_sequences)][:args.heldout_sequences]
    temperatures = [float(x) for x in args.temperatures.split(",")] if args.temperatures else []
    # the draft vocabulary: the most target probability at the lowest temperature (greedy counts break ties), on a sample
    vg = torch.Generator().manual_seed(args.seed + 2)
    probe = [train[i] for i in torch.randperm(len(train), generator=vg)[:args.vocab_probe].tolist()]
    mass, counts = token_mass(target, probe, min(temperatures) if temperatures else 1.0, c["vocab_size"])
    score = mass / mass.sum() + counts / counts.sum()
    order = torch.argsort(score, descending=True, stable=True)
    for n in (512, 1024, 1536, 2048, 4096):
        print(f"draft vocabulary of {n}: covers {counts[order[:n]].sum().item() / counts.sum().item():.5f} of the greedy "
              f"tokens ({(counts > 0).sum().item()} distinct), {mass[order[:n]].sum().item() / mass.sum().item():.5f} of the "
              f"target's probability at T = {min(temperatures) if temperatures else 1.0}", flush=True)
    draft_vocab = sorted(order[:args.draft_vocab].tolist())
    draft_ids = torch.tensor(draft_vocab)
    draft_index = torch.full((c["vocab_size"],), -1, dtype=torch.long)
    draft_index[draft_ids] = torch.arange(len(draft_vocab))
    feats, greedy, ids, logits_v, lse = target_view(target, train, layers, draft_ids, temperatures)
    hfeats, hgreedy, hids, hlogits_v, hlse = target_view(target, held, layers, draft_ids, temperatures)
    model = models.BlockDrafter(c["n_embd"], layers, c["vocab_size"], c["n_positions"], args.draft_layers, c["n_head"],
                                args.ffn, args.gamma + 1, draft_vocab)
    if args.init:
        training.initialise(model, args.init)
    wte = target.transformer.wte.weight
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01, betas=(0.9, 0.95))
    weights = torch.exp(-torch.arange(args.gamma).float() / args.tau)
    soft_weights = torch.exp(-torch.arange(args.gamma).float() / args.soft_tau)
    g = torch.Generator().manual_seed(args.seed)
    hg = torch.Generator().manual_seed(args.seed + 1)
    hrows = torch.arange(len(hids))
    held_batch = block_batch(hfeats, hgreedy, hids, hrows, 8, args.gamma, draft_index, hg)
    # held-out sequences whose continuation is not the target's greedy one: its samples at temperature 0.8
    sampled = (hids[:, 49:] == hgreedy[:, 48:-1]).float().mean(1) <= 0.95
    log = open(os.path.join(args.out, "train_log.csv"), "w")
    log.write("step,loss,heldout_loss," + ",".join(f"chain{j + 1}" for j in range(args.gamma))
              + "".join(f",sampled_chain{j + 1}" for j in range(args.gamma)) + ",seconds\n")
    started = time.time()

    def evaluate(step, loss):
        model.eval()
        with torch.no_grad():
            f, pos, tok, labels, at = held_batch
            logits = model(f, pos, tok, wte, args.gamma)
            hl = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-1).item()
            chain = chained_accuracy(logits, labels)
            if temperatures:
                rows = hrows[sampled]
                _, schain = sampled_acceptance(logits[sampled], hlogits_v, hlse, rows, at[sampled], 0, temperatures[0])
            else:
                schain = torch.zeros(args.gamma)
        model.train()
        expected = chain[:4].sum().item()
        print(f"step {step}: train loss {loss:.3f}, held-out loss {hl:.3f}, P(first j accepted) "
              f"{' '.join(f'{x:.3f}' for x in chain.tolist())}, accepted per block of 4 {expected:.2f} "
              f"(α {expected / 4:.3f}); sampled text, MARGINAL at T = {temperatures[0] if temperatures else '-'}: "
              f"{' '.join(f'{x:.3f}' for x in schain.tolist())} (α {schain[:4].sum().item() / 4:.3f}), "
              f"{time.time() - started:.0f} s", flush=True)
        log.write(f"{step},{loss:.4f},{hl:.4f}," + ",".join(f"{x:.4f}" for x in chain.tolist())
                  + "".join(f",{x:.4f}" for x in schain.tolist()) + f",{time.time() - started:.0f}\n")
        log.flush()

    def write():
        training.write_hf_folder(os.path.join(args.out, "hf"), model.hf_config(), model.state_dict(), None)

    step, loss_avg = 0, float("nan")
    evaluate(0, loss_avg)
    while step < args.steps and time.time() - started < args.minutes * 60:
        lr = training.learning_rate(step, args.steps, args.lr, args.warmup)
        for group in optimizer.param_groups:
            group["lr"] = lr
        rows = torch.randint(0, len(ids), (args.batch,), generator=g)
        f, pos, tok, labels, at = block_batch(feats, greedy, ids, rows, args.anchors, args.gamma, draft_index, g)
        logits = model(f, pos, tok, wte, args.gamma)
        ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.clamp(min=0).reshape(-1), reduction="none")
        w = (weights[None, None] * (labels >= 0)).reshape(-1)
        loss = (ce * w).sum() / w.sum()
        if temperatures:
            loss = loss + args.soft_weight * soft_loss(logits, logits_v, lse, rows, at, temperatures, soft_weights)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        step += 1
        loss_avg = loss.item() if math.isnan(loss_avg) else 0.9 * loss_avg + 0.1 * loss.item()
        if step % args.eval_every == 0:
            evaluate(step, loss_avg)
            write()
    evaluate(step, loss_avg)
    write()
    print(f"wrote {args.out}/hf after {step} steps, {(time.time() - started) / 60:.1f} min")


if __name__ == "__main__":
    main()
