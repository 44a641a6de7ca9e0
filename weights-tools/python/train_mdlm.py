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
import os

import numpy as np
import torch
import torch.nn.functional as F

import models
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
    training.add_common_arguments(p, lr=2e-3, warmup=100, seed=4321, eval_every=250, log_every=50, batch=32)
    p.add_argument("--width", type=int, default=192)
    p.add_argument("--blocks", type=int, default=2)
    p.add_argument("--heads", type=int, default=3)
    p.add_argument("--cond", type=int, default=64)
    p.add_argument("--model-length", type=int, default=256)
    p.add_argument("--prefix-min", type=int, default=8)
    p.add_argument("--prefix-max", type=int, default=128)
    p.add_argument("--block-max", type=int, default=24)
    p.add_argument("--full-fraction", type=float, default=0.2)
    args = p.parse_args()

    training.setup(args.seed, args.threads)
    vocab, _ = training.vocabulary(args.tokenizer)
    mask_id = vocab  # MDLM: the target vocabulary plus one MASK token, the last id
    model = models.MDLM(vocab + 1, args.width, args.blocks, args.heads, cond_dim=args.cond, model_length=args.model_length)
    if args.init:
        training.initialise(model, args.init)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.98), weight_decay=0.01)
    windows = TokenStream(args.data, args.prefix_max + args.block_max, args.seed)
    heldout = np.load(args.heldout).astype(np.int64)
    rng = np.random.default_rng(args.seed + 1)
    step, elapsed, extra, resumed = training.resume(args, model, optimizer, windows)
    if resumed:
        rng.bit_generator.state = extra["rng"]
    params = sum(p_.numel() for p_ in model.parameters())
    print(f"MDLM {args.blocks} blocks x {args.width}, {args.heads} heads, vocab {vocab}+MASK: {params / 1e6:.2f} M parameters; "
          f"{args.steps} steps of {args.batch} windows", flush=True)
    avg_tokens = args.batch * ((args.prefix_min + args.prefix_max) / 2 + (1 + args.block_max) / 2)
    log = training.Log(os.path.join(args.out, "train_log.csv"), args.steps, int(avg_tokens), resumed)

    def batch_loss():
        if rng.uniform() < args.full_fraction:
            x, target, masked = masked_batch(windows, rng, args.batch, 0, args.prefix_max + args.block_max, mask_id)
        else:
            prefix = int(rng.integers(args.prefix_min, args.prefix_max + 1))
            block = int(rng.integers(1, args.block_max + 1))
            x, target, masked = masked_batch(windows, rng, args.batch, prefix, block, mask_id)
        return loss_of(model, x, target, masked, mask_id)

    def held_out():
        accuracy = evaluate(model, heldout, mask_id)
        return accuracy, f"  held-out one-pass accuracy of an 8-token block: {accuracy:.3f}"

    def write_hf(folder):
        training.write_hf_folder(folder, model.hf_config(), model.state_dict(), args.tokenizer)

    training.train(args, model, optimizer, windows, log, batch_loss, held_out, write_hf, step, elapsed,
                   extra_state=lambda: {"rng": rng.bit_generator.state})


if __name__ == "__main__":
    main()
