#!/usr/bin/python3
"""Records the target's own next-token distributions on the text sample_target.py wrote, for streak distillation
(train_streak.py): for every continuation position of every sequence, the target's K most likely tokens with their
probabilities at temperature 1 and at the sampling temperature (both normalised over the whole vocabulary), and
whether the sequence is one of the greedy ones.

The input is sample_target.py's stream: sequences of PROMPT + LENGTH tokens, each followed by the end-of-text id.

    /usr/bin/python3 target_probs.py --target models/demo/target --samples data/distill/target-samples.ids.npy \
        --out data/distill/target-samples.probs.npz
"""
import argparse
import os
import time

import numpy as np
import torch

import sample_target


def sequences(stream, prompt, length, eos):
    """(n, prompt + length) array of the stream's sequences; checks the layout sample_target.py writes."""
    stride = prompt + length + 1
    if len(stream) % stride != 0:
        raise SystemExit(f"the stream ({len(stream)} tokens) is not a whole number of {prompt}+{length}+1-token sequences")
    rows = stream.reshape(-1, stride)
    if not (rows[:, -1] == eos).all():
        raise SystemExit("a sequence does not end with the end-of-text id: wrong --prompt/--length for this stream")
    return rows[:, :-1]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--target", required=True, help="the target's HF folder")
    p.add_argument("--samples", required=True, help="a token stream written by sample_target.py")
    p.add_argument("--out", required=True, help=".npz to write (written to a temporary name, then renamed)")
    p.add_argument("--prompt", type=int, default=48)
    p.add_argument("--length", type=int, default=160)
    p.add_argument("--top-k", type=int, default=32)
    p.add_argument("--temperature", type=float, default=0.8, help="the temperature of the sampled sequences")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    model, eos = sample_target.load_target(args.target)
    rows = sequences(np.load(args.samples).astype(np.int64), args.prompt, args.length, eos)
    n, k = len(rows), args.top_k
    ids = np.zeros((n, args.length, k), dtype=np.uint16)  # (sequences, continuation positions, K)
    p1 = np.zeros((n, args.length, k), dtype=np.float16)
    pt = np.zeros((n, args.length, k), dtype=np.float16)
    greedy = np.zeros(n, dtype=bool)
    start = time.time()
    with torch.no_grad():
        for i in range(0, n, args.batch):
            x = torch.from_numpy(rows[i:i + args.batch])
            logits, _ = model(x)
            # logits at position t predict token t + 1: the continuation tokens are predicted from prompt-1 .. end-1
            logits = logits[:, args.prompt - 1:-1]
            top = logits.topk(k, dim=-1)
            ids[i:i + len(x)] = top.indices.numpy()
            p1[i:i + len(x)] = torch.softmax(logits, -1).gather(-1, top.indices).numpy()
            pt[i:i + len(x)] = torch.softmax(logits / args.temperature, -1).gather(-1, top.indices).numpy()
            # a greedy sequence is the target's argmax at (nearly) every position; a sampled one at 0.8 is not
            matches = (top.indices[..., 0] == x[:, args.prompt:]).float().mean(-1)
            greedy[i:i + len(x)] = (matches >= 0.95).numpy()
            done = min(n, i + args.batch)
            print(f"{done}/{n} sequences, {(time.time() - start) / 60:.1f} min", flush=True)
    tmp = args.out + ".tmp.npz"
    np.savez(tmp, ids=ids, p1=p1, pt=pt, greedy=greedy, prompt=args.prompt, temperature=args.temperature)
    os.replace(tmp, args.out)
    print(f"wrote {args.out}: {n} sequences ({greedy.sum()} greedy), top {k}")


if __name__ == "__main__":
    main()
