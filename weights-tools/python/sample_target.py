#!/usr/bin/python3
"""Samples continuations from the trained target, the distillation data for the drafters: prompts are
random windows of the training corpus, continuations are the target's greedy choice (half of the
batches) or samples at temperature 0.8 (the other half), so that the drafters learn what this target
says rather than what the corpus says. Writes one token stream (sequences joined by the end-of-text id).

    /usr/bin/python3 sample_target.py --target runs/target/hf --data data/corpus/train.ids.npy \
        --out data/distill/target-samples.ids.npy --tokens 1000000
"""
import argparse
import json
import os
import time

import numpy as np
import torch

import models
import training


def load_target(folder):
    with open(os.path.join(folder, "config.json")) as f:
        c = json.load(f)
    model = models.GPT2(c["vocab_size"], c["n_positions"], c["n_embd"], c["n_layer"], c["n_head"], c.get("layer_norm_epsilon", 1e-5))
    training.initialise(model, folder, skip=(".attn.bias", ".attn.masked_bias"))
    model.eval()
    return model, c["eos_token_id"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--target", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--tokens", type=int, default=1_000_000)
    p.add_argument("--prompt", type=int, default=48)
    p.add_argument("--length", type=int, default=160)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seed", type=int, default=99)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    model, eos = load_target(args.target)
    corpus = np.load(args.data).astype(np.int64)
    out = []
    produced = 0
    start = time.time()
    batch_index = 0
    with torch.no_grad():
        while produced < args.tokens:
            starts = rng.integers(0, len(corpus) - args.prompt, size=args.batch)
            prompts = torch.from_numpy(np.stack([corpus[s:s + args.prompt] for s in starts]))
            greedy = batch_index % 2 == 0
            logits, past = model(prompts)
            seq = prompts
            for _ in range(args.length):
                last = logits[:, -1]
                if greedy:
                    nxt = last.argmax(-1, keepdim=True)
                else:
                    probs = torch.softmax(last / 0.8, dim=-1)
                    nxt = torch.multinomial(probs, 1)
                seq = torch.cat([seq, nxt], dim=1)
                logits, past = model(nxt, past)
            for row in seq.numpy():
                out.append(row)
                out.append(np.array([eos]))
            produced += args.batch * (args.prompt + args.length)
            batch_index += 1
            rate = produced / (time.time() - start)
            print(f"{produced}/{args.tokens} tokens ({100 * produced / args.tokens:.0f}%), {rate:.0f} tok/s, "
                  f"ETA {(args.tokens - produced) / rate / 60:.1f} min", flush=True)
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    np.save(args.out, np.concatenate(out).astype(np.uint16))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
