"""What every list-file adapter shares: safe paths, tolerant line reading, labels, attack words, missing files.

Real releases are plain text lists (space or tab separated, often CRLF) of paths relative to the
dataset root. Here those paths are checked to stay inside the root (also after following symlinks),
labels are converted to the one polarity of `FaceSample` (1 = live), and a missing or unreadable image
either stops the build or is skipped and counted (`data.on_missing`), never dropped silently.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

from pafas_cli.data.attacks import LIVE_PATH, SPOOF_PATH, attack_path
from pafas_cli.data.sample import LIVE, MODALITIES, SPOOF, FaceSample
from pafas_cli.errors import PafasError

# CeFA-Race video folders are Race_ID_AcqDevice_Session_PAI; PAI 1 real, 2 cloth print, 3 photo print,
# 4 screen (liuajian/CASIA-FAS-Dataset CASIA_CeFA/readme.md).
CEFA_RACE = re.compile(r"^\d_\d{3}_\d_\d_(\d)$")
CEFA_PAI = {"1": "live", "2": "print", "3": "print", "4": "replay"}
# CeFA-Mask folders: 3D-Mask (3D-printed, rigid) and Silicone-Mask.
CEFA_MASKS = {"3d-mask": "rigidmask", "silicone-mask": "flexiblemask"}
# WMCA (BATL) names are client_session_presenter_type_pai; type 0 is bona fide (bob.db.batl guide).
WMCA_NAME = re.compile(r"^\d{3}_\d{2}_\d{3}_(\d)_\d{2}$")


@dataclass
class Problems:
    """Missing or unreadable images met while reading: stop at the first ("stop"), or record them all
    ("skip", and "error", which the caller turns into one error with the count once everything is read)."""

    on_missing: str = "stop"
    skipped: list[str] = field(default_factory=list)
    # The list files read (in order), so an empty split can say what was looked at.
    lists: list[str] = field(default_factory=list)

    def report(self, where: str, message: str) -> None:
        text = f"{where}: {message}"
        if self.on_missing == "stop":
            raise PafasError(f"{text} (set data.on_missing=skip to skip such lines with a counted warning)")
        self.skipped.append(text)

    def read_list(self, path: Path) -> None:
        if str(path) not in self.lists:
            self.lists.append(str(path))


def read_rows(path: Path) -> list[tuple[int, list[str]]]:
    """Non-empty, non-comment lines of a list file as (line number, fields); CRLF, tabs and a BOM are fine."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PafasError(f"{path}: not a UTF-8 text list ({exc})") from None
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if line and not line.startswith("#"):
            rows.append((number, line.split()))
    return rows


def inside_root(root: Path, rel: str, where: str) -> Path:
    """`root / rel`, refusing absolute paths, `..` and symlinks that lead outside the root, so a list file
    cannot point outside its dataset. The check compares real paths (links followed), not text."""
    posix = rel.replace("\\", "/")
    if PurePosixPath(posix).is_absolute() or PureWindowsPath(rel).drive or ".." in PurePosixPath(posix).parts:
        raise PafasError(f"{where}: path '{rel}' leaves the dataset root {root} (absolute or '..'); "
                         "list files must hold paths relative to the root")
    path = root / posix
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    if real != real_root and not real.startswith(real_root.rstrip(os.sep) + os.sep):
        raise PafasError(f"{where}: path '{rel}' leaves the dataset root {real_root} through a symlink: "
                         f"{path} really points to {real}; point data.root at a folder that holds the images "
                         "themselves, or replace the link with the files")
    return path


def parse_label(token: str, where: str) -> int:
    """1/0 (1 = live, the MMDG/CASIA convention) or True/False (PADISI: True = attack) -> FaceSample label."""
    low = token.lower()
    if low in ("1", "0"):
        return LIVE if low == "1" else SPOOF
    if low in ("true", "false"):
        return SPOOF if low == "true" else LIVE
    raise PafasError(f"{where}: label '{token}' is not 1/0 (1 = live) or True/False (True = attack)")


def named_attack(rel: str) -> str | None:
    """The attack word a release's folder names reveal (`live`, `print`, `spoof`, ...), or None."""
    lowered = [p.lower() for p in rel.replace("\\", "/").split("/") if p]
    for i, part in enumerate(lowered):
        if part in CEFA_MASKS and i > 0 and lowered[i - 1] == "cefa-mask":
            return CEFA_MASKS[part]
        if m := CEFA_RACE.match(part):
            return CEFA_PAI.get(m.group(1), "spoof")
        if m := WMCA_NAME.match(part):
            return "live" if m.group(1) == "0" else "spoof"
    if any(p.startswith("casia-surf") or p in ("fake_part", "real_part") for p in lowered):
        # CASIA-SURF holds only print attacks (flat, wrapped and cut); its folders do not say which.
        return "live" if "real_part" in lowered else "print"
    return None


def attack_from_path(rel: str, label: int, where: str) -> tuple[str, ...]:
    """The attack path the folder names reveal, checked against the label (a polarity guard)."""
    found = named_attack(rel)
    if found is None:
        return LIVE_PATH if label == LIVE else SPOOF_PATH
    path = attack_path(found)
    if (path == LIVE_PATH) != (label == LIVE):
        raise PafasError(f"{where}: label {label} ({'live' if label == LIVE else 'spoof'}) contradicts the "
                         f"folder name of '{rel}' ({found}); is the label column in the polarity 1 = live?")
    return path


def check_files(paths: dict[str, Path | None], where: str, problems: Problems) -> bool:
    """True when every named image exists and is readable; otherwise report it (stop or count)."""
    for modality in MODALITIES:
        path = paths.get(modality)
        if path is None:
            continue
        if not path.is_file():
            problems.report(where, f"{modality} image not found: {path}")
            return False
        if not os.access(path, os.R_OK):
            problems.report(where, f"{modality} image not readable: {path}")
            return False
    return True


def find_list(root: Path, names: list[str]) -> Path | None:
    """The first of `names` (relative to root) that exists."""
    for name in names:
        if (root / name).is_file():
            return root / name
    return None


def read_mmdg_list(list_path: Path, root: Path, domain: str, split: str, problems: Problems,
                   attacks: dict[str, str] | None = None) -> list[FaceSample]:
    """An MMDG-style list, paths relative to `root`: `rgb depth ir label [attack]` per line, or
    PADISI's `name.npz<TAB>label` (one .npz holds every channel, so it stands for all three modalities).

    The optional fifth column is an attack word (attacks.ATTACKS); `attacks` maps an rgb path to one
    (e.g. from WMCA's per-attack lists). Otherwise the folder names decide, as far as they know.
    """
    samples = []
    problems.read_list(list_path)
    for number, fields in read_rows(list_path):
        where = f"{list_path}:{number}"
        if len(fields) == 2 and fields[0].lower().endswith(".npz"):
            rels = [fields[0]] * 3
        elif len(fields) in (4, 5):
            rels = fields[:3]
        else:
            raise PafasError(f"{where}: expected 'rgb depth ir label [attack]' or 'name.npz label', "
                             f"got {len(fields)} columns")
        token = fields[1] if len(fields) == 2 else fields[3]
        label = parse_label(token, where)
        word = fields[4] if len(fields) == 5 else (attacks or {}).get(fields[0])
        attack = attack_path(word, where) if word else attack_from_path(fields[0], label, where)
        if word and (attack == LIVE_PATH) != (label == LIVE):
            raise PafasError(f"{where}: attack type '{word}' contradicts label '{token}' (1 = live)")
        sample = build_sample(root, rels, label, attack, domain, split, where, problems)
        if sample is not None:
            samples.append(sample)
    return samples


def build_sample(root: Path, rels: list[str], label: int, attack: tuple[str, ...], domain: str, split: str,
                 where: str, problems: Problems) -> FaceSample | None:
    """One FaceSample from root-relative rgb/depth/ir paths, or None when an image is missing (skipped)."""
    paths = {m: inside_root(root, rel, where) for m, rel in zip(MODALITIES, rels)}
    if not check_files(paths, where, problems):
        return None
    list_file, _, line = where.rpartition(":")
    return FaceSample(
        id=f"{domain}/{rels[0]}", label=label, attack=attack, domain=domain, split=split,
        rgb=str(paths["rgb"]), depth=str(paths["depth"]), ir=str(paths["ir"]),
        meta={"list": list_file, "line": int(line)},
    )


def count_by(samples: list[FaceSample], *keys: str) -> Counter:
    """Counts of samples by the given FaceSample attributes (attack counted by its deepest name)."""
    def value(s: FaceSample, key: str) -> object:
        return s.attack[-1] if key == "attack" else getattr(s, key)
    return Counter(tuple(value(s, k) for k in keys) for s in samples)
