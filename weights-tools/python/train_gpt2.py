#!/usr/bin/python3
"""Trains a GPT-2-architecture language model on token-id arrays and writes an HF GPT-2 folder.

    /usr/bin/python3 train_gpt2.py --data data/corpus/train.ids.npy --heldout data/corpus/heldout.ids.npy \
        --tokenizer models/demo/tokenizer.json --out runs/target --layers 8 --width 384 --heads 6 \
        --context 512 --batch 8 --steps 9000

Deterministic for a given seed and thread count; resumable (rerun the same command: it continues from
runs/.../checkpoint.pt). Writes runs/.../train_log.csv (the loss curve) and runs/.../hf (the model).
"""
import argparse
import math
import os

import torch
import torch.nn.functional as F

import models
import training


def evaluate(model, heldout, batch=8):
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(heldout), batch):
            x = heldout[i:i + batch]
            logits, _ = model(x[:, :-1])
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1), reduction="sum").item()
            count += x[:, 1:].numel()
    model.train()
    return total / count


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    training.add_common_arguments(p, lr=1e-3, warmup=200, seed=1234, eval_every=500, log_every=50, batch=8)
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--width", type=int, default=384)
    p.add_argument("--heads", type=int, default=6)
    p.add_argument("--context", type=int, default=512)
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--dropout", type=float, default=0.1)
    args = p.parse_args()

    training.setup(args.seed, args.threads)
    vocab, eos = training.vocabulary(args.tokenizer)
    model = models.GPT2(vocab, args.context, args.width, args.layers, args.heads, dropout=args.dropout)
    if args.init:
        training.initialise(model, args.init, skip=(".attn.bias", ".attn.masked_bias"))
    decay = [p_ for n, p_ in model.named_parameters() if p_.dim() >= 2]
    no_decay = [p_ for n, p_ in model.named_parameters() if p_.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.95))
    windows = training.Windows(args.data, args.context + 1, args.seed)
    heldout = training.sequential_windows(args.heldout, args.context + 1)
    step, elapsed, _, resumed = training.resume(args, model, optimizer, windows)
    params = sum(p_.numel() for p_ in model.parameters())
    print(f"GPT-2 {args.layers} layers x {args.width}, {args.heads} heads, context {args.context}, vocab {vocab}: "
          f"{params / 1e6:.2f} M parameters; {args.steps} steps of {args.batch} x {args.context} tokens", flush=True)
    log = training.Log(os.path.join(args.out, "train_log.csv"), args.steps, args.batch * args.context, resumed)

    def batch_loss():
        x = windows.batch(args.batch)
        logits, _ = model(x[:, :-1])
        return F.cross_entropy(logits.reshape(-1, vocab), x[:, 1:].reshape(-1))

    def held_out():
        loss = evaluate(model, heldout)
        return loss, f"  held-out loss {loss:.4f} (perplexity {math.exp(loss):.1f})"

    def write_hf(folder):
        training.write_hf_folder(folder, model.hf_config(eos), model.state_dict(), args.tokenizer)

    training.train(args, model, optimizer, windows, log, batch_loss, held_out, write_hf, step, elapsed)


if __name__ == "__main__":
    main()
