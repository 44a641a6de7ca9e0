"""What the training scripts share: token windows, the learning-rate schedule, logging with progress and
ETA, resumable checkpoints, and writing the HF folder the engine loads."""
import csv
import json
import math
import os
import shutil
import time

import numpy as np
import torch

import safetensors_io


def setup(seed, threads):
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)


def add_common_arguments(p, lr, warmup, seed, eval_every, log_every, batch):
    """The options every training script takes: data, output, schedule, seeds, threads, logging."""
    p.add_argument("--data", nargs="+", required=True, help="token-id arrays (.npy) to train on; repeat one to weight it")
    p.add_argument("--heldout", required=True, help="token-id array for evaluation")
    p.add_argument("--tokenizer", required=True, help="the tokenizer.json the ids come from (copied into the HF folder)")
    p.add_argument("--out", required=True, help="run folder: checkpoint.pt, train_log.csv, hf/")
    p.add_argument("--init", help="start from this HF folder of the same shape")
    p.add_argument("--batch", type=int, default=batch)
    p.add_argument("--steps", type=int, required=True)
    p.add_argument("--lr", type=float, default=lr)
    p.add_argument("--warmup", type=int, default=warmup)
    p.add_argument("--seed", type=int, default=seed)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--eval-every", type=int, default=eval_every)
    p.add_argument("--log-every", type=int, default=log_every)


def vocabulary(tokenizer_json):
    """(vocabulary size, id of <|endoftext|> or None) of an HF tokenizer.json."""
    with open(tokenizer_json) as f:
        tok = json.load(f)
    size = max([max(tok["model"]["vocab"].values())] + [t["id"] for t in tok["added_tokens"]]) + 1
    eos = next((t["id"] for t in tok["added_tokens"] if t["content"] == "<|endoftext|>"), None)
    return size, eos


def initialise(model, folder, skip=()):
    """Loads an HF folder's model.safetensors into the model (all tensors but those ending in skip)."""
    state = safetensors_io.load(os.path.join(folder, "model.safetensors"))
    model.load_state_dict({k: v.float() for k, v in state.items() if not k.endswith(tuple(skip))}, strict=True)
    print(f"initialised from {folder}")


def train(args, model, optimizer, windows, log, batch_loss, evaluate, write_hf, start_step, elapsed, extra_state=dict):
    """The loop the scripts share: learning-rate schedule, clipped AdamW steps, progress, and at every evaluation a
    checkpoint and a fresh HF folder. batch_loss() -> loss tensor; evaluate() -> (number for the log, line to print)."""
    checkpoint = os.path.join(args.out, "checkpoint.pt")
    step = start_step
    started = time.time() - elapsed
    while step < args.steps:
        lr = learning_rate(step, args.steps, args.lr, args.warmup)
        for group in optimizer.param_groups:
            group["lr"] = lr
        loss = batch_loss()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        step += 1
        if step % args.log_every == 0 or step == args.steps:
            log.progress(step, loss.item(), lr, time.time() - started)
        measured = None
        if step % args.eval_every == 0 or step == args.steps:
            measured, line = evaluate()
            print(line, flush=True)
            save_checkpoint(checkpoint, model, optimizer, step, windows, time.time() - started, extra_state())
            write_hf(os.path.join(args.out, "hf"))
        if step % args.log_every == 0 or measured is not None:
            log.row(step, loss.item(), measured, lr, time.time() - started)
    print(f"done: {step} steps in {(time.time() - started) / 3600:.2f} h", flush=True)


def resume(args, model, optimizer, windows):
    """(step, elapsed seconds, extra state, resumed?) from the run folder's checkpoint, or a fresh start."""
    os.makedirs(args.out, exist_ok=True)
    checkpoint = os.path.join(args.out, "checkpoint.pt")
    if not os.path.exists(checkpoint):
        return 0, 0.0, {}, False
    step, elapsed, extra = load_checkpoint(checkpoint, model, optimizer, windows)
    print(f"resumed from step {step}")
    return step, elapsed, extra, True


class Windows:
    """Random fixed-length windows from a stream of token ids (a seeded, resumable generator)."""

    def __init__(self, paths, length, seed):
        self.ids = np.concatenate([np.load(p).astype(np.int64) for p in paths])
        self.length = length
        self.rng = np.random.default_rng(seed)
        if len(self.ids) <= length:
            raise SystemExit(f"the data ({len(self.ids)} tokens) is shorter than one window of {length}")

    def batch(self, size):
        starts = self.rng.integers(0, len(self.ids) - self.length, size=size)
        return torch.from_numpy(np.stack([self.ids[s:s + self.length] for s in starts]))

    def state(self):
        return self.rng.bit_generator.state

    def restore(self, state):
        self.rng.bit_generator.state = state


def sequential_windows(path, length):
    """Non-overlapping windows covering a held-out stream, for evaluation."""
    ids = np.load(path).astype(np.int64)
    n = len(ids) // length
    return torch.from_numpy(ids[: n * length].reshape(n, length))


def learning_rate(step, total, peak, warmup, floor=0.1):
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))


class Log:
    """CSV log of the loss curve plus a progress line with rate and ETA on stdout."""

    def __init__(self, path, total_steps, tokens_per_step, resume):
        self.path = path
        self.total = total_steps
        self.tokens_per_step = tokens_per_step
        self.start = time.time()
        self.first_step = None
        if not resume or not os.path.exists(path):
            with open(path, "w", newline="") as f:
                csv.writer(f).writerow(["step", "tokens", "train_loss", "heldout_loss", "lr", "seconds"])

    def row(self, step, train_loss, heldout_loss, lr, seconds):
        with open(self.path, "a", newline="") as f:
            csv.writer(f).writerow([step, step * self.tokens_per_step, f"{train_loss:.5f}",
                                    "" if heldout_loss is None else f"{heldout_loss:.5f}", f"{lr:.6g}", f"{seconds:.1f}"])

    def progress(self, step, loss, lr, elapsed_total):
        if self.first_step is None:
            self.first_step = step
            self.start = time.time()
            return
        done = step - self.first_step
        rate = done / max(1e-9, time.time() - self.start)
        eta = (self.total - step) / max(rate, 1e-9)
        print(f"step {step}/{self.total} ({100 * step / self.total:.1f}%) loss {loss:.4f} lr {lr:.2e} "
              f"{rate * self.tokens_per_step:.0f} tok/s elapsed {elapsed_total / 60:.1f} min ETA {eta / 60:.1f} min",
              flush=True)


def save_checkpoint(path, model, optimizer, step, windows, elapsed, extra=None):
    tmp = path + ".tmp"
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step,
                "windows": windows.state(), "torch_rng": torch.get_rng_state(), "elapsed": elapsed,
                "extra": extra or {}}, tmp)
    os.replace(tmp, path)


def load_checkpoint(path, model, optimizer, windows):
    state = torch.load(path)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    windows.restore(state["windows"])
    torch.set_rng_state(state["torch_rng"])
    return state["step"], state["elapsed"], state.get("extra", {})


def write_hf_folder(folder, config, state_dict, tokenizer_json, skip=()):
    """config.json + model.safetensors (F32) + tokenizer.json, written to a temporary folder first."""
    tmp = folder.rstrip("/") + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    with open(os.path.join(tmp, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    tensors = {k: v.float() for k, v in state_dict.items() if not any(k.endswith(s) for s in skip)}
    safetensors_io.save(tensors, os.path.join(tmp, "model.safetensors"), {"format": "pt"})
    if tokenizer_json:
        shutil.copy(tokenizer_json, os.path.join(tmp, "tokenizer.json"))
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)
