"""GRPO speed: the toolkit as shipped against bare TRL, and against itself with its speed levers off (TRL's
generation, TRL's fused log-probabilities, no image cache), with the rewards of the two compared.

Three arms train from the same model on the same data with the same seed, alternating (arm 1, 2, 3, arm 1,
2, 3, ...) so machine load hits all alike:
  - bare TRL: a plain GRPOTrainer script with the quickstart settings and TRL's default generation (HF
    `generate`, dynamic cache, one generation per optimiser step);
  - pafas as shipped: `pafas rl` with the quickstart recipe as it is (pafas' decoder, log-probabilities on the
    completion positions, the image cache);
  - pafas + OPTION: the same with the settings below (the levers off: what pafas ran before them).
Each arm logs every step. Printed: the mean optimiser-step time after WARMUP steps (the median of the
repeats' means) and its ratio to bare TRL, and the per-step mean rewards of the two pafas arms side by side
with a two-sided Welch t-test and a Mann-Whitney U test over all their logged steps (same recipe but for the
option; the decoder samples the same distribution with other draws, so the rewards should not differ beyond
noise: p > 0.05 = no detectable difference).

    python bench/bench_rl.py --workspace workspace/demo --steps 30 --repeats 2
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pafas_cli.env import configure_network  # noqa: E402

configure_network(False)

WARMUP = 3
# The settings measured against the recipe as shipped: pafas' speed levers off.
OPTION = ["rl.decoder=hf", "rl.logprobs=trl", "rl.image_cache_mib=0"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workspace", default=os.environ.get("PAFAS_WORKSPACE", "workspace"))
    parser.add_argument("--model", default="sft:latest", help="the model GRPO starts from (a trained SFT model)")
    parser.add_argument("--paths", default="paths:latest")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=2)
    opts = parser.parse_args()

    from scipy import stats

    from bench_train_overhead import bare_rl, pafas_stage, step_timer

    from pafas_cli.config import load_recipe
    from pafas_cli.console import console, rows_table
    from pafas_cli.workspace import Workspace

    ws = Workspace(opts.workspace)
    common = [f"rl.model={ws.resolve(opts.model, allow_hub=True).path}",
              f"rl.paths={ws.resolve(opts.paths, stage='paths').path}", f"rl.max_steps={opts.steps}",
              "rl.save_steps=0", "rl.logging_steps=1"]
    shipped = load_recipe("quickstart/grpo.yaml", common)
    option = f"pafas + {' '.join(o.removeprefix('rl.') for o in OPTION)}"
    arms = {
        "bare TRL (default generation)": lambda out, timer: bare_rl(ws, shipped, out, timer),
        "pafas as shipped": lambda out, timer: pafas_stage("rl", Workspace(out / "ws"), shipped, timer),
        option: lambda out, timer: pafas_stage(
            "rl", Workspace(out / "ws"), load_recipe("quickstart/grpo.yaml", [*common, *OPTION]), timer),
    }
    step_means: dict[str, list[float]] = {name: [] for name in arms}
    rewards: dict[str, list[float]] = {name: [] for name in arms}
    with tempfile.TemporaryDirectory() as scratch:
        for repeat in range(opts.repeats):
            for i, (name, run) in enumerate(arms.items()):
                timer = step_timer()
                run(Path(scratch) / f"{repeat}-{i}", timer)
                later = timer.times[WARMUP:] if len(timer.times) > WARMUP + 2 else timer.times
                # The mean, not the median: with k steps per generation, one step in k carries the generation.
                step_means[name].append(statistics.mean(later))
                rewards[name] += timer.rewards
    bare = statistics.median(step_means["bare TRL (default generation)"])
    rows = [(name, opts.steps, opts.repeats, f"{statistics.median(m):.3f}", f"{statistics.median(m) / bare:.2f}x",
             f"{statistics.mean(rewards[name]):.3f} ± {statistics.stdev(rewards[name]):.3f}")
            for name, m in step_means.items()]
    console.print(rows_table(f"GRPO optimiser step, quickstart recipe ({shipped.rl.batch_size} completions per step)",
                             ["arm", "steps", "repeats", "mean step s", "vs bare TRL", "mean reward per generation"],
                             rows))
    shipped_s = statistics.median(step_means["pafas as shipped"])
    ratio = shipped_s / statistics.median(step_means[option])
    console.print(f"step time of pafas as shipped / bare TRL: {shipped_s / bare:.2f}x; / its levers off: "
                  f"{ratio:.2f}x (target <= 0.6x: {'met' if ratio <= 0.6 else 'NOT met'})")
    on, base_rewards = rewards[option], rewards["pafas as shipped"]
    welch = stats.ttest_ind(on, base_rewards, equal_var=False)
    mwu = stats.mannwhitneyu(on, base_rewards, alternative="two-sided")
    console.print(f"rewards, {option} vs as shipped ({len(on)} vs {len(base_rewards)} generations): mean "
                  f"{statistics.mean(on):.3f} vs {statistics.mean(base_rewards):.3f}; Welch t-test p = "
                  f"{welch.pvalue:.2f}, Mann-Whitney U p = {mwu.pvalue:.2f} (p > 0.05: no detectable difference)")


if __name__ == "__main__":
    main()
