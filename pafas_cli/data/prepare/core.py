"""What every `pafas prepare` dataset shares: the plan (videos and their frames), the output layout, atomic writes.

A dataset module plans `Video`s (split, label, attack, the frames to keep, where to read them) and loads
one frame as three 8-bit images; this module names the outputs, writes them atomically and writes the
lists. Output layout under `--out`, one dataset letter D per release:

    D/<video>/{color,depth,ir}/<frame>.png     the frames (PNG, lossless)
    D-train.txt, D-val.txt, D-test.txt         `rgb depth ir label attack`, 1 = live, paths relative to --out
    D-prepare.json                             the manifest: counts per split, label and attack, the rules
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from PIL import Image

from pafas_cli.data.attacks import slug_of
from pafas_cli.data.sample import LIVE, MODALITIES, FaceSample
from pafas_cli.data.sources.reading import natural_key, pick_evenly
from pafas_cli.errors import PafasError

# Bump when the conversion of a frame changes: outputs written under another version are written again.
PREPARE_VERSION = 1
# The folder of each modality in the output (the names the modality guard and the adapters read).
OUTPUT_FOLDERS = {"rgb": "color", "depth": "depth", "ir": "ir"}
# Toolkit split -> the word of the output list's name (MMDG's).
SAFE = re.compile(r"[^A-Za-z0-9._@+-]+")


@dataclass
class Video:
    """One video (or single capture) of a release and the frames `pafas prepare` keeps from it."""

    split: str
    # Output folder under D/ (a relative path, from the release's own names).
    key: str
    label: int
    attack: tuple[str, ...]
    # Frame ids to keep, as the dataset module understands them (file paths, HDF5 keys, ...).
    frames: list[str]
    # Where the video came from, for problem reports (list:line, or a file).
    where: str
    # Dataset-specific: how to read the frames (paths per frame, HDF5 files, an .npz).
    source: object = None
    # Output names of the frames (default: derived from the frame ids).
    names: list[str] = field(default_factory=list)

    def frame_names(self) -> list[str]:
        return self.names or [frame_name(f) for f in self.frames]


Loader = Callable[[Video, str], tuple[Image.Image, Image.Image, Image.Image]]


def frame_name(frame: str) -> str:
    """A frame's output name: its file stem without a modality suffix (`000000-color.jpg` -> `000000`)."""
    stem = PurePosixPath(frame.replace("\\", "/")).name
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    stem = re.sub(r"[-_](color|colour|rgb|profile)$", "", stem, flags=re.IGNORECASE)
    return SAFE.sub("_", stem) or "frame"


def safe_key(key: str) -> str:
    """A video key as a safe relative folder (no absolute part, no `..`, odd characters replaced)."""
    parts = [SAFE.sub("_", p) for p in key.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    return "/".join(p for p in parts if p) or "video"


def output_paths(domain: str, video: Video, name: str) -> list[str]:
    """The out-relative rgb, depth and ir paths of one kept frame."""
    base = f"{domain}/{safe_key(video.key)}"
    return [f"{base}/{OUTPUT_FOLDERS[m]}/{name}.png" for m in MODALITIES]


def group_samples(samples: Iterable[FaceSample], split: str, frames: int) -> list[Video]:
    """Videos from list samples (one per frame line): grouped by their video folder and label, frames in
    natural order, `frames` kept evenly spaced. `source` maps a kept frame to its three image paths."""
    groups: dict[tuple[str, int], list[FaceSample]] = {}
    for sample in samples:
        groups.setdefault((sample.meta.get("video") or sample.id, sample.label), []).append(sample)
    videos = []
    for (key, label), members in groups.items():
        members = sorted(members, key=lambda s: natural_key(s.rgb or ""))
        kept = pick_evenly(members, frames)
        videos.append(Video(split=split, key=key, label=label, attack=kept[0].attack,
                            frames=[s.rgb for s in kept],
                            where=f"{kept[0].meta.get('list', '')}:{kept[0].meta.get('line', '')}",
                            source={s.rgb: (s.rgb, s.depth, s.ir) for s in kept}))
    return videos


def load_files(video: Video, frame: str) -> tuple[Image.Image, Image.Image, Image.Image]:
    """The three images of a frame of a file-based release, through `load_modality` (its errors name the file)."""
    from pafas_cli.data.images import load_modality

    paths = video.source[frame]
    return tuple(load_modality(p, m) for p, m in zip(paths, MODALITIES))  # type: ignore[return-value]


def save_png(image: Image.Image, path: Path) -> None:
    """Write a PNG atomically (temp file + rename), so an interrupted run never leaves half an image."""
    _atomic(path, lambda tmp: image.save(tmp, format="PNG"))


def write_text(path: Path, text: str) -> None:
    """Write a text file atomically."""
    _atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _atomic(path: Path, write: Callable[[Path], object]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise PafasError(f"{path}: cannot write ({exc.strerror or exc}); free space there or choose another "
                         "--out (what was written so far is kept: rerun to continue)") from None


def list_line(rels: Sequence[str], label: int, attack: tuple[str, ...]) -> str:
    """One output list line: `rgb depth ir label attack`, 1 = live."""
    return f"{rels[0]} {rels[1]} {rels[2]} {1 if label == LIVE else 0} {slug_of(attack)}"


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]

