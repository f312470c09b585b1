"""`pafas prepare casia-surf`: the CASIA-SURF challenge kit (or CASIA's current distribution, or MMDG's S lists).

Reads the release's own lists through the `casia-surf` adapter (phase folders searched, per-split lists,
label polarity, remap: `data/sources/casia_surf.py`), groups the frames by video folder and keeps
`data.prepare.frames` of them, evenly spaced. The release's frames are CASIA's own face crops (background
removed, depth and IR already 8-bit and normalised per face), so they are written as they are, as PNG.
"""

from __future__ import annotations

from pathlib import Path

from pafas_cli.data.config import DataConfig
from pafas_cli.data.prepare.core import Video, group_samples, load_files
from pafas_cli.data.sources import read_source
from pafas_cli.data.sources.reading import SPLITS, ListOptions, Problems

RULES = {
    "frames": "per video folder, up to data.prepare.frames frames evenly spaced among those the list names "
              "(the centres of equal segments, natural order of the frame names)",
    "crop": "none: the release's frames are CASIA's face crops",
    "depth": "as released (8-bit, normalised per face by CASIA); 16-bit files v/257",
    "ir": "as released (8-bit); 16-bit files v/257",
}
load = load_files


def plan(root: Path, cfg: DataConfig, options: ListOptions, problems: dict[str, Problems]) -> tuple[list[Video], dict]:
    return plan_lists("casia-surf", root, cfg, options, problems)


def plan_lists(source: str, root: Path, cfg: DataConfig, options: ListOptions,
               problems: dict[str, Problems]) -> tuple[list[Video], dict]:
    """Videos of a list-based release, read through its adapter."""
    videos: list[Video] = []
    for split in SPLITS:
        samples = read_source(source, root, splits=[split], problems=problems[split], options=options)[split]
        videos += group_samples(samples, split, cfg.prepare.frames)
    return videos, {"lists": {split: problems[split].lists for split in SPLITS}}
