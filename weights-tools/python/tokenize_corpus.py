#!/usr/bin/python3
"""Encodes the prepared corpus with the project's own tokenizer (bin/specdiff4j tokenize) into token-id
arrays for training: DIR/train.txt -> DIR/train.ids.npy (uint16), the same for heldout. Documents are
joined with the <|endoftext|> id.

    /usr/bin/python3 tokenize_corpus.py models/demo/tokenizer.json data/corpus
"""
import os
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def encode_file(tokenizer, path):
    with open(path, encoding="utf-8") as f:
        text = f.read().rstrip("\n")
    text = text.replace("\n<|endoftext|>\n", "<|endoftext|>") + "<|endoftext|>"
    result = subprocess.run([os.path.join(ROOT, "bin", "specdiff4j"), "tokenize", "--special", "--tokenizer", tokenizer],
                            input=text.encode("utf-8"), stdout=subprocess.PIPE, check=True)
    ids = np.array([int(t) for t in result.stdout.split()], dtype=np.int64)
    if ids.max() >= 65536:
        sys.exit("token ids do not fit in uint16")
    return ids.astype(np.uint16)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    tokenizer, folder = sys.argv[1], sys.argv[2]
    for split in ("train", "heldout"):
        ids = encode_file(tokenizer, os.path.join(folder, split + ".txt"))
        np.save(os.path.join(folder, split + ".ids.npy"), ids)
        print(f"{split}: {len(ids)} tokens")


if __name__ == "__main__":
    main()
