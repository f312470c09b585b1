"""Back-to-back timing of alternatives in one process: arm 1, arm 2, ..., arm 1, arm 2, ... so that machine
load hits every arm alike. Wall and CPU seconds (`time.process_time`, this process's threads) are both kept:
on a shared machine the wall time of a single-threaded arm moves with the other jobs, its CPU time much less.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Timings:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    results: list[Any] = field(default_factory=list)

    @property
    def wall_median(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)


def alternate(arms: dict[str, Callable[[], Any]], repeats: int, warmup: int = 1) -> dict[str, Timings]:
    """Run every arm `warmup` times untimed, then `repeats` rounds of all arms in turn; keeps each result."""
    for _ in range(warmup):
        for run in arms.values():
            run()
    out = {name: Timings() for name in arms}
    for _ in range(repeats):
        for name, run in arms.items():
            wall, cpu = time.perf_counter(), time.process_time()
            result = run()
            out[name].wall.append(time.perf_counter() - wall)
            out[name].cpu.append(time.process_time() - cpu)
            out[name].results.append(result)
    return out


def spread(values: list[float]) -> str:
    """'median (min-max)' of a list of seconds."""
    return f"{statistics.median(values):.3f} ({min(values):.3f}-{max(values):.3f})"


def paired_ratios(arm: Timings, base: Timings, cpu: bool = False) -> list[float]:
    """Round-by-round ratios arm / base (the rounds ran back to back, so load moves both alike)."""
    a, b = (arm.cpu, base.cpu) if cpu else (arm.wall, base.wall)
    return [x / y for x, y in zip(a, b)]
