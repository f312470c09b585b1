"""Memory over a long GRPO run: resident memory (and GPU memory) after every optimiser step.

Users of RL-for-VLM toolkits report memory climbing step after step with Qwen2.5-VL GRPO (caches,
logged tensors, images kept per step). This runs `pafas rl` in-process with the quickstart recipe for
`--steps` steps and records, after each step, the process's current RSS (from /proc/self/statm) and, on a
GPU, the allocated and reserved CUDA memory; it prints them at a few steps and the ratio of step N to step
20 (the check: at most 1.1x).

    python bench/bench_memory.py --workspace workspace/demo --steps 200
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pafas_cli.env import configure_network  # noqa: E402

configure_network(False)

REFERENCE_STEP = 20
LIMIT = 1.1


def current_rss_mib() -> float:
    """Resident memory now (not the peak): pages from /proc/self/statm."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def memory_recorder():
    from transformers import TrainerCallback

    class MemoryRecorder(TrainerCallback):
        def __init__(self):
            self.rss: list[float] = []
            self.gpu: list[tuple[float, float]] = []

        def on_step_end(self, args, state, control, **kwargs):
            import gc

            import torch

            gc.collect()  # what stays, not what the collector has yet to free
            self.rss.append(current_rss_mib())
            if torch.cuda.is_available():
                self.gpu.append((torch.cuda.memory_allocated() / 2**20, torch.cuda.memory_reserved() / 2**20))

    return MemoryRecorder()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workspace", default=os.environ.get("PAFAS_WORKSPACE", "workspace"))
    parser.add_argument("--model", default="sft:latest", help="the model GRPO starts from")
    parser.add_argument("--paths", default="paths:latest")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="recipe override (repeatable)")
    opts = parser.parse_args()
    if opts.steps < REFERENCE_STEP:
        parser.error(f"--steps must be at least {REFERENCE_STEP}")

    import tempfile

    from bench_train_overhead import pafas_stage

    from pafas_cli.config import load_recipe
    from pafas_cli.console import console, rows_table
    from pafas_cli.workspace import Workspace

    ws = Workspace(opts.workspace)
    recipe = load_recipe("quickstart/grpo.yaml", [
        f"rl.model={ws.resolve(opts.model, allow_hub=True).path}", f"rl.paths={ws.resolve(opts.paths, stage='paths').path}",
        f"rl.max_steps={opts.steps}", "rl.save_steps=0", "rl.logging_steps=10", *opts.overrides])
    recorder = memory_recorder()
    with tempfile.TemporaryDirectory() as scratch:
        pafas_stage("rl", Workspace(Path(scratch) / "ws"), recipe, recorder)
    rss = recorder.rss
    shown = sorted({1, 10, REFERENCE_STEP, 50, 100, 150, len(rss)} & set(range(1, len(rss) + 1)))
    columns = ["step", "RSS MiB"] + (["GPU allocated MiB", "GPU reserved MiB"] if recorder.gpu else [])
    rows = [[s, f"{rss[s - 1]:.0f}", *([f"{recorder.gpu[s - 1][0]:.0f}", f"{recorder.gpu[s - 1][1]:.0f}"]
                                       if recorder.gpu else [])] for s in shown]
    console.print(rows_table(f"memory after each GRPO step (quickstart recipe, {len(rss)} steps)", columns, rows))
    ratio = rss[-1] / rss[REFERENCE_STEP - 1]
    verdict = "met" if ratio <= LIMIT else "NOT met"
    console.print(f"RSS at step {len(rss)} / step {REFERENCE_STEP}: {ratio:.3f}x (target <= {LIMIT}x: {verdict}); "
                  f"min {min(rss[REFERENCE_STEP - 1:]):.0f} MiB, max {max(rss[REFERENCE_STEP - 1:]):.0f} MiB "
                  f"over steps {REFERENCE_STEP}-{len(rss)}")
    if recorder.gpu:
        g = recorder.gpu
        console.print(f"GPU allocated at step {len(g)} / step {REFERENCE_STEP}: "
                      f"{g[-1][0] / g[REFERENCE_STEP - 1][0]:.3f}x")


if __name__ == "__main__":
    main()
