"""A paths version's samples as uint8 tensors: the images the VLM reads, decoded once.

The CNN reads the same stored images as every VLM stage (`images/`, resized once by build-paths, the blank
image standing in for a missing modality), so a baseline row and a VLM row see identical pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from pafas_cli.data.sample import MODALITIES
from pafas_cli.errors import PafasError
from pafas_cli.paths.store import sample_columns

CHANNELS = {"rgb": 3, "depth": 1, "ir": 1}
MODES = {"rgb": "RGB", "depth": "L", "ir": "L"}


@dataclass
class Faces:
    """One table's faces: an image tensor per modality (N, C, S, S) uint8, and the rows' own columns."""

    images: dict[str, torch.Tensor]
    labels: torch.Tensor  # float 1 = live, 0 = spoof
    rows: dict[str, list]  # id, label, attack, domain, modalities

    def __len__(self) -> int:
        return len(self.labels)


def _pixels(path: str, modality: str, side: int) -> np.ndarray:
    try:
        with Image.open(path) as image:
            image = image.convert(MODES[modality])
            if image.size != (side, side):
                image = image.resize((side, side), Image.Resampling.BILINEAR)
            array = np.asarray(image, dtype=np.uint8)
    except OSError as exc:
        raise PafasError(f"cannot read the {modality} image {path}: {exc}") from None
    return array[None].copy() if array.ndim == 2 else array.transpose(2, 0, 1).copy()


def load_faces(root: str | Path, table: str, side: int) -> Faces:
    """The faces of table `rl` (training samples) or `eval/<set>` of paths version `root`, at `side` pixels."""
    cols = sample_columns(root, table)
    n = len(cols["id"])
    if n == 0:
        raise PafasError(f"{Path(root) / table}: no faces")
    images = {}
    for k, modality in enumerate(MODALITIES):
        stack = np.empty((n, CHANNELS[modality], side, side), dtype=np.uint8)
        for i, paths in enumerate(cols["images"]):
            stack[i] = _pixels(paths[k], modality, side)
        images[modality] = torch.from_numpy(stack)
    labels = torch.tensor(cols["label"], dtype=torch.float32)
    rows = {key: cols[key] for key in ("id", "label", "attack", "domain", "modalities")}
    return Faces(images, labels, rows)


def blank_images(root: str | Path, side: int) -> dict[str, torch.Tensor]:
    """The version's stand-in for a missing modality (its `images/blank.png`), one (1, C, S, S) tensor each."""
    from pafas_cli.paths.images import BLANK

    return {m: torch.from_numpy(_pixels(str(Path(root) / BLANK), m, side))[None] for m in MODALITIES}
