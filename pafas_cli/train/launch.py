"""Multi-process training: `--num-processes N` re-executes the stage under torchrun.

Run on one device:   pafas sft
Run on N processes:  pafas sft --num-processes N          (torchrun; gloo on CPU, NCCL on GPUs)
or, with an accelerate config (DDP / DeepSpeed ZeRO-2/3 on GPUs):
    accelerate launch --config_file recipes/accelerate/zero2.yaml -m pafas_cli sft --recipe paper/sft.yaml
(On CPU, `accelerate launch --cpu --num_processes 2` silently runs ONE process; use torchrun semantics.)

Every rank runs the same command; rank 0 alone creates or reopens the workspace version and
broadcasts its folder to the others (`share`), so the result is saved once.
This module is also the worker entry: `python -m pafas_cli.train.launch STAGE RECIPE WORKSPACE RESUME`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from pafas_cli.console import console
from pafas_cli.errors import PafasError


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def needs_relaunch(num_processes: int) -> bool:
    """True when the user asked for N > 1 processes and we are not already inside a launcher."""
    if num_processes < 1:
        raise PafasError(f"--num-processes must be >= 1, got {num_processes}")
    return num_processes > 1 and world_size() == 1


def relaunch(stage: str, recipe: Any, workspace: Path, resume: str, num_processes: int) -> None:
    """Run `stage` under `torch.distributed.run` with `num_processes` ranks and wait for it."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", prefix=f"pafas-{stage}-", delete=False) as fh:
        yaml.safe_dump(recipe.to_dict(), fh, sort_keys=False)
        recipe_file = Path(fh.name)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(num_processes),
           "-m", "pafas_cli.train.launch", stage, str(recipe_file), str(workspace), resume]
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // num_processes)))
    console.print(f"launching {num_processes} processes: torchrun --standalone --nproc_per_node {num_processes} "
                  f"-m pafas_cli.train.launch {stage} ...")
    try:
        code = subprocess.call(cmd, env=env)
    finally:
        recipe_file.unlink(missing_ok=True)
    if code != 0:
        raise PafasError(f"{stage}: a training process exited with code {code} (see the output above); "
                         f"the unfinished version is kept for `pafas {stage} --resume auto`")


def state() -> Any:
    """accelerate's process state; it starts the process group (gloo on CPU) under a launcher.

    `cpu=True` is what makes accelerate see a multi-CPU launch; without it a torchrun'd CPU process
    thinks it is alone.
    """
    import torch
    from accelerate import PartialState

    return PartialState(cpu=not torch.cuda.is_available())


def share(value: Any) -> Any:
    """Rank 0's `value` on every rank (a no-op on one process)."""
    if world_size() == 1:
        return value
    import torch.distributed as dist

    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def gather(value: Any) -> list[Any]:
    """Every rank's `value`, in rank order, on every rank."""
    if world_size() == 1:
        return [value]
    import torch.distributed as dist

    out: list[Any] = [None] * world_size()
    dist.all_gather_object(out, value)
    return out


def _worker(argv: list[str]) -> None:
    from pafas_cli.env import configure_network

    configure_network()
    stage, recipe_file, workspace, resume = argv
    from pafas_cli.config import load_recipe
    from pafas_cli.workspace import Workspace

    try:
        recipe = load_recipe(recipe_file)
        ws = Workspace(workspace)
        if stage == "sft":
            from pafas_cli.commands import sft as command
        elif stage == "rl":
            from pafas_cli.commands import rl as command
        else:
            raise PafasError(f"unknown training stage {stage!r} (expected sft or rl)")
        command.run(recipe, ws, resume=resume)
    except PafasError as exc:
        from pafas_cli.console import print_error

        print_error(exc)  # verbatim, as the CLI prints it (no Rich markup read in the message)
        sys.exit(2)
    finally:
        _close_process_group()


def _close_process_group() -> None:
    """Tear the process group down before the interpreter exits: left to the exit handlers, gloo's threads
    were once destroyed while still joinable and aborted rank 1 (SIGABRT) after a successful run."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


if __name__ == "__main__":
    _worker(sys.argv[1:])
