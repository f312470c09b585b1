"""Files -> faces for `pafas explain`: argument parsing, folder pairing by stem, safe image loading.

A face is up to three files (RGB, depth, IR). On the command line they are given in that order
with `-` for a missing one, or as one folder whose files pair by stem: `NAME_rgb` (or `NAME_color`),
`NAME_depth`, `NAME_ir`. Every image is resized to the model's square input side, the size the
eval sets were built at, so one face costs the same number of image tokens as in training.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pafas_cli.data.sample import MODALITIES
from pafas_cli.errors import PafasError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}
STEM_RE = re.compile(r"^(?P<name>.+?)[_-](?P<modality>rgb|color|colour|depth|ir)$", re.IGNORECASE)
ALIASES = {"rgb": "rgb", "color": "rgb", "colour": "rgb", "depth": "depth", "ir": "ir"}
MISSING = "-"


@dataclass
class FaceFiles:
    """The files of one face; a modality mapped to None is missing."""

    name: str
    files: dict[str, Path | None] = field(default_factory=dict)

    @property
    def present(self) -> tuple[str, ...]:
        return tuple(m for m in MODALITIES if self.files.get(m) is not None)

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(m for m in MODALITIES if self.files.get(m) is None)


@dataclass
class FaceInputs:
    """What the command line asked for: faces to run, notes on what was skipped, and the folder if any."""

    faces: list[FaceFiles]
    notes: list[str]
    folder: Path | None = None


def faces_from_args(inputs: list[str]) -> FaceInputs:
    """`RGB DEPTH IR` (with `-` for a missing one) -> one face; `DIR` -> the faces paired in it."""
    if len(inputs) == 1 and Path(inputs[0]).is_dir():
        return pair_folder(Path(inputs[0]))
    if len(inputs) != 3:
        raise PafasError(
            f"explain takes RGB DEPTH IR image files (use - for a missing one) or one folder; got {len(inputs)} "
            f"argument(s): {' '.join(inputs) or '(none)'}"
        )
    files: dict[str, Path | None] = {}
    for modality, arg in zip(MODALITIES, inputs):
        if arg == MISSING:
            files[modality] = None
            continue
        path = Path(arg)
        if not path.is_file():
            raise PafasError(f"{arg}: no such file (the {modality.upper()} image; use - if it is missing)")
        files[modality] = path
    if not any(files.values()):
        raise PafasError("explain needs at least one image; all three were '-'")
    stem = next(p for p in files.values() if p is not None).stem
    match = STEM_RE.match(stem)
    name = match["name"] if match else stem
    return FaceInputs([FaceFiles(name, files)], [])


def pair_folder(folder: Path) -> FaceInputs:
    """Group a folder's images by stem; incomplete triples run with their missing modalities, and are noted."""
    groups: dict[str, dict[str, Path]] = {}
    notes = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        match = STEM_RE.match(path.stem)
        if not match:
            notes.append(f"{path.name}: skipped (name must end in _rgb, _color, _depth or _ir)")
            continue
        name, modality = match["name"], ALIASES[match["modality"].lower()]
        slot = groups.setdefault(name, {})
        if modality in slot:
            notes.append(f"{path.name}: skipped ({name} already has a {modality} image: {slot[modality].name})")
            continue
        slot[modality] = path
    faces = [FaceFiles(name, {m: slot.get(m) for m in MODALITIES}) for name, slot in sorted(groups.items())]
    for face in faces:
        if face.missing:
            notes.append(f"{face.name}: incomplete triple, {', '.join(face.missing)} missing "
                         "(explained with the missing-modality policy)")
    if not faces:
        raise PafasError(f"{folder}: no face images found (expected NAME_rgb.png, NAME_depth.png, NAME_ir.png)")
    return FaceInputs(faces, notes, folder)


def image_side(processor: Any, fallback: int) -> int:
    """The square side the model's image processor is pinned to (min = max pixels), else `fallback`."""
    size = getattr(getattr(processor, "image_processor", None), "size", None) or {}
    low, high = size.get("shortest_edge"), size.get("longest_edge")
    if low and low == high:
        side = round(low ** 0.5)
        if side * side == low:
            return side
    return fallback


def load_image(path: Path, modality: str, side: int) -> Any:
    """One modality image as the eval sets store it (see `fit_square`), returned in RGB; or a PafasError."""
    from pafas_cli.data.images import fit_square, load_modality

    return fit_square(load_modality(path, modality), modality, side).convert("RGB")
