"""Trainer callbacks: one rich progress bar, the metrics.jsonl log and GRPO completion samples.

TRL/transformers print a tqdm bar and every log dict; `quiet` removes both so the only live output is
`ProgressBar` (step, loss or reward, ETA). All file writing happens on the main process only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from pafas_cli.console import fmt, make_progress

METRICS_FILE = "metrics.jsonl"
COMPLETIONS_FILE = "completions.jsonl"
# GRPO's dev reward at each evaluation of the step selection (train/select.py).
SELECT_FILE = "select.jsonl"


def quiet(trainer: Any) -> None:
    """Drop transformers' tqdm bar and log printer (we show our own)."""
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    for cls in (PrinterCallback, ProgressCallback):
        trainer.remove_callback(cls)


class ProgressBar(TrainerCallback):
    """One rich bar: step / max_steps, the latest value of each `shown` metric, elapsed and ETA."""

    def __init__(self, description: str, shown: Sequence[str], start_step: int = 0):
        # The trainer loads a checkpoint's step only after on_train_begin, so the caller passes it.
        self.description = description
        self.shown = list(shown)
        self.start_step = start_step
        self.progress = None
        self.task = None

    def on_train_begin(self, args, state, control, **kwargs):
        if not state.is_world_process_zero:
            return
        self.progress = make_progress(**{name.replace("/", "_"): "" for name in self.shown})
        self.progress.start()
        fields = {name.replace("/", "_"): f"{_short(name)} -" for name in self.shown}
        self.task = self.progress.add_task(self.description, total=state.max_steps,
                                           completed=self.start_step, **fields)

    def on_step_end(self, args, state, control, **kwargs):
        if self.progress is not None:
            self.progress.update(self.task, completed=state.global_step)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self.progress is None or not logs:
            return
        fields = {name.replace("/", "_"): f"{_short(name)} {fmt(logs[name])}" for name in self.shown
                  if isinstance(logs.get(name), (int, float))}
        self.progress.update(self.task, **fields)

    def on_train_end(self, args, state, control, **kwargs):
        if self.progress is not None:
            self.progress.update(self.task, completed=state.global_step)
            self.progress.stop()
            self.progress = None


def _short(name: str) -> str:
    """`rewards/classification/mean` -> `classification`; `frac_reward_zero_std` -> `zero_std`."""
    parts = name.split("/")
    short = parts[1] if len(parts) == 3 and parts[0] == "rewards" else parts[-1]
    return short.removeprefix("frac_reward_")


class JsonlLog(TrainerCallback):
    """Append every training log (step, epoch and the logged values) to `metrics.jsonl`."""

    def __init__(self, path: Path):
        self.path = path

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs:
            return
        record = {"step": state.global_step, "epoch": state.epoch, **logs}
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, default=float) + "\n")


class CompletionSamples(TrainerCallback):
    """At each log, write the newest `count` GRPO completions with their rewards to `completions.jsonl`.

    Reads GRPOTrainer's `_logs` buffer (prompts, completions, per-reward values, advantages and
    `log_extra` columns, gathered from every process); set `trainer` after constructing the trainer.
    """

    def __init__(self, path: Path, count: int):
        self.path, self.count = path, count
        self.trainer: Any = None

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or self.trainer is None or self.count <= 0:
            return
        if logs and "train_runtime" in logs:  # the end-of-training summary, not a new batch
            return
        buf = self.trainer._logs
        total = len(buf["completion"])
        start = max(0, total - self.count)
        with self.path.open("a", encoding="utf-8") as fh:
            for i in range(start, total):
                record = {
                    "step": state.global_step,
                    "prompt": _text(buf["prompt"][i]),
                    "completion": _text(buf["completion"][i]),
                    "rewards": {name: values[i] for name, values in buf["rewards"].items() if i < len(values)},
                    "advantage": buf["advantages"][i] if i < len(buf["advantages"]) else None,
                    **{name: values[i] for name, values in buf["extra"].items() if i < len(values)},
                }
                fh.write(json.dumps(record, default=str) + "\n")


def _text(messages: Any) -> str:
    """The text parts of a conversation (images dropped), or the string itself."""
    if isinstance(messages, str):
        return messages
    parts = []
    for message in messages:
        content = message.get("content", "")
        if isinstance(content, str):
            parts.append(content)
        else:
            parts.extend(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return "\n".join(p for p in parts if p)


def read_jsonl(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def truncate_after(path: Path, step: int) -> None:
    """Drop records logged after `step` (a resumed run re-logs them from its checkpoint)."""
    if not path.is_file():
        return
    kept = [r for r in read_jsonl(path) if r.get("step", 0) <= step]
    path.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")
