#!/usr/bin/env bash
# The reproduction grid on a many-core machine: one `pafas reproduce` per (split, seed), side by side.
#
#   bash bench/reproduce_parallel.sh [--jobs J] [--threads T] [--seeds 0,1,2] [--splits W,S,P,C] [-- ARGS...]
#
# Each (split, seed) is its own workspace (workspace/reproduce/<split>-s<seed>/) and its own process (both regimes:
# they share its model and pretraining), with T torch threads (default 2) and J processes at once (default:
# cores / T). The synthetic benchmark and the pretraining corpus are drawn once (the first process to need one
# holds a lock; the others wait), and every process appends its cells to the one
# committed file, bench/results/cells.jsonl (appends are locked). The N sweep runs in split W's processes only,
# as in a plain `pafas reproduce`. Each process writes its own page and log under <workspace>/reproduce/parallel/;
# at the end `pafas reproduce --report-only` writes docs/results.md from every cell recorded with these settings.
# ARGS after `--` go to every process (e.g. -- --sft-steps 100 --set sft.batch_size=16); they must be the same
# settings the final report uses, so pass the same ARGS to a later `pafas reproduce --report-only`.
#
# Every cell records how many processes shared the machine (PAFAS_REPRODUCE_PROCESSES, exported here as J) and the
# 1-minute load average when it finished; each stage records its thread count (T: `threads: null` follows
# OMP_NUM_THREADS).
# Interrupted or failed cells are measured by the next run (finished cells are skipped, SFT / GRPO resume).
# On a GPU machine the processes share the GPU (each tiny model needs well under 1 GB); without trl installed,
# carry its wheels as bench/README.md ("GPU check") describes and put them on PYTHONPATH first.
set -uo pipefail
cd "$(dirname "$0")/.."

PAFAS=${PAFAS:-}
if [ -z "$PAFAS" ]; then
  if [ -x .venv/bin/pafas ]; then PAFAS=.venv/bin/pafas; else PAFAS="python3 -m pafas_cli"; fi
fi
THREADS=2
JOBS=""
SEEDS=0,1,2
SPLITS=W,S,P,C
while [ $# -gt 0 ]; do
  case "$1" in
    --jobs) JOBS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --seeds) SEEDS=$2; shift 2 ;;
    --splits) SPLITS=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "error: unknown option $1 (see the comment at the top of $0)" >&2; exit 2 ;;
  esac
done
EXTRA=("$@")
CORES=$(nproc)
JOBS=${JOBS:-$(( CORES / THREADS > 0 ? CORES / THREADS : 1 ))}
LOGS=${PAFAS_WORKSPACE:-workspace}/reproduce/parallel
mkdir -p "$LOGS"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 OMP_NUM_THREADS=$THREADS MKL_NUM_THREADS=$THREADS
export PAFAS_REPRODUCE_PROCESSES=$JOBS

echo "reproduce_parallel: $(hostname), $CORES cores, $JOBS processes x $THREADS threads, seeds $SEEDS, splits $SPLITS," \
     "$(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
$PAFAS reproduce --plan --seeds "$SEEDS" --splits "$SPLITS" "${EXTRA[@]}" | tail -4

one() {  # split seed
  local split=$1 seed=$2 nsweep=()
  [ "$split" = W ] || nsweep=(--n-values "")
  local started=$SECONDS
  $PAFAS reproduce "${EXTRA[@]}" --splits "$split" --seeds "$seed" "${nsweep[@]}" --report "$LOGS/$split-s$seed.md" \
    > "$LOGS/$split-s$seed.log" 2>&1
  local rc=$?
  echo "$split seed $seed: exit $rc after $(( (SECONDS - started) / 60 )) min (log $LOGS/$split-s$seed.log)"
  return $rc
}
failed=0
pids=()
for seed in ${SEEDS//,/ }; do
  for split in ${SPLITS//,/ }; do
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do sleep 2; done
    one "$split" "$seed" &
    pids+=($!)
  done
done
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done

$PAFAS reproduce --report-only --seeds "$SEEDS" --splits "$SPLITS" "${EXTRA[@]}" || failed=1
[ $failed -eq 0 ] || echo "some processes failed: rerun the same command to measure their cells"
exit $failed
