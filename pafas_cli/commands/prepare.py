"""`pafas prepare DATASET --root RAW --out DIR`: a release as downloaded -> the list layout build-paths reads.

Prints what was planned and written per split (videos, faces, live, spoof, attack types), the frames
skipped for missing or unreadable files, and the build-paths command that reads the result.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text

from pafas_cli.config import Recipe
from pafas_cli.console import console, kv_table, rows_table
from pafas_cli.data.prepare import Prepared, prepare

SHOWN = 3


def run(recipe: Recipe, out: Path) -> Prepared:
    """Prepare `recipe.data.source` from `recipe.data.root` into `out` and print the summary."""
    cfg = recipe.data
    result = prepare(cfg.source, cfg.root, out, cfg)
    rows = [(split, c["videos"], c["faces"], c["live"], c["spoof"],
             Text(", ".join(f"{k} {v}" for k, v in c["attacks"].items())))
            for split, c in result.counts.items()]
    console.print(rows_table(f"pafas prepare {result.dataset} -> {result.out}",
                             ("split", "videos", "faces", "live", "spoof", "attacks"), rows))
    skipped = {split: lines for split, lines in result.skipped.items() if lines}
    if skipped:
        counts = ", ".join(f"{split} {len(lines)} of {result.read[split]} ({len(lines) / result.read[split]:.1%})"
                           for split, lines in skipped.items())
        console.print(Text.assemble(("missing or unreadable files, frames skipped", "yellow"),
                                    f" (data.on_missing: {cfg.on_missing}): {counts}"))
        for split, lines in skipped.items():
            for line in lines[:SHOWN]:
                console.print(Text(f"  {split}: {line}"), soft_wrap=True)
            if len(lines) > SHOWN:
                console.print(Text(f"  {split}: ... and {len(lines) - SHOWN} more"))
    console.print(kv_table(f"{result.domain}: lists and manifest", {
        **{f"{split} list": str(path) for split, path in result.lists.items()},
        "manifest": str(result.manifest),
        "frames written": result.written,
        "frames already there (kept)": result.kept,
        "warnings (above)": len(result.warnings),
        "seconds": result.seconds,
    }))
    console.print(Text(f"next: pafas build-paths --data {result.dataset} --root {result.out}"))
    return result
