"""Run a TRL trainer with pafas' progress bar and logs, resuming from the run's checkpoint, and summarise.

The checkpoint goes to `trainer.train(resume_from_checkpoint=...)`: setting it on the TRL config
alone restarts at step 0 (huggingface/trl#3179).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from pafas_cli.console import console, kv_table
from pafas_cli.train.callbacks import (COMPLETIONS_FILE, METRICS_FILE, CompletionSamples, JsonlLog, ProgressBar,
                                       quiet, read_jsonl)
from pafas_cli.train.restore import StopOnNonFinite, verified_resume
from pafas_cli.train.resume import checkpoint_step
from pafas_cli.train.session import RunDir


def fit(trainer: Any, run: RunDir, description: str, shown: Sequence[str], completions: int = 0) -> list[dict]:
    """Train to the end; returns the run's full log (rank 0; empty elsewhere)."""
    quiet(trainer)
    verified_resume(trainer)
    trainer.add_callback(StopOnNonFinite())
    start = checkpoint_step(run.checkpoint) if run.checkpoint else 0
    trainer.add_callback(ProgressBar(description, shown, start_step=start))
    if run.is_main:
        trainer.add_callback(JsonlLog(run.path / METRICS_FILE))
        if completions:
            samples = CompletionSamples(run.path / COMPLETIONS_FILE, completions)
            samples.trainer = trainer
            trainer.add_callback(samples)
    with warnings.catch_warnings():
        # TRL 1.16 still calls transformers' deprecated `is_gradient_checkpointing` every step.
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        trainer.train(resume_from_checkpoint=str(run.checkpoint) if run.checkpoint else None)
    return read_jsonl(run.path / METRICS_FILE) if run.is_main else []


def summarise(records: Sequence[dict], keys: Sequence[str], window: int = 3) -> dict[str, float]:
    """`<key>_start` / `<key>_end`: means of the first and last `window` logged values of each key.

    Also `steps` and `seconds_per_step` (from the trainer's final record of this session).
    """
    out: dict[str, float] = {}
    for key in keys:
        values = [r[key] for r in records if isinstance(r.get(key), (int, float)) and "train_runtime" not in r]
        if values:
            name = key.removeprefix("rewards/").removesuffix("/mean").replace("/", "_")
            out[f"{name}_start"] = round(sum(values[:window]) / len(values[:window]), 4)
            out[f"{name}_end"] = round(sum(values[-window:]) / len(values[-window:]), 4)
    steps = [r["step"] for r in records if "step" in r]
    if steps:
        out["steps"] = max(steps)
    final = [r for r in records if "train_runtime" in r]
    if final:
        out["train_seconds"] = round(float(final[-1]["train_runtime"]), 2)
    return out


def print_summary(title: str, metrics: dict) -> None:
    console.print(kv_table(title, metrics))
