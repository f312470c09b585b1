"""Step time of `pafas sft` / `pafas rl` against a bare TRL script with the same model, data and settings.

Both sides train from the same workspace inputs in this one process, alternating (bare, pafas, bare,
pafas, ...) so machine load hits both alike, and the same timing callback records every optimiser
step. The median step time (first steps dropped as warm-up) is compared; the target overhead is < 5%.

    python bench/bench_train_overhead.py --workspace workspace        # needs paths, model and sft versions
    python bench/bench_train_overhead.py --sft-steps 40 --rl-steps 10 --repeats 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

WARMUP = 3


def step_timer():
    from transformers import TrainerCallback

    class StepTimer(TrainerCallback):
        """Seconds per optimiser step, and the mean reward of every logged GRPO step."""

        def __init__(self):
            self.times: list[float] = []
            self.rewards: list[float] = []
            self._t = None

        def on_step_begin(self, args, state, control, **kwargs):
            self._t = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            self.times.append(time.perf_counter() - self._t)

        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "reward" in logs:
                self.rewards.append(float(logs["reward"]))

    return StepTimer()


def bare_sft(ws, recipe, out: Path, timer) -> None:
    """What a user would write with TRL alone: load, configure, train."""
    from trl import SFTConfig, SFTTrainer

    from pafas_cli.model.loader import load_model
    from pafas_cli.paths.store import load_sft
    from pafas_cli.train.args import checkpointing_key

    cfg = recipe.sft
    loaded = load_model(cfg.model, ws)
    data = load_sft(ws.resolve(cfg.paths, stage="paths").path)
    args = SFTConfig(output_dir=str(out), max_steps=cfg.max_steps, per_device_train_batch_size=cfg.batch_size,
                     learning_rate=cfg.learning_rate, lr_scheduler_type=cfg.lr_scheduler,
                     warmup_steps=cfg.warmup_steps, logging_steps=cfg.logging_steps, save_strategy="no",
                     report_to="none", use_cpu=True, bf16=False, max_length=None, completion_only_loss=True,
                     seed=recipe.seed, **{checkpointing_key(): False})
    trainer = SFTTrainer(model=loaded.model, args=args, train_dataset=data, processing_class=loaded.processor,
                         callbacks=[timer])
    trainer.train()


def bare_rl(ws, recipe, out: Path, timer) -> None:
    from trl import GRPOConfig, GRPOTrainer

    from pafas_cli.model.loader import load_model
    from pafas_cli.paths.store import load_rl
    from pafas_cli.train.args import checkpointing_key
    from pafas_cli.train.rewards import REWARDS

    from pafas_cli.train.grpo import completion_budget

    cfg = recipe.rl
    loaded = load_model(cfg.model, ws)
    paths_dir = ws.resolve(cfg.paths, stage="paths").path
    data = load_rl(paths_dir)
    # The same completion budget pafas derives when the recipe leaves it null: given None, TRL leaves the length
    # to the model's generation defaults, and bare TRL once looked 1.5x faster for generating less.
    budget = cfg.max_completion_length or completion_budget(paths_dir, loaded.processor.tokenizer)
    args = GRPOConfig(output_dir=str(out), max_steps=cfg.max_steps, per_device_train_batch_size=cfg.batch_size,
                      learning_rate=cfg.learning_rate, lr_scheduler_type=cfg.lr_scheduler,
                      warmup_steps=cfg.warmup_steps, logging_steps=cfg.logging_steps, save_strategy="no",
                      report_to="none", use_cpu=True, bf16=False, **{checkpointing_key(): False},
                      num_generations=cfg.num_generations, max_completion_length=budget,
                      mask_truncated_completions=cfg.mask_truncated_completions,
                      temperature=cfg.temperature, beta=cfg.beta, loss_type=cfg.loss_type,
                      reward_weights=[float(w) for w in cfg.rewards.values()], seed=recipe.seed)
    trainer = GRPOTrainer(model=loaded.model, reward_funcs=[REWARDS[name] for name in cfg.rewards], args=args,
                          train_dataset=data, processing_class=loaded.processor, callbacks=[timer])
    trainer.train()


def pafas_stage(stage: str, ws, recipe, timer) -> None:
    """The real command, with the timing callback slipped in through the trainer builder."""
    from pafas_cli.commands import rl, sft
    from pafas_cli.train import grpo
    from pafas_cli.train import sft as sft_train
    from pafas_cli.train.plan import resolve_rl, resolve_sft

    module = sft_train if stage == "sft" else grpo
    original = module.build_trainer

    def build(*args, **kwargs):
        trainer = original(*args, **kwargs)
        trainer.add_callback(timer)
        return trainer

    module.build_trainer = build
    try:
        if stage == "sft":
            sft.run(resolve_sft(recipe, ws, resume="never"))
        else:
            rl.run(resolve_rl(recipe, ws, resume="never"))
    finally:
        module.build_trainer = original


def median_step(times: list[float]) -> float:
    return statistics.median(times[WARMUP:] if len(times) > WARMUP + 2 else times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workspace", default=os.environ.get("PAFAS_WORKSPACE", "workspace"))
    parser.add_argument("--sft-steps", type=int, default=30)
    parser.add_argument("--rl-steps", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--stages", default="sft,rl")
    opts = parser.parse_args()

    from pafas_cli.config import load_recipe
    from pafas_cli.console import console, rows_table
    from pafas_cli.workspace import Workspace

    ws = Workspace(opts.workspace)
    steps = {"sft": opts.sft_steps, "rl": opts.rl_steps}
    files = {"sft": "quickstart/sft.yaml", "rl": "quickstart/grpo.yaml"}
    bare = {"sft": bare_sft, "rl": bare_rl}
    rows = []
    for stage in opts.stages.split(","):
        # Inputs come from the given workspace as folders; outputs go to a scratch workspace.
        section = getattr(load_recipe(files[stage]), stage)
        inputs = [f"{stage}.model={ws.resolve(section.model, allow_hub=True).path}",
                  f"{stage}.paths={ws.resolve(section.paths, stage='paths').path}"]
        recipe = load_recipe(files[stage], [*inputs, f"{stage}.max_steps={steps[stage]}", f"{stage}.save_steps=0",
                                            f"{stage}.logging_steps=5"])
        times: dict[str, list[float]] = {"bare TRL": [], "pafas": []}
        with tempfile.TemporaryDirectory() as scratch:
            for i in range(opts.repeats):
                timer = step_timer()
                bare[stage](ws, recipe, Path(scratch) / f"bare{i}", timer)
                times["bare TRL"].append(median_step(timer.times))
                timer = step_timer()
                pafas_stage(stage, Workspace(Path(scratch) / "ws"), recipe, timer)
                times["pafas"].append(median_step(timer.times))
        base = statistics.median(times["bare TRL"])
        ours = statistics.median(times["pafas"])
        rows.append((stage, steps[stage], opts.repeats, f"{base:.4f}", f"{ours:.4f}",
                     f"{100 * (ours - base) / base:+.1f}%"))
    console.print(rows_table("median optimiser-step time (s), same model/data/settings",
                             ["stage", "steps", "repeats", "bare TRL", "pafas", "overhead"], rows))


if __name__ == "__main__":
    main()
