"""The picture sheet: one row per object kind and skin overlay, with the scene's images and text."""

from __future__ import annotations

import numpy as np
from PIL import Image

from pafas_cli.data.pretrain.generate import read_samples
from pafas_cli.data.pretrain.preview import CELL, picture_sheet


def test_one_row_per_kind_and_overlay(corpus_root, tmp_path):
    records = read_samples(corpus_root)
    rows = {(r["kind"], r["overlay"]) for r in records}
    out = picture_sheet(records, tmp_path / "sheet.png")
    with Image.open(out) as sheet:
        assert sheet.height == len(rows) * (CELL + 4)
        first = min(rows, key=lambda k: (k[0], k[1] or ""))
        tile = next(r for r in records if (r["kind"], r["overlay"]) == first)["images"][0]
        with Image.open(tile) as image:
            expected = image.convert("RGB").resize((CELL, CELL))
        assert np.array_equal(np.asarray(sheet.crop((0, 0, CELL, CELL))), np.asarray(expected))
