#!/usr/bin/python3
"""Trains an MDLM (masked-diffusion, DiT backbone, time conditioning off) as a drafter and writes an HF
MDLM folder (config.json + model.safetensors + tokenizer.json) in the kuleshov-group/mdlm layout.

The objective is MDLM's: mask tokens independently with probability t ~ U(0, 1) and predict them with
the SUBS parameterisation (no probability on MASK, unmasked positions carry their token). Batches come
in the two shapes the drafter meets:
  * drafting (most batches): a clean prefix of P tokens followed by a block of g tokens, only the block
    masked, the sequence ending right after the block -- exactly what DiffusionDrafter feeds it;
  * plain MDLM (--full-fraction of batches): a whole window masked with rate t.
The per-position loss is the cross-entropy on masked positions (MDLM's 1/t weighting is left out: the
drafter is judged by how often its guesses are right, not by its likelihood bound).

    /usr/bin/python3 train_mdlm.py --data data/corpus/train.ids.npy --heldout data/corpus/heldout.ids.npy \
        --tokenizer models/demo/tokenizer.json --out runs/drafter --steps 3000

Resumable (rerun the same command). --init FOLDER starts from an earlier HF MDLM folder (for the
distillation stage, with --data pointing at text sampled from the target).
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
import safetensors_io
import training


def masked_batch(windows, rng, batch, prefix, block, mask_id):
    x = windows.batch_of_length(batch, prefix + block)
    target = x.clone()
    t = torch.from_numpy(rng.uniform(0.0, 1.0, size=(batch, 1))).float()
    region = torch.zeros_like(x, dtype=torch.bool)
    region[:, prefix:] = True
    masked = (torch.from_numpy(rng.uniform(0.0, 1.0, size=x.shape)).float() < t) & region
    # at least one masked position per row
    forced = torch.from_numpy(rng.integers(prefix, prefix + block, size=batch))
    masked[torch.arange(batch), forced] = True
    x[masked] = mask_id
    return x, target, masked


def loss_of(model, x, target, masked, mask_id):
    logits = model(x, select=masked)  # only the masked positions are predicted
    logits[..., mask_id] = -1e6  # SUBS: MASK is never predicted
    return F.cross_entropy(logits, target[masked])


def evaluate(model, heldout_ids, mask_id, prefix=64, block=8, samples=256, seed=7):
    """Fraction of an all-masked block of 8 predicted right by one pass (argmax), given a clean prefix."""
    rng = np.random.default_rng(seed)
    model.eval()
    correct = 0
    total = 0
    with torch.no_grad():
        starts = rng.integers(0, len(heldout_ids) - prefix - block, size=samples)
        x = torch.from_numpy(np.stack([heldout_ids[s:s + prefix + block] for s in starts])).long()
        target = x[:, prefix:].clone()
        x[:, prefix:] = mask_id
        for i in range(0, samples, 64):
            logits = model(x[i:i + 64])[:, prefix:]
            logits[..., mask_id] = -1e6
            correct += (logits.argmax(-1) == target[i:i + 64]).sum().item()
            total += target[i:i + 64].numel()
    model.train()
    return correct / total


class TokenStream(training.Windows):
    def batch_of_length(self, size, length):
        starts = self.rng.integers(0, len(self.ids) - length, size=size)
        return torch.from_numpy(np.stack([self.ids[s:s + length] for s in starts]))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", nargs="+", required=True)
    p.add_argument("--heldout", required=True)
    p.add_argument("--tokenizer", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--init", help="start from this HF MDLM folder")
    p.add_argument("--width", type=int, default=192)
    p.add_argument("--blocks", type=int, default=2)
    p.add_argument("--heads", type=int, default=3)
    p.add_argument("--cond", type=int, default=64)
    p.add_argument("--model-length", type=int, default=256)
    p.add_argument("--prefix-min", type=int, default=8)
    p.add_argument("--prefix-max", type=int, default=128)
    p.add_argument("--block-max", type=int, default=24)
    p.add_argument("--full-fraction", type=float, default=0.2)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--steps", type=int, required=True)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--seed", type=int, default=4321)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--eval-every", type=int, default=250)
    p.add_argument("--log-every", type=int, default=50)
    args = p.parse_args()

    training.setup(args.seed, args.threads)
    with open(args.tokenizer) as f:
        tok = json.load(f)
    vocab = max(max(tok["model"]["vocab"].values()), max(t["id"] for t in tok["added_tokens"])) + 1
    mask_id = vocab  # MDLM: the target vocabulary plus one MASK token, the last id
    model = models.MDLM(vocab + 1, args.width, args.blocks, args.heads, cond_dim=args.cond, model_length=args.model_length)
    if args.init:
        state = safetensors_io.load(os.path.join(args.init, "model.safetensors"))
        model.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
        print(f"initialised from {args.init}")
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.98), weight_decay=0.01)
    windows = TokenStream(args.data, args.prefix_max + args.block_max, args.seed)
    heldout = np.load(args.heldout).astype(np.int64)
    os.makedirs(args.out, exist_ok=True)
    checkpoint = os.path.join(args.out, "checkpoint.pt")
    step, elapsed = 0, 0.0
    rng = np.random.default_rng(args.seed + 1)
    resume = os.path.exists(checkpoint)
    if resume:
        step, elapsed, extra = training.load_checkpoint(checkpoint, model, optimizer, windows)
        rng.bit_generator.state = extra["rng"]
        print(f"resumed from step {step}")
    params = sum(p_.numel() for p_ in model.parameters())
    print(f"MDLM {args.blocks} blocks x {args.width}, {args.heads} heads, vocab {vocab}+MASK: {params / 1e6:.2f} M parameters; "
          f"{args.steps} steps of {args.batch} windows", flush=True)
    avg_tokens = args.batch * ((args.prefix_min + args.prefix_max) / 2 + (1 + args.block_max) / 2)
    log = training.Log(os.path.join(args.out, "train_log.csv"), args.steps, int(avg_tokens), resume)
    started = time.time() - elapsed
    while step < args.steps:
        lr = training.learning_rate(step, args.steps, args.lr, args.warmup)
        for group in optimizer.param_groups:
            group["lr"] = lr
        if rng.uniform() < args.full_fraction:
            x, target, masked = masked_batch(windows, rng, args.batch, 0, args.prefix_max + args.block_max, mask_id)
        else:
            prefix = int(rng.integers(args.prefix_min, args.prefix_max + 1))
            block = int(rng.integers(1, args.block_max + 1))
            x, target, masked = masked_batch(windows, rng, args.batch, prefix, block, mask_id)
        loss = loss_of(model, x, target, masked, mask_id)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        step += 1
        if step % args.log_every == 0 or step == args.steps:
            log.progress(step, loss.item(), lr, time.time() - started)
        accuracy = None
        if step % args.eval_every == 0 or step == args.steps:
            accuracy = evaluate(model, heldout, mask_id)
            print(f"  held-out one-pass accuracy of an 8-token block: {accuracy:.3f}", flush=True)
            training.save_checkpoint(checkpoint, model, optimizer, step, windows, time.time() - started,
                                     {"rng": rng.bit_generator.state})
            training.write_hf_folder(os.path.join(args.out, "hf"), model.hf_config(), model.state_dict(), args.tokenizer)
        if step % args.log_every == 0 or accuracy is not None:
            log.row(step, loss.item(), accuracy, lr, time.time() - started)
    print(f"done: {step} steps in {(time.time() - started) / 3600:.2f} h", flush=True)


if __name__ == "__main__":
    main()
