#!/usr/bin/env bash
# GPU check, one GPU, under 9 minutes with --skip-tiny: the toolkit on the random-weight Qwen2.5-VL-3B architecture
# (paper recipes, bf16, three 224x224 images per sample), each part its own process under its own time limit:
#   prep   synth -> build-paths (64 samples x 2 paths, 64 dev faces) -> init-model (qwen2.5-vl-3b)
#   ds     SFT steps under DeepSpeed ZeRO-2 in one process, launched as users do:
#          accelerate launch --config_file recipes/accelerate/zero2.yaml --num_processes 1 -m pafas_cli sft ...
#   eval   faces/s through `pafas_cli.commands.eval.run` at each batch size in EVAL_RUNS (random weights never
#          emit the end token: every face generates EVAL_TOKENS tokens)
#   rl     GRPO optimiser steps at 8 prompts x G 8, 256 new tokens, once per entry of RL_VARIANTS
#   sft    the same SFT steps in one plain process (for comparison; runs only if the budget still allows)
#   tiny   the tiny pipeline end to end on the GPU (synth -> ... -> explain); --skip-tiny leaves it out
# A failed or timed-out part is reported as such and the others still run; a part that no longer fits the
# budget (GPU_CHECK_BUDGET_S, default 540 s) is skipped. Peak GPU memory is recorded per row.
#
#   bash bench/gpu_check.sh [--dry-run] [--skip-tiny] [--parts eval,rl,ds,sft,tiny] [--report FILE]
#
# Expected on one H200 with --skip-tiny, from docs/bench.md (init-model of the 3B 30 s; an SFT step of 4 x 2 rows
# 3.0 s, the first 14 s; a GRPO step of 2 prompts x G 8 with 256 new tokens 14.8 s, mostly latency-bound generation,
# the first 33 s; load + save of a 3B stage ~22 s; ~8 s per process start). GRPO at 8 prompts x G 8: generation
# ~12-15 s (64 or 256 sequences cost about what 16 do), an update of 64 completions ~8 s:
#   setup (imports, pafas env)                                                  ~20 s
#   prep: synth 200/domain, build-paths, init-model (3B, build + save)          ~45 s
#   ds: DeepSpeed ZeRO-2 SFT, 4 steps, launch to exit (start-up, engine, save)  ~75 s
#   eval: load + warm-up, batch 1 x 4 faces, 32 x 64, 64 x 64, 128 new tokens   ~65 s
#   rl steps_per_generation=1, 3 steps (first ~38 s, later ~20 s) + load/save   ~110 s
#   rl steps_per_generation=4, 4 steps (first ~45 s incl. 256 completions)      ~100 s
#   sft: plain SFT, 4 steps (only with >= 80 s of the budget left)              ~55 s
#   reports                                                                     ~10 s
#   total ~8 min (~7 min without the plain SFT); the tiny pipeline adds ~4 min.
# `--dry-run` runs the same parts on the CPU at tiny scale (tiny preset, 56x56 images, a few steps, fp32);
# without deepspeed installed its ds part is reported as skipped. About 4 minutes here (2 min with --skip-tiny).
#
# A GPU machine without trl / datasets / deepspeed and without network (Python 3.12, torch 2.11, transformers 5.17,
# peft, accelerate): carry their wheels in .whl/ (bench/README.md, "GPU check", says how to make them) and install
# them before the script, e.g.
#   python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl
#   export PYTHONPATH=/tmp/site:$PWD; PYTHON=python3 bash bench/gpu_check.sh --skip-tiny --report $OUT/gpu_check.md
# (or leave them in .whl/ or wheels/: the script installs them into its scratch folder when trl does not import).
# The report goes to FILE and the whole output to FILE's name with .log; put the report into docs/bench.md with
#   python bench/run_all.py --record-gpu <report>
set -uo pipefail
cd "$(dirname "$0")/.."

# -- what is measured (edit here) ------------------------------------------------------------------------------
# GRPO: every variant gets RL_COMMON, then its own --set strings; one part (process) per variant.
RL_COMMON="rl.batch_size=64 rl.grad_accum=1 rl.num_generations=8 rl.max_completion_length=256"
RL_VARIANTS=(
  "rl.steps_per_generation=1 rl.max_steps=3"
  "rl.steps_per_generation=4 rl.max_steps=4"
)
EVAL_RUNS="1:4,32:64,64:64"   # BATCH:FACES, ...
EVAL_TOKENS=128               # eval.max_new_tokens
EVAL_FACES=64                 # dev faces built (the most any eval run draws)
PER_DOMAIN=200                # synthetic triples per domain
DS_STEPS=4
SFT_STEPS=4
BUDGET="${GPU_CHECK_BUDGET_S:-540}"
# Time limits per part (seconds), and the least budget a part needs left to start.
LIMIT_PREP=150; LIMIT_EVAL=180; LIMIT_RL=200; LIMIT_DS=200; LIMIT_SFT=150; LIMIT_TINY=300
MIN_PART=40; MIN_SFT=80; RESERVE=25
TINY_PATHS=50; TINY_SFT=300; TINY_RL=30; TINY_EVAL=64

DRY=0
REPORT=""
PARTS="eval,rl,ds,sft,tiny"
SKIP_TINY=0
ARGS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY=1; ARGS+=" --dry-run" ;;
    --skip-tiny) SKIP_TINY=1; ARGS+=" --skip-tiny" ;;
    --parts) PARTS="$2"; ARGS+=" --parts $2"; shift ;;
    --report) REPORT="$2"; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (use --dry-run, --skip-tiny, --parts LIST, --report FILE)" >&2; exit 2 ;;
  esac
  shift
done
[ "$SKIP_TINY" = 1 ] && PARTS="$(echo ",$PARTS," | sed 's/,tiny,/,/; s/^,//; s/,$//')"
has_part() { [[ ",$PARTS," == *",$1,"* ]]; }

if [ "$DRY" = 1 ]; then
  export CUDA_VISIBLE_DEVICES=""     # the CPU, even on a GPU machine
  RL_COMMON="rl.batch_size=16 rl.grad_accum=1 rl.num_generations=8 rl.max_completion_length=16"
  EVAL_RUNS="1:2,8:8"; EVAL_TOKENS=16; EVAL_FACES=16; PER_DOMAIN=100; DS_STEPS=2; SFT_STEPS=2
  BUDGET="${GPU_CHECK_BUDGET_S:-3600}"; MIN_PART=0; MIN_SFT=0
  LIMIT_PREP=300; LIMIT_EVAL=300; LIMIT_RL=300; LIMIT_DS=400; LIMIT_SFT=300
  TINY_PATHS=5; TINY_SFT=2; TINY_RL=2; TINY_EVAL=16
fi
if [ -z "$REPORT" ]; then
  REPORT="bench/out/gpu_check$([ "$DRY" = 1 ] && echo _dry).md"
fi
LOG="${REPORT%.md}.log"
if [ -n "${PYTHON:-}" ]; then PY="$PYTHON"; elif [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 PYTHONUNBUFFERED=1
WS="$(mktemp -d "${TMPDIR:-/tmp}/pafas-gpu-check.XXXXXX")"
mkdir -p "$(dirname "$REPORT")" "$WS/logs"
exec > >(tee "$LOG") 2>&1
START=$(date +%s)
DRYFLAG=(); [ "$DRY" = 1 ] && DRYFLAG=(--dry)

step() { printf '\n\033[1;36m== %s ==\033[0m\n' "$1"; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

if [ "$DRY" = 1 ]; then DEVICE="the CPU ($(nproc) cores)"; else
  DEVICE="$(nvidia-smi --query-gpu=name --format=csv,noheader 2> /dev/null | head -1)"
  DEVICE="${DEVICE:-a machine where nvidia-smi failed}"
fi
write_report() {
  "$PY" bench/gpu_check.py report --ws "$WS" "${DRYFLAG[@]}" --out "$REPORT" --per-domain "$PER_DOMAIN" \
    --command "bash bench/gpu_check.sh${ARGS}" --seconds "$(( $(date +%s) - START ))" --device "$DEVICE" \
    --rl-common "$RL_COMMON" > /dev/null || echo "(could not write the report $REPORT)"
}
record_part() {  # NAME STATUS SECONDS LIMIT LOG
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >> "$WS/parts.tsv"
}
PART_N=0
run_part() {  # run_part NAME LIMIT MIN_LEFT COMMAND...: under `timeout`, within the budget; records the outcome
  local name="$1" limit="$2" need="$3"; shift 3
  local left=$(( BUDGET - ($(date +%s) - START) - RESERVE ))
  if [ "$left" -lt "$need" ] || [ "$left" -lt 1 ]; then
    record_part "$name" "skipped: ${left} s of the ${BUDGET} s budget left" "" "$limit" ""
    step "$name: skipped (${left} s of the budget left)"
    return 1
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  PART_N=$((PART_N + 1))
  local log="$WS/logs/part$PART_N.log" t0 rc status
  step "$name (time limit ${limit} s)"
  t0=$(date +%s.%N)
  timeout --kill-after=30 "$limit" "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  case "$rc" in
    0) status=ok ;;
    124) status="TIMED OUT at ${limit} s" ;;
    137) status="KILLED (exit 137: time limit or out of memory)" ;;
    *) status="FAILED (exit $rc)" ;;
  esac
  record_part "$name" "$status" "$(elapsed "$t0")" "$limit" "$log"
  write_report
  return "$rc"
}

step "setup ($PY)"
if ! "$PY" -c "import trl, datasets, peft, accelerate" 2> /dev/null; then
  WHEELS=()
  for d in .whl wheels; do   # one folder only: two versions of a wheel stop the whole install
    [ ${#WHEELS[@]} = 0 ] && compgen -G "$d/*.whl" > /dev/null && WHEELS=("$d"/*.whl)
  done
  if [ ${#WHEELS[@]} -gt 0 ]; then
    echo "installing ${#WHEELS[@]} wheels into $WS/site"
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$WS/site" "${WHEELS[@]}" &&
      export PYTHONPATH="$WS/site${PYTHONPATH:+:$PYTHONPATH}"
  fi
fi
if ! "$PY" -c "import trl, datasets, peft, accelerate"; then
  echo "trl / datasets / peft / accelerate do not import with $PY: carry their wheels in .whl/ (see the" \
       "header of $0 and bench/README.md)" >&2
  exit 2
fi
if ! (cd / && "$PY" -c "import pafas_cli" 2> /dev/null); then
  export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"   # pafas from this source tree
fi
DS_WHY="$("$PY" -c "import deepspeed" 2>&1 > /dev/null | tail -1)" && DS_OK=1 || DS_OK=0
[ "$DS_OK" = 1 ] || echo "deepspeed does not import ($DS_WHY): no ds part"
"$PY" -m pafas_cli env
if [ "$DRY" = 0 ]; then nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true; fi

# -- the 3B architecture ---------------------------------------------------------------------------------------
BIG_OK=0
if has_part eval || has_part rl || has_part ds || has_part sft; then
  run_part "prep (synth, build-paths, init-model)" "$LIMIT_PREP" "$MIN_PART" \
    "$PY" bench/gpu_check.py prep --ws "$WS" "${DRYFLAG[@]}" --per-domain "$PER_DOMAIN" --eval-faces "$EVAL_FACES" &&
    BIG_OK=1
fi
needs_prep() {  # NAME: true when prep succeeded, else records the part as skipped
  [ "$BIG_OK" = 1 ] && return 0
  record_part "$1" "skipped: prep failed" "" "" ""
  return 1
}
if has_part ds && needs_prep "ds: DeepSpeed ZeRO-2 sft"; then
  if [ "$DS_OK" = 1 ]; then
    run_part "ds: DeepSpeed ZeRO-2 sft, 1 process, $DS_STEPS steps" "$LIMIT_DS" "$MIN_PART" \
      "$PY" bench/gpu_check.py ds-sft --ws "$WS" "${DRYFLAG[@]}" --steps "$DS_STEPS" \
      --config recipes/accelerate/zero2.yaml
  else
    record_part "ds: DeepSpeed ZeRO-2 sft" "skipped: deepspeed does not import (${DS_WHY//$'\t'/ })" "" "" ""
  fi
fi
if has_part eval && needs_prep "eval"; then
  run_part "eval (batch:faces $EVAL_RUNS, $EVAL_TOKENS new tokens)" "$LIMIT_EVAL" "$MIN_PART" \
    "$PY" bench/gpu_check.py eval --ws "$WS" "${DRYFLAG[@]}" --runs "$EVAL_RUNS" --max-new-tokens "$EVAL_TOKENS"
fi
if has_part rl; then
  for variant in "${RL_VARIANTS[@]}"; do
    needs_prep "rl: $variant" || continue
    run_part "rl: $variant" "$LIMIT_RL" "$MIN_PART" \
      "$PY" bench/gpu_check.py rl --ws "$WS" "${DRYFLAG[@]}" --common "$RL_COMMON" --variant "$variant"
  done
fi
if has_part sft && needs_prep "sft: plain, $SFT_STEPS steps"; then
  run_part "sft: plain, $SFT_STEPS steps" "$LIMIT_SFT" "$MIN_SFT" \
    "$PY" bench/gpu_check.py sft --ws "$WS" "${DRYFLAG[@]}" --steps "$SFT_STEPS"
fi

# -- the tiny pipeline end to end ------------------------------------------------------------------------------
if has_part tiny; then
  step "tiny pipeline end to end ($([ "$DRY" = 1 ] && echo CPU || echo GPU))"
  TINY_FAILED=""
  tiny() {  # tiny NAME COMMAND...: one stage, timed, under the tiny time limit; the rest is skipped after a failure
    local name="$1" t0 rc; shift
    if [ -n "$TINY_FAILED" ]; then
      printf '%s\t\tskipped (%s failed)\n' "$name" "$TINY_FAILED" >> "$WS/tiny.tsv"
      return
    fi
    t0=$(date +%s.%N)
    timeout --kill-after=30 "$LIMIT_TINY" "$@"
    rc=$?
    printf '%s\t%s\t%s\n' "$name" "$(elapsed "$t0")" "$([ "$rc" = 0 ] && echo ok || echo "FAILED (exit $rc)")" \
      >> "$WS/tiny.tsv"
    [ "$rc" = 0 ] || TINY_FAILED="$name"
  }
  P=("$PY" -m pafas_cli --workspace "$WS/tiny")
  tiny "synth" "${P[@]}" synth --set "data.synth.per_domain=$PER_DOMAIN"
  tiny "build-paths (N=$TINY_PATHS)" "${P[@]}" build-paths --set "paths.n_paths=$TINY_PATHS" \
    --set "data.synth.per_domain=$PER_DOMAIN" --set "data.n_dev=$TINY_EVAL" --set "data.n_test=$TINY_EVAL"
  tiny "init-model (tiny)" "${P[@]}" init-model
  tiny "sft ($TINY_SFT steps)" "${P[@]}" sft --set "sft.max_steps=$TINY_SFT"
  tiny "rl ($TINY_RL steps)" "${P[@]}" rl --set "rl.max_steps=$TINY_RL"
  tiny "eval (sft and rl, $((2 * TINY_EVAL)) faces each)" "${P[@]}" eval --model sft:latest --model rl:latest
  [ -z "$TINY_FAILED" ] && PAFAS_WORKSPACE="$WS/tiny" "$PY" scripts/demo_faces.py "$WS/faces" > /dev/null
  tiny "explain (3 faces)" "${P[@]}" explain "$WS/faces" --out "$WS/faces.jsonl"
fi

write_report
step "report ($REPORT; the whole output in $LOG)"
cat "$REPORT"
echo "workspace: $WS"
FAILED="$(cut -f2 "$WS/parts.tsv" 2> /dev/null | grep -cv '^ok$\|^skipped')"
[ "${FAILED:-0}" = 0 ] && ! grep -q FAILED "$WS/tiny.tsv" 2> /dev/null
