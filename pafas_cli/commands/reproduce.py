"""`pafas reproduce`: the small-scale reproduction of the PA-FAS paper's tables (docs/results.md).

The grid, the paper's numbers, the runner, the statistics and the report live in `pafas_cli/reproduce/`;
this entry function picks the settings and the files and hands the runner the stages it is given: the CLI
passes each stage's `resolve` and entry function (`pafas_cli.commands.<stage>.run`), which neither package
code nor another command may import (tests/test_layers.py).

    pafas reproduce --plan           what would run, with a time estimate; runs nothing
    pafas reproduce                  both regimes, seeds 0,1,2, every split; resumable (rerun to continue)
    pafas reproduce --quick          one row per table in minutes (cells and page under the workspace)
    pafas reproduce --report-only    rewrite the page from the recorded cells
"""

from __future__ import annotations

import os
import platform
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pafas_cli.console import console
from pafas_cli.errors import PafasError
from pafas_cli.reproduce.grid import Grid
from pafas_cli.workspace import Workspace

# Where a full run records its cells and writes its page (relative to the folder pafas runs in: the checkout).
CELLS = Path("bench/results/cells.jsonl")
REPORT = Path("docs/results.md")


def split_list(text: str | None, kind: Callable[[str], Any], option: str) -> tuple | None:
    """'0,1,2' -> (0, 1, 2); None stays None (not given); '' is the empty tuple."""
    if text is None:
        return None
    try:
        return tuple(kind(x.strip()) for x in text.split(",") if x.strip())
    except ValueError:
        raise PafasError(f"{option}: expected a comma-separated list, got {text!r}") from None


def run(ws: Workspace, stages: Any, *, quick: bool = False, plan: bool = False, report_only: bool = False,
        regimes: Sequence[str] | None = None, seeds: Sequence[int] | None = None,
        splits: Sequence[str] | None = None, rows: Sequence[str] | None = None,
        n_values: Sequence[int] | None = None, n_train: int | None = None, n_dev: int | None = None,
        n_test: int | None = None, corpus_samples: int | None = None, pretrain_steps: int | None = None,
        sft_steps: int | None = None, rl_steps: int | None = None,
        overrides: Sequence[str] = (), cells: Path | None = None, report: Path | None = None,
        synth: Path | None = None, verbose: bool = False, grid: Path | None = None) -> int:
    """Plan, run or report the reproduction with `stages` (a `reproduce.runner.Stages`); returns the exit code
    (1 when some cells failed)."""
    from pafas_cli.reproduce.runner import Runner

    loaded = Grid.load(grid)
    s = loaded.settings(quick=quick, overrides=tuple(overrides), regimes=regimes, seeds=seeds, splits=splits,
                        rows=rows, n_values=n_values, n_train=n_train, n_dev=n_dev, n_test=n_test,
                        corpus_samples=corpus_samples, pretrain_steps=pretrain_steps, sft_steps=sft_steps,
                        rl_steps=rl_steps)
    if len(s.seeds) < 3 and not s.quick:
        console.print(f"[yellow]warning:[/] {len(s.seeds)} seed(s); the tables need >= 3 for a spread")
    if synth is not None and not Path(synth).is_dir():
        raise PafasError(f"--synth {synth}: no such folder (a `pafas synth --out` folder or a synth:vNNN folder)")
    root = ws.root / ("reproduce-quick" if s.quick else "reproduce")
    cells = Path(cells) if cells else (root / "cells.jsonl" if s.quick else CELLS)
    report = Path(report) if report else (root / "results.md" if s.quick else REPORT)
    runner = Runner(loaded, s, stages, root, cells, report, synth=str(synth) if synth else None, verbose=verbose)
    if report_only:
        shown = runner.write_report()
        if not shown:
            raise PafasError(f"{cells}: no recorded cell for these settings; {report} is left as it is "
                             f"(run `{s.command()}` first)")
        console.print(f"report: {report} ({shown} of {len(loaded.plan(s))} cells)", highlight=False)
        return 0
    if plan:
        runner.print_plan(*runner.plan())
        return 0
    console.print(f"pafas reproduce on {platform.node()} ({os.cpu_count()} cores)", highlight=False)
    return runner.run()
