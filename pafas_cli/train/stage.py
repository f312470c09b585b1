"""The flow `pafas sft` and `pafas rl` share: load and check inputs, train in a version, save, report.

Inputs are loaded and checked on every rank before any version is created, so a bad dataset or a
model/processor mismatch fails in seconds and leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pafas_cli.errors import PafasError
from pafas_cli.spec import Spec, model_spec, read_spec, write_spec
from pafas_cli.train.checks import check_dataset, check_model
from pafas_cli.train.config import TrainSection
from pafas_cli.train.fit import fit, print_summary, summarise
from pafas_cli.train.plots import plot_curves
from pafas_cli.train.save import save_trained
from pafas_cli.train.session import RunDir, run_stage
from pafas_cli.train.tracking import attach as attach_trackers, check_trackers, tracking_environment
from pafas_cli.workspace import Workspace


@dataclass(frozen=True)
class StageSpec:
    """What differs between the SFT and the RL stage."""

    # Workspace stage name (also the recipe section).
    name: str
    # paths version folder -> training dataset.
    load_dataset: Callable[[Path], Any]
    # Columns the dataset must have; the column holding the conversation with image placeholders.
    columns: Sequence[str]
    conversation_column: str
    # (cfg, seed, model, processor, dataset, run) -> TRL trainer.
    build_trainer: Callable[..., Any]
    # Metrics on the progress bar, in the start/end summary, and in the curves PNG.
    shown: Sequence[str]
    summary_keys: Sequence[str]
    plot_keys: Sequence[str]
    plot_file: str
    # GRPO completions written per logging step.
    completions: int = 0


def train_stage(spec: StageSpec, cfg: TrainSection, recipe: Any, ws: Workspace, resume: str) -> Path | None:
    """Train `spec` with `cfg`; returns the completed version folder (rank 0) or None (other ranks)."""
    from pafas_cli.model.loader import load_model

    check_trackers(spec.name, cfg.report_to)
    quiet_libraries()
    paths = ws.resolve(cfg.paths, stage="paths")
    dataset = spec.load_dataset(paths.path)
    check_dataset(dataset, spec.columns, spec.conversation_column, f"{spec.name}.paths ({paths.ref} -> {paths.path})")
    loaded = load_model(cfg.model, ws)
    check_model(loaded.model, loaded.processor, f"{spec.name}.model ({cfg.model})")
    model_input = loaded.resolved.as_input("model")
    inputs = [paths.as_input("paths"), model_input]
    made = trained_spec(spec.name, paths, loaded.resolved)

    def train(run: RunDir) -> dict:
        trainer = spec.build_trainer(cfg, recipe.seed, loaded.model, loaded.processor, dataset, run)
        attach_trackers(trainer, run.path)
        with tracking_environment(cfg.report_to, run.path):
            records = fit(trainer, run, spec.name, spec.shown, spec.completions)
        save_trained(trainer, cfg, run.path, run.is_main, loaded.processor,
                     load_base=lambda: load_model(cfg.model, ws, device="cpu").model)
        if not run.is_main:
            return {}
        metrics = summarise(records, spec.summary_keys)
        metrics["world_size"] = run.world_size
        plot_curves(records, spec.plot_keys, run.path / spec.plot_file, f"{spec.name} ({cfg.model})")
        write_spec(run.path, made)
        print_summary(f"{spec.name}: key metrics", metrics)
        return metrics

    return run_stage(spec.name, recipe, ws, resume, inputs, cfg.keep_checkpoints, train)


def trained_spec(stage: str, paths: Any, model: Any) -> Spec:
    """What the trained version will be: the data's image size and answer format, checked against the model's.

    A model initialised for another image size than the data's would train on images its processor
    resizes again: that mismatch is refused here, naming both, before any training."""
    data, base = read_spec(paths.path), model_spec(model)
    model_size, data_size = (base.image_size if base else None), (data.image_size if data else None)
    if model_size is not None and data_size is not None and model_size != data_size:
        raise PafasError(f"{stage}.model: {model.ref} was built for {model_size}-px images, but {paths.ref} holds "
                         f"{data_size}-px images; use a model made from that paths version (pafas init-model) "
                         "or a paths version of its size")
    return Spec(stage, model_size or data_size, data.answer_format if data else None, str(paths.path),
                str(model.path) if model.path else model.ref)


def quiet_libraries() -> None:
    """No tqdm bars from transformers (weights, shards) or datasets: the stage shows one rich bar."""
    import datasets
    from transformers.utils import logging as hf_logging

    datasets.disable_progress_bars()
    hf_logging.disable_progress_bar()
