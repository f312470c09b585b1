"""A contact sheet of a benchmark: one RGB | depth | IR triple per domain (columns) and attack (rows)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from pafas_cli.data.images import load_modality
from pafas_cli.data.sample import MODALITIES, FaceSample
from pafas_cli.data.sources.reading import count_by

CELL = 56
LABEL_W = 150
HEAD_H = 18


def contact_sheet(samples: list[FaceSample], out: Path) -> Path:
    """Write the sheet PNG; the first sample of each (domain, attack) pair is shown."""
    domains = sorted({s.domain for s in samples})
    attacks = sorted({s.attack[-1] for s in samples}, key=lambda a: (a != "Real Face", a))
    first: dict[tuple[str, str], FaceSample] = {}
    for s in samples:
        first.setdefault((s.domain, s.attack[-1]), s)
    width = LABEL_W + len(domains) * (3 * CELL + 6)
    sheet = Image.new("RGB", (width, HEAD_H + len(attacks) * CELL), "white")
    draw = ImageDraw.Draw(sheet)
    for j, domain in enumerate(domains):
        draw.text((LABEL_W + j * (3 * CELL + 6) + 4, 3), f"{domain}: RGB | depth | IR", fill="black")
    counts = count_by(samples, "attack")
    for i, attack in enumerate(attacks):
        top = HEAD_H + i * CELL
        draw.text((4, top + CELL // 2 - 6), f"{attack} ({counts[(attack,)]})", fill="black")
        for j, domain in enumerate(domains):
            sample = first.get((domain, attack))
            if sample is None:
                continue
            for k, modality in enumerate(MODALITIES):
                tile = load_modality(sample.path_of(modality), modality).convert("RGB").resize((CELL, CELL))
                sheet.paste(tile, (LABEL_W + j * (3 * CELL + 6) + k * CELL, top))
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)
    return out
