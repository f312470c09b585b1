"""SFT and GRPO optimiser-step time with each speed lever of pafas on its own and all together, against the
TRL paths (every lever off): the per-image processor cache (`image_cache_mib`), the log-probabilities on the
label positions (`logprobs: pafas`) and, for GRPO, pafas' decoder (`rl.decoder: pafas`).

Every arm is `pafas sft` / `pafas rl` with the quickstart recipe and the arm's `--set`s, from the same model and
data with the same seed, in this one process; the arms alternate (arm 1, 2, ..., arm 1, 2, ...) so machine load
hits them alike. Printed per arm: the mean optimiser-step time after WARMUP steps in wall and CPU seconds (the
median over repeats; the mean, not the median step, so a step that carries more work is counted), its ratio to
the TRL-paths arm, and for GRPO the mean logged reward. Levers that keep the numbers (the cache: identical
tensors; logprobs: equal to float rounding) change only time; the decoder samples the same distribution with
other draws, so rewards move within noise (bench/bench_rl.py tests it over longer runs).

    python bench/bench_levers.py --workspace workspace/demo --sft-steps 30 --rl-steps 8 --repeats 2
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pafas_cli.env import configure_network  # noqa: E402

configure_network(False)

WARMUP = 3
OFF = {"sft": ["sft.image_cache_mib=0", "sft.logprobs=trl"],
       "rl": ["rl.image_cache_mib=0", "rl.logprobs=trl", "rl.decoder=hf"]}
ARMS = {
    "sft": {"TRL paths (levers off)": OFF["sft"],
            "image cache only": ["sft.logprobs=trl"],
            "logprobs: pafas only": ["sft.image_cache_mib=0", "sft.logprobs=pafas"],
            "all levers (shipped)": []},
    "rl": {"TRL paths (levers off)": OFF["rl"],
           "image cache only": ["rl.logprobs=trl", "rl.decoder=hf"],
           "logprobs: pafas only": ["rl.image_cache_mib=0", "rl.logprobs=pafas", "rl.decoder=hf"],
           "decoder: pafas only": ["rl.image_cache_mib=0", "rl.logprobs=trl", "rl.decoder=pafas"],
           "all levers (shipped)": []},
}


def step_clock():
    from transformers import TrainerCallback

    class StepClock(TrainerCallback):
        """Wall and CPU seconds of every optimiser step, and every logged mean reward."""

        def __init__(self):
            self.wall, self.cpu, self.rewards = [], [], []

        def on_step_begin(self, args, state, control, **kwargs):
            self._t = (time.perf_counter(), time.process_time())

        def on_step_end(self, args, state, control, **kwargs):
            self.wall.append(time.perf_counter() - self._t[0])
            self.cpu.append(time.process_time() - self._t[1])

        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "reward" in logs:
                self.rewards.append(float(logs["reward"]))

    return StepClock()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workspace", default=os.environ.get("PAFAS_WORKSPACE", "workspace"))
    parser.add_argument("--sft-model", default="model:latest", help="what SFT starts from")
    parser.add_argument("--rl-model", default="sft:latest", help="what GRPO starts from (a trained SFT model)")
    parser.add_argument("--paths", default="paths:latest")
    parser.add_argument("--sft-steps", type=int, default=30)
    parser.add_argument("--rl-steps", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--stages", default="sft,rl")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (pinned for the whole run)")
    opts = parser.parse_args()

    import torch

    torch.set_num_threads(opts.threads)
    from bench_train_overhead import pafas_stage

    from pafas_cli.config import load_recipe
    from pafas_cli.console import console, rows_table
    from pafas_cli.workspace import Workspace

    ws = Workspace(opts.workspace)
    paths = ws.resolve(opts.paths, stage="paths").path
    models = {"sft": opts.sft_model, "rl": opts.rl_model}
    steps = {"sft": opts.sft_steps, "rl": opts.rl_steps}
    files = {"sft": "quickstart/sft.yaml", "rl": "quickstart/grpo.yaml"}
    for stage in opts.stages.split(","):
        common = [f"{stage}.model={ws.resolve(models[stage], allow_hub=True).path}", f"{stage}.paths={paths}",
                  f"{stage}.max_steps={steps[stage]}", f"{stage}.save_steps=0", f"{stage}.logging_steps=1"]
        runs: dict[str, dict[str, list[float]]] = {a: {"wall": [], "cpu": [], "rewards": []} for a in ARMS[stage]}
        with tempfile.TemporaryDirectory() as scratch:
            for repeat in range(opts.repeats):
                for i, (arm, sets) in enumerate(ARMS[stage].items()):
                    clock = step_clock()
                    recipe = load_recipe(files[stage], [*common, *sets])
                    pafas_stage(stage, Workspace(Path(scratch) / f"{repeat}-{i}"), recipe, clock)
                    runs[arm]["wall"].append(statistics.mean(clock.wall[WARMUP:]))
                    runs[arm]["cpu"].append(statistics.mean(clock.cpu[WARMUP:]))
                    runs[arm]["rewards"] += clock.rewards
        base = runs["TRL paths (levers off)"]
        rows = []
        for arm, r in runs.items():
            wall, cpu = statistics.median(r["wall"]), statistics.median(r["cpu"])
            rows.append((arm, steps[stage], opts.repeats, f"{wall:.3f}", f"{wall / statistics.median(base['wall']):.2f}x",
                         f"{cpu:.3f}", f"{cpu / statistics.median(base['cpu']):.2f}x",
                         f"{statistics.mean(r['rewards']):.3f}" if r["rewards"] else ""))
        console.print(rows_table(f"{stage} optimiser step, quickstart recipe, {torch.get_num_threads()} torch "
                                 f"thread(s)", ["arm", "steps", "repeats", "mean step wall s", "vs TRL paths",
                                                "mean step CPU s", "CPU vs TRL paths", "mean reward"], rows))


if __name__ == "__main__":
    main()
