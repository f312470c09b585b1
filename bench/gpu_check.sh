#!/usr/bin/env bash
# GPU check, one GPU, under 8 minutes: the toolkit's SFT and GRPO steps on the random-weight Qwen2.5-VL-3B
# architecture (paper recipes, bf16, three 224x224 images per sample, GRPO group size G = 8), reporting seconds
# per step and peak GPU memory; then the tiny pipeline end to end on the GPU (synth -> build-paths -> init-model
# -> sft -> rl -> eval -> explain). `--dry-run` runs the same steps on the CPU at tiny scale (tiny preset, 56x56
# images, 1-2 steps) so the script can be checked on any machine.
#
#   bash bench/gpu_check.sh [--dry-run] [--report FILE]     (from the repository root or anywhere)
#
# A GPU machine without trl / datasets and without network (e.g. Python 3.12, torch 2.11, transformers 5.17,
# peft, accelerate): download the wheels where pip works, carry wheels/ with the repository, and this script
# installs them (--no-index --no-deps) and the package itself (pip install --no-deps -e .):
#   pip download --no-deps --only-binary=:all: --python-version 3.12 -d wheels/ \
#       trl==1.16.0 datasets==5.2.0 dill==0.4.1 multiprocess==0.70.19 typer==0.29.2
# (+ pyarrow>=24 and huggingface_hub>=1.31 where the machine's are older: datasets 5.2 needs them).
# The machine's own transformers is fine (5.17 and 5.24 are both tested: SFT masks the prompt through TRL's
# prompt-completion loss, which needs no newer transformers).
# Then put the report into docs/bench.md:  python bench/run_all.py --record-gpu <report>
set -euo pipefail
cd "$(dirname "$0")/.."

DRY=0
REPORT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY=1 ;;
    --report) REPORT="$2"; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (use --dry-run, --report FILE)" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "$REPORT" ]; then
  REPORT="bench/out/gpu_check$([ "$DRY" = 1 ] && echo _dry).md"
fi
if [ -n "${PYTHON:-}" ]; then PY="$PYTHON"; elif [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 PYTHONUNBUFFERED=1
WS="$(mktemp -d "${TMPDIR:-/tmp}/pafas-gpu-check.XXXXXX")"
mkdir -p "$(dirname "$REPORT")"
START=$(date +%s)

if [ "$DRY" = 1 ]; then
  export CUDA_VISIBLE_DEVICES=""     # the CPU, even on a GPU machine
  PER_DOMAIN=100; N_EVAL=16; TINY_PATHS=5; TINY_SFT=2; TINY_RL=2
else
  PER_DOMAIN=200; N_EVAL=64; TINY_PATHS=50; TINY_SFT=300; TINY_RL=30
fi

step() { printf '\n\033[1;36m== %s ==\033[0m\n' "$1"; }

step "setup ($PY)"
if compgen -G "wheels/*.whl" > /dev/null; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile wheels/*.whl
fi
if ! "$PY" -c "import trl, datasets, peft, accelerate"; then
  echo "trl / datasets / peft / accelerate do not import with $PY: carry their wheels in wheels/ (see the" \
       "header of $0; a too old pyarrow needs a pyarrow wheel too)" >&2
  exit 2
fi
if ! (cd / && "$PY" -c "import pafas_cli" 2> /dev/null); then
  "$PY" -m pip install -q --no-deps --no-build-isolation -e . || export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
fi
"$PY" -m pafas_cli env
if [ "$DRY" = 0 ]; then nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true; fi

pafas() { "$PY" -m pafas_cli --workspace "$WS/tiny" "$@"; }
TINY_ROWS=""
timed() {  # timed NAME COMMAND...: run it, remember its wall time for the report
  local name="$1"; shift
  local t0 t1
  t0=$(date +%s.%N)
  "$@"
  t1=$(date +%s.%N)
  TINY_ROWS+="| $name | $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') |"$'\n'
}

step "synthetic benchmark ($PER_DOMAIN triples per domain)"
timed "synth" pafas synth --set "data.synth.per_domain=$PER_DOMAIN"
SYNTH="$("$PY" -c "from pafas_cli.workspace import Workspace; print(Workspace('$WS/tiny').latest('synth').path)")"

step "Qwen2.5-VL-3B architecture, random weights: SFT and GRPO steps"
DRY="$DRY" WS="$WS" SYNTH="$SYNTH" "$PY" - <<'PYEOF'
"""SFT and GRPO steps through the toolkit's own commands, timed per optimiser step, peak memory per stage."""
import gc
import os
import resource
import statistics
import sys
import time

sys.path.insert(0, "bench")
from pafas_cli.env import configure_network

configure_network(False)
import torch

from bench_train_overhead import pafas_stage, step_timer
from pafas_cli.commands import build_paths, init_model
from pafas_cli.config import load_recipe
from pafas_cli.workspace import Workspace

dry = os.environ["DRY"] == "1"
ws = Workspace(os.environ["WS"] + "/big")
cuda = torch.cuda.is_available()
preset, side = ("tiny", 56) if dry else ("qwen2.5-vl-3b", 224)
sft_steps, rl_steps, completion = (2, 2, 32) if dry else (6, 3, 256)
# The paper recipes as they are, but for the size, the step counts and (dry run) fp32 on the CPU.
extra = ["sft.precision=auto", "rl.precision=auto"] if dry else []


def latest(stage):
    return f"{stage}:{ws.latest(stage).version}"


def memory():
    if cuda:
        return (f"{torch.cuda.max_memory_allocated() / 2**30:.1f} GiB allocated / "
                f"{torch.cuda.max_memory_reserved() / 2**30:.1f} GiB reserved")
    return f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB RSS (process peak so far)"


def fresh():
    gc.collect()
    if cuda:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


rows = []
t0 = time.perf_counter()
build_paths.run(load_recipe("paper/paths.yaml", [
    f"data.root={os.environ['SYNTH']}", "data.n_train=64", "data.n_dev=16", "data.n_test=16", "paths.n_paths=2",
    f"paths.image_size={side}"]), ws)
rows.append(("build-paths (64 samples x 2 paths)", f"{time.perf_counter() - t0:.1f}", "", "", ""))
fresh()
t0 = time.perf_counter()
init_model.run(load_recipe("paper/model.yaml", [f"model.preset={preset}", f"model.image_size={side}"]), ws,
               paths=latest("paths"))
rows.append((f"init-model ({preset}, build + save)", f"{time.perf_counter() - t0:.1f}", "", "", memory()))

for name, recipe_file, start, steps in (("sft", "paper/sft.yaml", "model", sft_steps),
                                        ("rl", "paper/grpo.yaml", "sft", rl_steps)):
    recipe = load_recipe(recipe_file, [
        f"{name}.model={latest(start)}", f"{name}.paths={latest('paths')}", f"{name}.max_steps={steps}",
        f"{name}.logging_steps=1", f"{name}.save_steps=0", *extra,
        *([f"rl.max_completion_length={completion}"] if name == "rl" else [])])
    fresh()
    timer = step_timer()
    t0 = time.perf_counter()
    pafas_stage(name, ws, recipe, timer)
    total = time.perf_counter() - t0
    later = timer.times[1:] or timer.times
    cfg = getattr(recipe, name)
    shape = (f"{cfg.batch_size} x {cfg.grad_accum} rows" if name == "sft" else
             f"{cfg.prompts_per_step(1)} prompt(s) x G {cfg.num_generations}, {cfg.max_completion_length} new tokens")
    rows.append((f"{name} ({len(timer.times)} steps, {shape}; stage incl. load + save)", f"{total:.1f}",
                 f"{timer.times[0]:.2f}", f"{statistics.median(later):.2f}", memory()))

device = torch.cuda.get_device_name(0) if cuda else "CPU (dry run)"
lines = [f"Qwen2.5-VL architecture preset `{preset}`, random weights, {side}x{side} images (3 per sample), "
         f"paper recipes (bf16 on a GPU, gradient checkpointing), device: {device}.", "",
         "| step | seconds | first optimiser step s | median later step s | peak memory |", "|---|---|---|---|---|"]
lines += ["| " + " | ".join(r) + " |" for r in rows]
text = "\n".join(lines)
print("\n" + text)
with open(os.environ["WS"] + "/big.md", "w") as fh:
    fh.write(text + "\n")
PYEOF

step "tiny pipeline end to end ($([ "$DRY" = 1 ] && echo CPU || echo GPU))"
timed "build-paths (N=$TINY_PATHS)" pafas build-paths --set "paths.n_paths=$TINY_PATHS" \
  --set "data.synth.per_domain=$PER_DOMAIN" --set "data.n_dev=$N_EVAL" --set "data.n_test=$N_EVAL"
timed "init-model (tiny)" pafas init-model
timed "sft ($TINY_SFT steps)" pafas sft --set "sft.max_steps=$TINY_SFT"
timed "rl ($TINY_RL steps)" pafas rl --set "rl.max_steps=$TINY_RL"
timed "eval (sft and rl, $((2 * N_EVAL)) faces each)" pafas eval --model sft:latest --model rl:latest
PAFAS_WORKSPACE="$WS/tiny" "$PY" scripts/demo_faces.py "$WS/faces" > /dev/null
timed "explain (3 faces)" pafas explain "$WS/faces" --out "$WS/faces.jsonl"

TOTAL=$(( $(date +%s) - START ))
{
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') by \`bash bench/gpu_check.sh$([ "$DRY" = 1 ] && echo ' --dry-run')\`" \
       "in ${TOTAL} s on $(if [ "$DRY" = 1 ]; then echo "the CPU ($(nproc) cores)"; else nvidia-smi --query-gpu=name --format=csv,noheader | head -1; fi)."
  echo "Versions: $("$PY" -c "from pafas_cli.workspace import package_versions as v; print(', '.join(f'{k} {x}' for k, x in v().items()))")."
  echo
  cat "$WS/big.md"
  echo
  echo "Tiny pipeline end to end (\`python -m pafas_cli\` per stage, start-up included; synth $PER_DOMAIN triples per domain):"
  echo
  echo "| stage | wall s |"
  echo "|---|---|"
  printf '%s' "$TINY_ROWS"
} > "$REPORT"
step "report ($REPORT)"
cat "$REPORT"
echo "workspace: $WS"
