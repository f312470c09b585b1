"""A picture sheet of a corpus: one scene per object kind (and skin overlay), its RGB | depth | IR and its text."""

from __future__ import annotations

import textwrap
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from pafas_cli.data.images import load_modality
from pafas_cli.data.sample import MODALITIES

CELL = 72
TEXT_W = 560
LINE_H = 13
WRAP = 92


def picture_sheet(records: list[dict], out: Path) -> Path:
    """Write the sheet PNG: the first record of each (kind, overlay), in the records' order of kinds."""
    first: dict[tuple[str, str], dict] = {}
    for rec in records:
        first.setdefault((rec["kind"], rec["overlay"] or ""), rec)
    rows = sorted(first.values(), key=lambda r: (r["kind"], r["overlay"] or ""))
    font = ImageFont.load_default(size=11)
    sheet = Image.new("RGB", (3 * CELL + TEXT_W + 12, len(rows) * (CELL + 4)), "white")
    draw = ImageDraw.Draw(sheet)
    for i, rec in enumerate(rows):
        top = i * (CELL + 4)
        for k, modality in enumerate(MODALITIES):
            tile = load_modality(rec["images"][k], modality).convert("RGB").resize((CELL, CELL))
            sheet.paste(tile, (k * CELL, top))
        label = rec["kind"] + (f" + {rec['overlay']}" if rec["overlay"] else "")
        lines = [label] + textwrap.wrap(rec["text"], WRAP)
        for j, line in enumerate(lines[: CELL // LINE_H]):
            draw.text((3 * CELL + 8, top + 2 + j * LINE_H), line, fill="black" if j else "darkred", font=font)
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)
    return out
