#!/usr/bin/env bash
# The whole pipeline on the built-in defaults: synthetic data, tiny local model, CPU.
# Runs in its own workspace (default ./workspace/demo) so it never mixes with your runs.
set -euo pipefail
cd "$(dirname "$0")/.."
export PAFAS_WORKSPACE="${PAFAS_WORKSPACE:-workspace/demo}"
PAFAS=".venv/bin/pafas"
start=$(date +%s)

step() { printf '\n\033[1;36m== %s ==\033[0m\n' "$1"; }

step "1/7 synthetic benchmark (4 domains: C, P, S, W)"
$PAFAS synth
step "2/7 reasoning paths (Protocol 1, CPS -> W; PNRPS + answer shuffling)"
$PAFAS build-paths --data synthetic
step "3/7 tiny Qwen2.5-VL with a locally trained tokenizer"
$PAFAS init-model
step "4/7 SFT"
$PAFAS sft
step "5/7 GRPO"
$PAFAS rl
step "6/7 evaluation on the held-out domain: SFT vs SFT+RL"
$PAFAS eval --model sft:latest --model rl:latest
step "7/7 explain three faces"
mkdir -p "$PAFAS_WORKSPACE/explain"
.venv/bin/python scripts/demo_faces.py "$PAFAS_WORKSPACE/explain/faces"
$PAFAS explain "$PAFAS_WORKSPACE/explain/faces" --out "$PAFAS_WORKSPACE/explain/faces.jsonl" \
  --html "$PAFAS_WORKSPACE/explain/faces.html"

$PAFAS ls
printf '\ndemo finished in %ss (workspace: %s)\n' "$(( $(date +%s) - start ))" "$PAFAS_WORKSPACE"
