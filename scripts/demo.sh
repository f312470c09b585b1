#!/usr/bin/env bash
# The whole pipeline on the built-in defaults: synthetic data, tiny local model, CPU.
# Runs in its own workspace (default ./workspace/demo) so it never mixes with your runs.
# PRETRAINED=1 (make demo-pretrained) first pretrains the tiny model on the material corpus (docs/pretraining.md)
# and starts SFT from it, in ./workspace/demo-pretrained.
set -euo pipefail
cd "$(dirname "$0")/.."
PRETRAINED="${PRETRAINED:-0}"
if [ "$PRETRAINED" = 1 ]; then default_ws=workspace/demo-pretrained; else default_ws=workspace/demo; fi
export PAFAS_WORKSPACE="${PAFAS_WORKSPACE:-$default_ws}"
PAFAS=".venv/bin/pafas"
start=$(date +%s)

step() { printf '\n\033[1;36m== %s ==\033[0m\n' "$1"; }

step "synthetic benchmark (4 domains: C, P, S, W)"
$PAFAS synth
step "reasoning paths (Protocol 1, CPS -> W; PNRPS + answer shuffling)"
$PAFAS build-paths --data synthetic
if [ "$PRETRAINED" = 1 ]; then
  step "tiny Qwen2.5-VL, its tokenizer trained on the reasoning corpus and the pretraining corpus"
  $PAFAS init-model --set model.corpus=true
  step "pretraining on scenes of materials (no faces, no FAS label), then the perception probe"
  $PAFAS pretrain
  step "SFT from the pretrained model"
  $PAFAS sft --set sft.model=pretrain:latest
else
  step "tiny Qwen2.5-VL with a locally trained tokenizer"
  $PAFAS init-model
  step "SFT"
  $PAFAS sft
fi
step "GRPO"
$PAFAS rl
step "evaluation on the held-out domain: SFT vs SFT+RL"
$PAFAS eval --model sft:latest --model rl:latest
step "explain three faces"
mkdir -p "$PAFAS_WORKSPACE/explain"
.venv/bin/python scripts/demo_faces.py "$PAFAS_WORKSPACE/explain/faces"
$PAFAS explain "$PAFAS_WORKSPACE/explain/faces" --out "$PAFAS_WORKSPACE/explain/faces.jsonl" \
  --html "$PAFAS_WORKSPACE/explain/faces.html"

$PAFAS ls
faces="$PAFAS_WORKSPACE/explain/faces"
printf '\ndemo finished in %ss (workspace: %s)\n' "$(( $(date +%s) - start ))" "$PAFAS_WORKSPACE"
cat <<NEXT

Next, in this shell (the README's commands after \`make demo\`):
  source .venv/bin/activate
  export PAFAS_WORKSPACE=$PAFAS_WORKSPACE
  pafas ls
  pafas explain $faces/face2_rgb.png $faces/face2_depth.png $faces/face2_ir.png
  pafas serve --model rl:latest
NEXT
