"""One training run inside one workspace version, on one or many processes.

Rank 0 decides how to resume, creates (or reopens) the `vNNN.partial` version and shares its folder
and checkpoint with the other ranks; every rank trains; rank 0 records the metrics and which ranks
finished, drops the checkpoints and completes the version. Failures leave the version unfinished
(failed / interrupted) with its checkpoints, for `--resume`.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pafas_cli.console import console, tagged
from pafas_cli.train import distributed
from pafas_cli.train.callbacks import COMPLETIONS_FILE, METRICS_FILE, truncate_after
from pafas_cli.train.resume import CHECKPOINTS, checkpoint_step, plan_resume
from pafas_cli.workspace import Workspace


@dataclass(frozen=True)
class RunDir:
    """What a rank needs to train: where to write and what to resume from."""

    path: Path
    checkpoint: Path | None
    is_main: bool
    rank: int
    world_size: int

    @property
    def checkpoints(self) -> Path:
        return self.path / CHECKPOINTS


def run_stage(stage: str, recipe, ws: Workspace, resume: str, inputs: list[dict],
              keep_checkpoints: bool, train: Callable[[RunDir], dict]) -> Path | None:
    """Train `stage` into a version; `train(run)` returns the metrics summary (used from rank 0).

    Returns the completed version folder on rank 0, None on other ranks.
    """
    state = distributed.state()
    writer = None
    payload = None
    if state.is_main_process:
        sections = {"seed": recipe.seed, stage: recipe.to_dict()[stage]}
        plan = plan_resume(ws, stage, resume, sections)
        console.print(tagged(f"{stage}:", "bold", plan.message))
        writer = ws.start(stage, sections, inputs, seed=recipe.seed, resume=plan.version)
        if plan.checkpoint is not None:
            step = checkpoint_step(plan.checkpoint)
            for name in (METRICS_FILE, COMPLETIONS_FILE):
                truncate_after(writer.path / name, step)
        payload = (str(writer.path), str(plan.checkpoint) if plan.checkpoint else None)
    path, checkpoint = distributed.share(payload)
    run = RunDir(Path(path), Path(checkpoint) if checkpoint else None, state.is_main_process,
                 state.process_index, state.num_processes)
    if writer is None:
        train(run)
        distributed.gather(run.rank)
        return None
    with writer:
        writer.update(recipe=sections, world_size=run.world_size,
                      resumed_from=str(run.checkpoint) if run.checkpoint else None)
        metrics = train(run)
        ranks = distributed.gather(run.rank)
        writer.update(ranks_finished=ranks)
        writer.set_metrics(metrics)
        if not keep_checkpoints:
            shutil.rmtree(run.checkpoints, ignore_errors=True)
    console.print(tagged("saved", "green", f"{stage}:{writer.version} -> {writer.path}"))
    return writer.path
