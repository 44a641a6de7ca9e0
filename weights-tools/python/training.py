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
