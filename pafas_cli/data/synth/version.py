"""The synthetic benchmark as a workspace version (`synth/vNNN`): drawn with a progress bar, counts printed.

Both `pafas synth` and a build that finds no synth version with its settings (`protocols.ensure_synth`)
draw through here, so the data layer never calls up into a command.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from pafas_cli.console import console, make_progress, rows_table
from pafas_cli.data.config import DataConfig


def draw(cfg: DataConfig, out: Path) -> tuple[dict, float]:
    """Generate the benchmark into `out`; returns its info and the seconds it took."""
    from pafas_cli.data.synth import generate

    t0 = time.perf_counter()
    with make_progress() as progress:
        task = progress.add_task("drawing faces", total=None)
        info = generate(out, cfg.synth.per_domain, cfg.synth.seed,
                        progress=lambda done, total: progress.update(task, completed=done, total=total))
    return info, time.perf_counter() - t0


def write_version(cfg: DataConfig, ws) -> str:
    """Draw the benchmark into a new workspace version; returns its reference (synth:vNNN)."""
    with ws.start("synth", {"data": {"synth": vars(cfg.synth)}}, seed=cfg.synth.seed) as writer:
        info, seconds = draw(cfg, writer.path)
        writer.set_metrics({"samples": sum(c["n"] for c in info["counts"]), "seconds": round(seconds, 1),
                            "generator_version": info["generator_version"]})
        print_counts(info, seconds)
    return writer.ref


def print_counts(info: dict, seconds: float) -> None:
    by_split: Counter = Counter()
    for c in info["counts"]:
        by_split[(c["domain"], c["split"], "live" if c["attack"] == "live" else "spoof", c["attack"])] += c["n"]
    rows = [(d, s, lab, a, n) for (d, s, lab, a), n in sorted(by_split.items())]
    console.print(rows_table("synthetic benchmark: samples", ("domain", "split", "label", "attack", "n"), rows))
    total = sum(by_split.values())
    console.print(f"{total} triples, generator v{info['generator_version']}, seed {info['seed']}, "
                  f"drawn in {seconds:.1f} s")
