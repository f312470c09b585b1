"""The process group a training stage runs in: rank, world size, and what rank 0 shares with the others.

Every rank runs the same `pafas` command (torchrun or `accelerate launch`); rank 0 alone creates or reopens
the workspace version and broadcasts its folder to the others (`share`), so the result is saved once.
"""

from __future__ import annotations

import os
import sys
from typing import Any


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


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


def close() -> None:
    """Tear the process group down before the interpreter exits: left to the exit handlers, gloo's threads
    were once destroyed while still joinable and aborted rank 1 (SIGABRT) after a successful run.

    Also with one process: `accelerate launch --num_processes 1` (DeepSpeed, e.g.) starts a group of one,
    which NCCL complains about at exit when it is left open. A command that never imported torch has none."""
    dist = sys.modules.get("torch.distributed")
    if dist is None:
        return
    if dist.is_available() and dist.is_initialized():
        if dist.get_backend() == "gloo" and dist.get_world_size() > 1:
            # Teardown waits until every rank is here: a rank that closed its sockets while another's gloo
            # threads still read them aborted that rank (seen once in CI after a successful run). Bounded, so a
            # rank that failed alone still exits (torchrun then stops the others).
            from datetime import timedelta

            try:
                dist.monitored_barrier(timeout=timedelta(seconds=60), wait_all_ranks=True)
            except RuntimeError:
                pass
        dist.destroy_process_group()
