"""`pafas synth`: draw the offline synthetic four-domain RGB/depth/IR benchmark.

Writes it to `--out DIR` or into the workspace as `synth/vNNN`, prints the counts per domain, split,
label and attack type and the time taken, and optionally a contact sheet (`--preview FILE.png`).
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from rich.text import Text

from pafas_cli.console import console, make_progress, rows_table
from pafas_cli.data.config import DataConfig


def _draw(cfg: DataConfig, out: Path) -> tuple[dict, float]:
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
        info, seconds = _draw(cfg, writer.path)
        writer.set_metrics({"samples": sum(c["n"] for c in info["counts"]), "seconds": round(seconds, 1),
                            "generator_version": info["generator_version"]})
        print_counts(info, seconds)
    return writer.ref


def print_counts(info: dict, seconds: float) -> None:
    by_split = Counter()
    for c in info["counts"]:
        by_split[(c["domain"], c["split"], "live" if c["attack"] == "live" else "spoof", c["attack"])] += c["n"]
    rows = [(d, s, lab, a, n) for (d, s, lab, a), n in sorted(by_split.items())]
    console.print(rows_table("synthetic benchmark: samples", ("domain", "split", "label", "attack", "n"), rows))
    total = sum(by_split.values())
    console.print(f"{total} triples, generator v{info['generator_version']}, seed {info['seed']}, "
                  f"drawn in {seconds:.1f} s")


def run(recipe, ws, out: Path | None = None, preview: Path | None = None) -> None:
    cfg = recipe.data
    if out is not None:
        info, seconds = _draw(cfg, out)
        print_counts(info, seconds)
        root = out
        console.print(Text(f"wrote {out} (read it with --data synthetic --root {out})"))
    else:
        ref = write_version(cfg, ws)
        root = ws.resolve(ref).path
        console.print(Text(f"wrote {ref} ({root})"))
    if preview is not None:
        from pafas_cli.data.sources import list_domains, read_source
        from pafas_cli.data.synth.preview import contact_sheet

        samples = [s for d in list_domains(root) for part in read_source("list", root, d).values() for s in part]
        console.print(Text(f"preview: {contact_sheet(samples, preview)}"))
