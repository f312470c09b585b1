"""Experiment tracking through TRL's `report_to`: TensorBoard, Trackio, W&B, ... named after the version.

`sft.report_to` / `rl.report_to` (a list, [] = none) go to the trainer as they are, with the run named
after the version it trains (`sft:v003`) and the project `pafas` (Trackio's grouping). Where a tracker keeps
files, they go into the version:

    tensorboard  <version>/runs/ (event files; `tensorboard --logdir workspace` shows every run)
    wandb        <version>/runs/wandb/ (WANDB_DIR, unless the user set it)
    others       where the tracker itself keeps them (Trackio: its local database, `trackio show`)

While a run trains its version is `vNNN.partial/`, renamed to `vNNN/` when complete, so TensorBoard shows
it under the new name from then on. A resumed run appends to the same `runs/` folder: the steps after the
checkpoint it resumed from appear twice (the killed run's and the resumed run's), metrics.jsonl keeps one.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pafas_cli.errors import PafasError

RUNS_DIR = "runs"
PROJECT = "pafas"
# The import name of each tracker's package, where it differs from the tracker name; its pip name.
MODULES = {"tensorboard": ("tensorboard", "tensorboard"), "wandb": ("wandb", "wandb"),
           "trackio": ("trackio", "trackio"), "mlflow": ("mlflow", "mlflow"), "comet_ml": ("comet_ml", "comet_ml"),
           "clearml": ("clearml", "clearml"), "dvclive": ("dvclive", "dvclive"), "swanlab": ("swanlab", "swanlab"),
           "codecarbon": ("codecarbon", "codecarbon"), "azure_ml": ("azureml", "azureml-sdk"),
           "dagshub": ("dagshub", "dagshub"), "flyte": ("flytekit", "flytekit")}


def check_trackers(section: str, trackers: list[str]) -> None:
    """A PafasError naming the first tracker whose package is not installed (before any version is made)."""
    for name in trackers:
        module, package = MODULES.get(name, (name, name))
        if importlib.util.find_spec(module) is None:
            extra = " (or pip install 'pafas[track]')" if name == "tensorboard" else ""
            raise PafasError(f"{section}.report_to: {name} is not installed: pip install {package}{extra}; "
                             f"or drop it from {section}.report_to")


def run_name(stage: str, version_dir: Path) -> str:
    """`sft:v003` for `.../sft/v003.partial` (the name the version will have)."""
    return f"{stage}:{version_dir.name.split('.')[0]}"


def tracking_kwargs(trackers: list[str], stage: str, version_dir: Path) -> dict[str, Any]:
    """report_to, run_name and project for a TRL config."""
    return {"report_to": list(trackers) or "none", "run_name": run_name(stage, version_dir), "project": PROJECT}


def attach(trainer: Any, version_dir: Path) -> None:
    """Point the trainer's TensorBoard callback at `<version>/runs/` (its default is the checkpoint folder,
    which is removed when the run completes)."""
    try:
        from transformers.integrations import TensorBoardCallback
    except ImportError:  # pragma: no cover - transformers always has it
        return
    for callback in trainer.callback_handler.callbacks:
        if isinstance(callback, TensorBoardCallback):
            callback.logging_dir = str(version_dir / RUNS_DIR)


@contextmanager
def tracking_environment(trackers: list[str], version_dir: Path) -> Iterator[None]:
    """W&B keeps its files in `<version>/runs/` while training (unless WANDB_DIR is set); restored after."""
    saved = os.environ.get("WANDB_DIR")
    if "wandb" in trackers and saved is None:
        (version_dir / RUNS_DIR).mkdir(parents=True, exist_ok=True)
        os.environ["WANDB_DIR"] = str(version_dir / RUNS_DIR)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("WANDB_DIR", None)
