"""One training run inside one workspace version, on one or many processes.

`with training_version(plan) as run:` is where a run happens. Rank 0 decides how to resume, creates (or
reopens) the `vNNN.partial` version and shares its folder and checkpoint with the other ranks; every rank
trains inside the block; rank 0 records the metrics the block gave to `run.record`, which ranks finished,
drops the checkpoints and completes the version. An exception leaves the version unfinished (failed or
interrupted) with its checkpoints, for `--resume`.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pafas_cli.console import console, tagged
from pafas_cli.train import distributed
from pafas_cli.train.callbacks import COMPLETIONS_FILE, METRICS_FILE, SELECT_FILE, truncate_after
from pafas_cli.train.resume import CHECKPOINTS, checkpoint_step, plan_resume


@dataclass(frozen=True)
class RunDir:
    """What a rank needs to train: where to write and what to resume from."""

    path: Path
    checkpoint: Path | None
    is_main: bool
    rank: int
    world_size: int
    # Rank 0's version writer (None on the other ranks).
    writer: Any = None

    @property
    def checkpoints(self) -> Path:
        return self.path / CHECKPOINTS

    def record(self, metrics: dict) -> None:
        """The run's summary metrics, into the manifest (rank 0; a no-op elsewhere)."""
        if self.writer is not None:
            self.writer.set_metrics(metrics)


@contextmanager
def training_version(plan: Any, inputs: Sequence[dict] = ()) -> Iterator[RunDir]:
    """The version `plan` trains into, open for the block on every rank (see the module docstring); `inputs`
    are manifest entries the run found itself (pretrain's corpus)."""
    state = distributed.state()
    writer = None
    payload = None
    if state.is_main_process:
        resume = plan_resume(plan.workspace, plan.stage, plan.resume, plan.recorded)
        console.print(tagged(f"{plan.stage}:", "bold", resume.message))
        writer = plan.start(resume=resume.version, inputs=inputs)
        if resume.checkpoint is not None:
            step = checkpoint_step(resume.checkpoint)
            for name in (METRICS_FILE, COMPLETIONS_FILE, SELECT_FILE):
                truncate_after(writer.path / name, step)
        payload = (str(writer.path), str(resume.checkpoint) if resume.checkpoint else None)
    path, checkpoint = distributed.share(payload)
    run = RunDir(Path(path), Path(checkpoint) if checkpoint else None, state.is_main_process,
                 state.process_index, state.num_processes, writer)
    if writer is None:
        yield run
        distributed.gather(run.rank)
        return
    with writer:
        writer.update(recipe=plan.recorded, world_size=run.world_size, resumed_from=str(run.checkpoint) if run.checkpoint else None)
        yield run
        writer.update(ranks_finished=distributed.gather(run.rank))
        if not plan.section.keep_checkpoints:
            shutil.rmtree(run.checkpoints, ignore_errors=True)
    console.print(tagged("saved", "green", f"{plan.stage}:{writer.version} -> {writer.path}"))


def quiet_libraries() -> None:
    """No tqdm bars from transformers (weights, shards) or datasets: the stage shows one rich bar."""
    import datasets
    from transformers.utils import logging as hf_logging

    datasets.disable_progress_bars()
    hf_logging.disable_progress_bar()
