#!/usr/bin/python3
"""Fine-tunes an MDLM drafter with streak distillation (streak_loss.py; SpecDiff-2, arXiv 2511.00606): on the
target's own continuations (sample_target.py, greedy and sampled), in the block shape the engine drafts, with each
block position's loss weighted by the probability that the positions before it were accepted.

The engine's drafter (DiffusionDrafter) sees the last --window committed tokens followed by a block of gamma + 1 MASK
positions, and denoises the block in T steps (--draft-steps; the main job uses T = 1, one pass over an all-masked
block). Every training block is that: --window tokens of context, then gamma + 1 positions of the target's
continuation, gamma drawn from --gamma-min .. --gamma-max. With T > 1 a block is shown at a random step of the
sampler: each position still masked with the sampler's probability, the others holding the target's token (the
drafter's own earlier guesses in the engine: an approximation, exact when they were right).

Needs, next to each --data stream X.ids.npy, the target's distributions X.probs.npz (target_probs.py); --heldout is a
stream of the target's continuations of held-out prompts, with its .probs.npz, on which every evaluation reports the
greedy per-position acceptance at the main job's gamma and the expected accepted streak when sampling.

    /usr/bin/python3 train_streak.py --init models/demo/drafter --data data/distill/target-samples.ids.npy \
        --heldout data/distill/heldout-target-samples.ids.npy --tokenizer models/demo/tokenizer.json \
        --out runs/drafter-streak --steps 3000 --threads 1
"""
import argparse
import json
import os

import numpy as np
import torch

import models
import streak_loss
import target_probs
import training


def probs_path(ids_path):
    if not ids_path.endswith(".ids.npy"):
        raise SystemExit(f"{ids_path}: expected a sample_target.py stream named *.ids.npy")
    return ids_path[: -len(".ids.npy")] + ".probs.npz"


class DistilledBlocks:
    """Blocks of the target's continuations with the target's distributions over them (a seeded, resumable sampler)."""

    def __init__(self, paths, eos, seed):
        rows, ids, p1, pt, greedy = [], [], [], [], []
        self.prompt = None
        for path in paths:
            probs = np.load(probs_path(path))
            prompt, length = int(probs["prompt"]), probs["ids"].shape[1]
            if self.prompt not in (None, prompt):
                raise SystemExit(f"{path}: prompt length {prompt} differs from the other streams' {self.prompt}")
            self.prompt = prompt
            rows.append(target_probs.sequences(np.load(path).astype(np.int64), prompt, length, eos))
            ids.append(probs["ids"].astype(np.int64))
            p1.append(probs["p1"])
            pt.append(probs["pt"])
            greedy.append(probs["greedy"])
            if len(rows[-1]) != len(ids[-1]):
                raise SystemExit(f"{probs_path(path)} holds {len(ids[-1])} sequences, {path} {len(rows[-1])}: made from another stream")
        self.rows = np.concatenate(rows)  # (n, prompt + length) tokens
        self.ids = np.concatenate(ids)  # (n, length, K) the target's top tokens at each continuation position
        self.p1 = np.concatenate(p1)  # (n, length, K) their probabilities at temperature 1
        self.pt = np.concatenate(pt)  # (n, length, K) ... at the sampling temperature
        self.greedy = np.concatenate(greedy)  # (n,)
        self.temperature = float(probs["temperature"])
        self.length = self.ids.shape[1]
        self.rng = np.random.default_rng(seed)

    def state(self):
        return self.rng.bit_generator.state

    def restore(self, state):
        self.rng.bit_generator.state = state

    def sample(self, size, window, block):
        rows = self.rng.integers(0, len(self.rows), size=size)
        # the block lies in the continuation; its window may reach back into the prompt
        starts = self.rng.integers(max(0, window - self.prompt), self.length - block + 1, size=size)
        return self.blocks(rows, starts, window, block)

    def blocks(self, rows, starts, window, block):
        """(context+block tokens (B, window+block), tokens (B, G), top ids, p1, pt (B, G, K), greedy rows (B,))."""
        at = starts[:, None] + np.arange(block)
        x = self.rows[rows[:, None], self.prompt + starts[:, None] - window + np.arange(window + block)]
        r = rows[:, None]
        return (torch.from_numpy(x), torch.from_numpy(self.rows[r, self.prompt + at]),
                torch.from_numpy(self.ids[r, at]), torch.from_numpy(self.p1[r, at].astype(np.float32)),
                torch.from_numpy(self.pt[r, at].astype(np.float32)), torch.from_numpy(self.greedy[rows]))


def block_logits(model, x, window, mask_id):
    """(B, G, V) the drafter's logits for the block positions over the target vocabulary (MASK dropped, as in SUBS)."""
    b, length = x.shape
    select = torch.zeros(b, length, dtype=torch.bool)
    select[:, window:] = True
    return model(x, select=select).view(b, length - window, -1)[..., :mask_id]


def draft_state(x, window, steps, rng, mask_id):
    """Masks the block as the engine's sampler leaves it at a random one of its T steps; returns the drafted positions.
    Step i of T starts from t_i = 1 - i/T: a position is still masked with probability t_i (all of them at i = 0)."""
    b, block = x.shape[0], x.shape[1] - window
    t = 1 - rng.integers(0, steps, size=(b, 1)) / steps
    masked = rng.uniform(size=(b, block)) < t
    masked[np.arange(b), rng.integers(0, block, size=b)] = True  # at least one position to draft
    masked = torch.from_numpy(masked)
    x[:, window:][masked] = mask_id
    return masked


def evaluate(model, heldout, window, gamma, mask_id, every=4):
    """Greedy per-position acceptance (positions 1..gamma, each given the earlier ones were accepted) and the expected
    accepted streak at the sampling temperature, over blocks of gamma + 1 at every `every`-th held-out position."""
    model.eval()
    block = gamma + 1
    starts = np.arange(max(0, window - heldout.prompt), heldout.length - block + 1, every)
    rows = np.repeat(np.arange(len(heldout.rows)), len(starts))
    starts = np.tile(starts, len(heldout.rows))
    reached, hit = np.zeros(gamma), np.zeros(gamma)
    streak, sampled_blocks = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(rows), 256):
            x, tokens, ids, p1, pt, greedy = heldout.blocks(rows[i:i + 256], starts[i:i + 256], window, block)
            x[:, window:] = mask_id
            logits = block_logits(model, x, window, mask_id)[:, :gamma]
            accept = streak_loss.acceptance(logits, tokens[:, :gamma], ids[:, :gamma], pt[:, :gamma], greedy,
                                            heldout.temperature)
            alive = torch.cumprod(torch.cat([torch.ones(len(x), 1), accept[:, :-1]], 1), 1)[greedy]
            reached += alive.sum(0).numpy()
            hit += (alive * accept[greedy]).sum(0).numpy()
            streak += streak_loss.expected_streak(accept[~greedy]).sum().item()
            sampled_blocks += int((~greedy).sum())
    model.train()
    alpha = hit / np.maximum(reached, 1)
    greedy_tokens = 1 + np.cumprod(alpha).sum()
    sampled_tokens = 1 + streak / max(1, sampled_blocks)
    line = (f"  held-out, gamma {gamma}: greedy alpha per position {' '.join(f'{a:.3f}' for a in alpha)} "
            f"-> {greedy_tokens:.3f} tokens/round; sampled at T={heldout.temperature}: {sampled_tokens:.3f} tokens/round")
    return greedy_tokens, line


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    training.add_common_arguments(p, lr=3e-4, warmup=30, seed=1717, eval_every=250, log_every=25, batch=64)
    p.add_argument("--window", type=int, default=16, help="context tokens before the block (the engine's drafting window)")
    p.add_argument("--gamma-min", type=int, default=2)
    p.add_argument("--gamma-max", type=int, default=5)
    p.add_argument("--eval-gamma", type=int, default=3, help="gamma of the held-out evaluation (the main job's)")
    p.add_argument("--draft-steps", type=int, default=1, help="the engine's denoising steps T")
    p.add_argument("--hard-weight", type=float, default=0.5, help="weight of the target token's cross-entropy")
    args = p.parse_args()
    if args.init is None:
        raise SystemExit("streak distillation fine-tunes a drafter: give --init FOLDER (an HF MDLM folder)")

    training.setup(args.seed, args.threads)
    vocab, eos = training.vocabulary(args.tokenizer)
    mask_id = vocab
    with open(os.path.join(args.init, "config.json")) as f:
        config = json.load(f)
    model = models.MDLM(config["vocab_size"], config["hidden_dim"], config["n_blocks"], config["n_heads"],
                        cond_dim=config["cond_dim"], model_length=config["model_length"])
    if config["vocab_size"] != vocab + 1:
        raise SystemExit(f"{args.init}: vocabulary {config['vocab_size']} is not the tokenizer's {vocab} plus MASK")
    training.initialise(model, args.init)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.98), weight_decay=0.01)
    data = DistilledBlocks(args.data, eos, args.seed)
    heldout = DistilledBlocks([args.heldout], eos, 0)
    if args.window > data.prompt:
        raise SystemExit(f"--window {args.window} is longer than the streams' prompts ({data.prompt})")
    rng = np.random.default_rng(args.seed + 1)
    step, elapsed, extra, resumed = training.resume(args, model, optimizer, data)
    if resumed:
        rng.bit_generator.state = extra["rng"]
    print(f"streak distillation of {args.init}: {len(data.rows)} sequences ({int(data.greedy.sum())} greedy), "
          f"window {args.window}, gamma {args.gamma_min}..{args.gamma_max}, T={args.draft_steps}; {args.steps} steps of {args.batch}",
          flush=True)
    mean_block = (args.gamma_min + args.gamma_max) / 2 + 1
    log = training.Log(os.path.join(args.out, "train_log.csv"), args.steps, int(args.batch * (args.window + mean_block)), resumed)

    def batch_loss():
        block = int(rng.integers(args.gamma_min, args.gamma_max + 1)) + 1
        x, tokens, ids, p1, pt, greedy = data.sample(args.batch, args.window, block)
        drafted = draft_state(x, args.window, args.draft_steps, rng, mask_id)
        logits = block_logits(model, x, args.window, mask_id)
        return streak_loss.streak_loss(logits, tokens, ids, p1, pt, greedy, data.temperature, args.hard_weight, drafted)

    def held_out():
        return evaluate(model, heldout, args.window, args.eval_gamma, mask_id)

    if not resumed:
        print(held_out()[1].replace("held-out", "held-out before training"), flush=True)

    def write_hf(folder):
        training.write_hf_folder(folder, model.hf_config(), model.state_dict(), args.tokenizer)

    training.train(args, model, optimizer, data, log, batch_loss, held_out, write_hf, step, elapsed,
                   extra_state=lambda: {"rng": rng.bit_generator.state})


if __name__ == "__main__":
    main()
