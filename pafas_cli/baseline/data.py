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
    if not cols["id"]:
        raise PafasError(f"{Path(root) / table}: no faces")
    labels = torch.tensor(cols["label"], dtype=torch.float32)
    rows = {key: cols[key] for key in ("id", "label", "attack", "domain", "modalities")}
    return Faces(stack_images(cols["images"], side), labels, rows)


def stack_images(paths: list[list[str]], side: int) -> dict[str, torch.Tensor]:
    """One uint8 tensor (N, C, side, side) per modality from each row's (rgb, depth, ir) image paths."""
    images = {}
    for k, modality in enumerate(MODALITIES):
        stack = np.empty((len(paths), CHANNELS[modality], side, side), dtype=np.uint8)
        for i, row in enumerate(paths):
            stack[i] = _pixels(row[k], modality, side)
        images[modality] = torch.from_numpy(stack)
    return images


@dataclass
class CorpusFaces:
    """Scenes of the pretraining corpus: an image tensor per modality, and their attribute targets (N, A) in
    `data.pretrain.truth.NAMES` order (1 = the sensor shows it)."""

    images: dict[str, torch.Tensor]
    targets: torch.Tensor

    def __len__(self) -> int:
        return len(self.targets)


def load_corpus_faces(root: str | Path, split: str, side: int) -> CorpusFaces:
    """The scenes of one split ("train" / "val") of a corpus folder, at `side` pixels, with their attributes."""
    from pafas_cli.data.pretrain.generate import read_samples
    from pafas_cli.data.pretrain.truth import NAMES

    records = read_samples(root, split)
    if not records:
        raise PafasError(f"{root}: no {split} scenes in this corpus")
    targets = torch.tensor([[float(name in r["attributes"]) for name in NAMES] for r in records])
    return CorpusFaces(stack_images([r["images"] for r in records], side), targets)


def blank_images(root: str | Path, side: int) -> dict[str, torch.Tensor]:
    """The version's stand-in for a missing modality (its `images/blank.png`), one (1, C, S, S) tensor each."""
    from pafas_cli.paths.images import BLANK

    return {m: torch.from_numpy(_pixels(str(Path(root) / BLANK), m, side))[None] for m in MODALITIES}
