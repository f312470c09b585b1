"""`pafas synth`: draw the offline synthetic four-domain RGB/depth/IR benchmark.

Writes it to `--out DIR` or into the workspace as `synth/vNNN`, prints the counts per domain, split,
label and attack type and the time taken, and optionally a contact sheet (`--preview FILE.png`).
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text

from pafas_cli.console import console
from pafas_cli.data.synth.version import draw, print_counts, write_version


def run(recipe, ws, out: Path | None = None, preview: Path | None = None) -> None:
    cfg = recipe.data
    if out is not None:
        info, seconds = draw(cfg, out)
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
