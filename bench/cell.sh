#!/usr/bin/env bash
# One reproduction cell's work, as plain stage commands that every pafas version since 9be66fc understands: the
# grid's default settings (200 training faces per split, 100 dev / 150 test faces, N = 50 paths, SFT 1,250 steps,
# GRPO 80 steps) for the two rows #27 times, raw-label SFT and PA-FAS SFT+GRPO, each with its eval, split W,
# seed 0. bench/run_all.py runs it at the baseline commit and at this checkout, back to back (`make bench`).
# Run from a checkout's root with PAFAS_WORKSPACE set to an empty folder.
set -euo pipefail
cd "$(dirname "$0")/.."
P=".venv/bin/pafas"
DATA=(--set data.n_train=200 --set data.n_dev=100 --set data.n_test=150)
$P synth
$P build-paths "${DATA[@]}"                                                            # paths:v001, PA-FAS
$P build-paths "${DATA[@]}" --set paths.augmentation=raw --set paths.shuffle=none      # paths:v002, raw labels
$P init-model --paths paths:v001
$P sft --set sft.paths=paths:v002 --set sft.max_steps=1250                             # sft:v001, raw
$P sft --set sft.paths=paths:v001 --set sft.max_steps=1250                             # sft:v002, PA-FAS
$P rl --set rl.model=sft:v002 --set rl.paths=paths:v001 --set rl.max_steps=80          # rl:v001
$P eval --model sft:v001 --paths paths:v002
$P eval --model rl:v001 --paths paths:v001
