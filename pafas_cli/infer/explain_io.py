"""Files -> faces for `pafas explain`: argument parsing, folder pairing by stem, safe image loading.

A face is up to three files (RGB, depth, IR). On the command line they are given in that order
with `-` for a missing one, or as one folder whose files pair by stem: `NAME_rgb` (or `NAME_color`),
`NAME_depth`, `NAME_ir`. Every image is resized to the model's square input side, the size the
eval sets were built at, so one face costs the same number of image tokens as in training.

Everything here runs before the model loads: output paths are checked (`check_outputs`) and every
image is decoded and checked for a plausible face size (`load_image`), so a typo costs a second,
not a model load plus all the inference. Results are written with `write_atomic` (a temporary file
renamed into place), so an interrupted run never leaves a half-written JSONL or HTML file.
"""

from __future__ import annotations

import os
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
# A face image smaller than this on a side, or longer than MAX_ASPECT x its width (or height), is no face
# crop (a thumbnail, an icon, a strip); fit_square would squash it into a square the model never saw.
MIN_SIDE = 16
MAX_ASPECT = 4.0
EXAMPLE_NAMES = {"--html": "explain.html", "--out": "explain.jsonl"}


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
    """Group a folder's images by stem; incomplete triples are kept (explain refuses those lacking a required
    modality, face by face) and noted."""
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
                         "(refused unless --allow-missing names them)")
    if not faces:
        raise PafasError(f"{folder}: no face images found (expected NAME_rgb.png, NAME_depth.png, NAME_ir.png)")
    return FaceInputs(faces, notes, folder)


def load_image(path: Path, modality: str, side: int) -> Any:
    """One modality image as the eval sets store it (see `fit_square`), returned in RGB; or a PafasError."""
    from pafas_cli.data.images import load_modality

    return prepare_image(load_modality(path, modality), path, modality, side)


def prepare_image(image: Any, where: object, modality: str, side: int) -> Any:
    """A decoded modality image checked for a plausible face size (errors name `where`), as the model reads it."""
    from pafas_cli.data.images import fit_square

    check_plausible(image.size, where, modality)
    return fit_square(image, modality, side).convert("RGB")


def check_plausible(size: tuple[int, int], path: object, modality: str) -> None:
    """A PafasError naming `path` when an image of `size` (width, height) cannot be a face crop."""
    width, height = size
    if min(width, height) < MIN_SIDE:
        raise PafasError(f"{path}: the {modality} image is {width}x{height} pixels, too small for a face "
                         f"(at least {MIN_SIDE}x{MIN_SIDE}); is it the right file?")
    if max(width, height) > MAX_ASPECT * min(width, height):
        raise PafasError(f"{path}: the {modality} image is {width}x{height} pixels, too elongated for a face crop "
                         f"(sides differ by more than {MAX_ASPECT:g}x); crop the face first")


def check_outputs(outputs: dict[str, Path | None], inputs: list[FaceFiles]) -> None:
    """Each output file (option -> path) can be written: not a folder, its folder exists and is writable,
    no two outputs and no input share a path. Raises a PafasError naming the option and path."""
    seen: dict[Path, str] = {}
    sources = {p.resolve(): p for face in inputs for p in face.files.values() if p is not None}
    for option, path in outputs.items():
        if path is None:
            continue
        where = f"{option} {path}" if option else str(path)
        if path.is_dir():
            example = path / EXAMPLE_NAMES.get(option, "explain.out")
            raise PafasError(f"{where}: is a folder; give a file path, e.g. {option} {example}".rstrip())
        parent = path.parent
        if not parent.exists():
            raise PafasError(f"{where}: the folder {parent} does not exist; create it first or choose another path")
        if not parent.is_dir():
            raise PafasError(f"{where}: {parent} is not a folder")
        if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
            raise PafasError(f"{where}: cannot write there (permission denied); choose another path")
        resolved = path.resolve()
        if resolved in sources:
            raise PafasError(f"{where}: is one of the input images; choose another output path")
        if resolved in seen:
            raise PafasError(f"{where}: the same file as {seen[resolved]}; give each output its own path")
        seen[resolved] = where


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same folder, renamed into place when complete."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
