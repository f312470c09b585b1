"""How many CPU threads a pafas process computes with, chosen so that a busy machine does not collapse.

PyTorch's default is one OpenMP thread per core. When anything else runs on the machine (a second stage,
a test suite, a browser), those threads wait on each other and on the other process: on the 2-core
development machine a server answered in 3.6-8.1 s per request instead of 0.29-0.52 s, and a cell's raw SFT
ran ~7x slower (docs/bench.md, "Threads"). The thread count also changes float rounding, hence results: one
reproduction cell moved from AUC 83 to 67 with the thread count alone. So every process takes a count that
does not collapse under load, the recipe key `threads` overrides it (`--set threads=2`), and every version
records the count it ran with (its manifest's recipe, `threads`), so a number is always read with it.

`threads: null` (auto) = OMP_NUM_THREADS when the environment sets it, else half the cores this process may
run on (at least 1, at most MAX_AUTO): 1 on a 2-core machine.
"""

from __future__ import annotations

import os
import sys

# Environment variables the numerical libraries read their thread count from (set before they load).
ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
# Beyond this many intra-op threads the tiny model's small matrices gain nothing (and a big machine is shared).
MAX_AUTO = 8


def cores() -> int:
    """The cores this process may run on (its CPU affinity, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def auto() -> int:
    """The thread count of `threads: null` (see the module docstring)."""
    given = os.environ.get("OMP_NUM_THREADS", "").strip()
    if given.isdigit() and int(given) > 0:
        return int(given)
    return max(1, min(MAX_AUTO, cores() // 2))


def resolve(requested: int | None) -> int:
    """The count a recipe's `threads` stands for."""
    return requested if requested is not None else auto()


def apply(count: int) -> int:
    """Make this process (and the processes it starts) compute with `count` threads; returns it.

    The environment is set for libraries not loaded yet and for child processes; torch, when already loaded,
    is told directly."""
    for name in ENV:
        os.environ[name] = str(count)
    if "torch" in sys.modules:
        import torch

        torch.set_num_threads(count)
    return count
