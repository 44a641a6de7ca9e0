#!/usr/bin/python3
"""Trains a GPT-2-architecture language model on token-id arrays and writes an HF GPT-2 folder.

    /usr/bin/python3 train_gpt2.py --data data/corpus/train.ids.npy --heldout data/corpus/heldout.ids.npy \
        --tokenizer models/demo/tokenizer.json --out runs/target --layers 8 --width 384 --heads 6 \
        --context 512 --batch 8 --steps 9000

Deterministic for a given seed and thread count; resumable (rerun the same command: it continues from
runs/.../checkpoint.pt). Writes runs/.../train_log.csv (the loss curve) and runs/.../hf (the model).
"""
import argparse
import json
import math
import os
import time

import torch
import torch.nn.functional as F

import models
import safetensors_io
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
    p.add_argument("--data", nargs="+", required=True)
    p.add_argument("--heldout", required=True)
    p.add_argument("--tokenizer", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--init", help="start from this HF GPT-2 folder (same shape)")
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--width", type=int, default=384)
    p.add_argument("--heads", type=int, default=6)
    p.add_argument("--context", type=int, default=512)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--steps", type=int, required=True)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--eval-every", type=int, default=500)
    p.add_argument("--log-every", type=int, default=50)
    args = p.parse_args()

    training.setup(args.seed, args.threads)
    with open(args.tokenizer) as f:
        tok = json.load(f)
    vocab = max(tok["model"]["vocab"].values()) + 1
    vocab = max([vocab] + [t["id"] + 1 for t in tok["added_tokens"]])
    eos = next(t["id"] for t in tok["added_tokens"] if t["content"] == "<|endoftext|>")

    model = models.GPT2(vocab, args.context, args.width, args.layers, args.heads, dropout=args.dropout)
    if args.init:
        state = safetensors_io.load(os.path.join(args.init, "model.safetensors"))
        model.load_state_dict({k: v.float() for k, v in state.items() if not k.endswith((".attn.bias", ".attn.masked_bias"))}, strict=True)
        print(f"initialised from {args.init}")
    decay = [p_ for n, p_ in model.named_parameters() if p_.dim() >= 2]
    no_decay = [p_ for n, p_ in model.named_parameters() if p_.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.95))
    windows = training.Windows(args.data, args.context + 1, args.seed)
    heldout = training.sequential_windows(args.heldout, args.context + 1)
    os.makedirs(args.out, exist_ok=True)
    checkpoint = os.path.join(args.out, "checkpoint.pt")
    step, elapsed = 0, 0.0
    resume = os.path.exists(checkpoint)
    if resume:
        step, elapsed, _ = training.load_checkpoint(checkpoint, model, optimizer, windows)
        print(f"resumed from step {step}")
    params = sum(p_.numel() for p_ in model.parameters())
    print(f"GPT-2 {args.layers} layers x {args.width}, {args.heads} heads, context {args.context}, vocab {vocab}: "
          f"{params / 1e6:.2f} M parameters; {args.steps} steps of {args.batch} x {args.context} tokens", flush=True)
    log = training.Log(os.path.join(args.out, "train_log.csv"), args.steps, args.batch * args.context, resume)

    started = time.time() - elapsed
    while step < args.steps:
        lr = training.learning_rate(step, args.steps, args.lr, args.warmup)
        for group in optimizer.param_groups:
            group["lr"] = lr
        x = windows.batch(args.batch)
        logits, _ = model(x[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, vocab), x[:, 1:].reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        step += 1
        if step % args.log_every == 0 or step == args.steps:
            log.progress(step, loss.item(), lr, time.time() - started)
        heldout_loss = None
        if step % args.eval_every == 0 or step == args.steps:
            heldout_loss = evaluate(model, heldout)
            print(f"  held-out loss {heldout_loss:.4f} (perplexity {math.exp(heldout_loss):.1f})", flush=True)
            training.save_checkpoint(checkpoint, model, optimizer, step, windows, time.time() - started)
            training.write_hf_folder(os.path.join(args.out, "hf"), model.hf_config(eos), model.state_dict(), args.tokenizer)
        if step % args.log_every == 0 or heldout_loss is not None:
            log.row(step, loss.item(), heldout_loss, lr, time.time() - started)
    print(f"done: {step} steps in {(time.time() - started) / 3600:.2f} h", flush=True)


if __name__ == "__main__":
    main()
