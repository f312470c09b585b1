"""What every list-file adapter shares: safe paths, tolerant line reading, labels, attack words, missing files.

Real releases are plain text lists (space or tab separated, often CRLF) of paths relative to the
dataset root. Here those paths are checked to stay inside the root (also after following symlinks),
labels are converted to the one polarity of `FaceSample` (1 = live), and a missing or unreadable image
either stops the build or is skipped and counted (`data.on_missing`), never dropped silently.

One reader (`read_list`) takes every line shape the releases use:

- `rgb depth ir label [attack]` (MMDG, the CASIA-SURF challenge, `pafas prepare` output);
- `name.npz label` (PADISI: one file holds every channel);
- `path label`, where path is one frame (`.../profile/0001.jpg`, CeFA challenge train) or a video folder
  (`dev/003062`, CASIA's `.../color` video lists), depth and IR found by swapping the RGB folder name;
- `path` alone (an unlabelled challenge test list): the folder name must then say live or spoof.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

from pafas_cli.data.attacks import LIVE_PATH, SPOOF_PATH, attack_path, wmca_attack
from pafas_cli.data.sample import LIVE, MODALITIES, SPOOF, FaceSample
from pafas_cli.errors import PafasError

SPLITS = ("train", "dev", "test")
# Toolkit split name -> the word MMDG list names use (`<D>-train.txt`, `<D>-val.txt`, `<D>-test.txt`).
LIST_WORD = {"train": "train", "dev": "val", "test": "test"}


def list_name(domain: str, split: str) -> str:
    """The MMDG list file of `domain` and `split`, e.g. W-val.txt."""
    return f"{domain}-{LIST_WORD[split]}.txt"


def candidates(domain: str, split: str, lists: str = "") -> list[str]:
    """Where an MMDG list of `domain` and `split` may lie, relative to the root."""
    name = list_name(domain, split)
    return [f"{lists}/{name}"] if lists else [name, f"MMDG-Benchmark/{name}"]
# CeFA-Race video folders are Race_ID_AcqDevice_Session_PAI; PAI 1 real, 2 cloth print, 3 photo print,
# 4 screen (liuajian/CASIA-FAS-Dataset CASIA_CeFA/readme.md).
CEFA_RACE = re.compile(r"^\d_\d{3}_\d_\d_(\d)$")
CEFA_PAI = {"1": "live", "2": "print", "3": "print", "4": "replay"}
# CeFA mask folders (under CeFA-Mask/ in MMDG's copy, Mask/ in CASIA's current one): 3D-Mask (3D-printed,
# rigid) and Silicone-Mask.
CEFA_MASKS = {"3d-mask": "rigidmask", "silicone-mask": "flexiblemask"}
CEFA_MASK_PARENTS = {"cefa-mask", "mask"}
# WMCA (BATL) names are client_session_presenter_type_pai; type 0 is bona fide (bob.db.batl guide).
WMCA_NAME = re.compile(r"^\d{3}_\d{2}_\d{3}_(\d)_(\d{2})$")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")
# Words a path may use for each modality (whole tokens between / _ - .), for the column-order guard.
MODALITY_WORDS = {"rgb": {"color", "colour", "rgb", "profile"}, "depth": {"depth"}, "ir": {"ir", "nir", "infrared"}}
# Folder names releases give the RGB frames; depth and IR sit next to them under "depth" and "ir".
RGB_FOLDERS = ("color", "profile", "rgb")
POLARITY_LIVE_TOKEN = {"1=live": "1", "0=live": "0"}


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


@dataclass(frozen=True)
class ListOptions:
    """How to read one dataset's lists: the per-dataset keys of the `data` section (or a `data.domains` entry)."""

    # The lists' folder relative to the root (or a protocol name some sources know, e.g. CeFA's "4@2").
    lists: str = ""
    # (split, list path) for splits whose list was named explicitly (data.train_list / dev_list / test_list).
    split_lists: tuple[tuple[str, str], ...] = ()
    # "auto" (the format's own), "1=live" or "0=live".
    label_polarity: str = "auto"
    # (old prefix, new prefix), longest old prefix first.
    remap: tuple[tuple[str, str], ...] = ()
    # Frames kept per video when a line names a whole video folder.
    frames: int = 3

    @classmethod
    def from_mapping(cls, data: Mapping, frames: int = 3) -> "ListOptions":
        """From the `data` section as a dict (or one `data.domains` entry)."""
        remap = {str(k): str(v) for k, v in (data.get("remap") or {}).items()}
        return cls(
            lists=str(data.get("lists") or ""),
            split_lists=tuple((s, str(data[f"{s}_list"])) for s in SPLITS if data.get(f"{s}_list")),
            label_polarity=str(data.get("label_polarity") or "auto"),
            remap=tuple(sorted(remap.items(), key=lambda kv: -len(kv[0]))),
            frames=frames,
        )

    def list_for(self, split: str) -> str:
        return dict(self.split_lists).get(split, "")

    def polarity(self, default: str) -> str:
        """The polarity to read with: the explicit one, else the format's `default`."""
        return default if self.label_polarity == "auto" else self.label_polarity

    def remap_path(self, rel: str) -> str:
        """`rel` with the longest matching `remap` prefix replaced (paths written on another machine)."""
        posix = rel.replace("\\", "/")
        for old, new in self.remap:
            old = old.replace("\\", "/")
            if posix.startswith(old):
                rest = posix[len(old):].lstrip("/")
                new = new.replace("\\", "/")
                return posixpath.join(new, rest) if new else rest
        return rel


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
                         "list files must hold paths relative to the root (lists written on another machine: "
                         "rewrite their prefix with data.remap, e.g. --set 'data.remap={\"/old/root/\": \"\"}')")
    path = root / posix
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    if real != real_root and not real.startswith(real_root.rstrip(os.sep) + os.sep):
        raise PafasError(f"{where}: path '{rel}' leaves the dataset root {real_root} through a symlink: "
                         f"{path} really points to {real}; point data.root at a folder that holds the images "
                         "themselves, or replace the link with the files")
    return path


def parse_label(token: str, where: str, polarity: str = "1=live") -> int:
    """1/0 in the given polarity ("1=live": the MMDG/challenge convention; "0=live": CASIA's current lists)
    or True/False (PADISI: True = attack, whatever the polarity) -> FaceSample label."""
    low = token.lower()
    if low in ("1", "0"):
        return LIVE if low == POLARITY_LIVE_TOKEN.get(polarity, "1") else SPOOF
    if low in ("true", "false"):
        return SPOOF if low == "true" else LIVE
    raise PafasError(f"{where}: label '{token}' is not 1/0 (read as {polarity}) or True/False (True = attack)")


def named_attack(rel: str) -> str | None:
    """The attack word a release's folder names reveal (`live`, `print`, `fakehead`, ...), or None."""
    lowered = [p.lower() for p in rel.replace("\\", "/").split("/") if p]
    for i, part in enumerate(lowered):
        if part in CEFA_MASKS and i > 0 and lowered[i - 1] in CEFA_MASK_PARENTS:
            return CEFA_MASKS[part]
        if m := CEFA_RACE.match(part):
            return CEFA_PAI.get(m.group(1), "spoof")
        if m := WMCA_NAME.match(part):
            return wmca_attack(int(m.group(1)), int(m.group(2)))
    if any(p.startswith("casia-surf") or p in ("fake_part", "real_part") for p in lowered):
        # CASIA-SURF holds only print attacks (flat, wrapped and cut); its folders do not say which.
        return "live" if "real_part" in lowered else "print"
    return None


def decide_attack(rel: str, label: int, where: str, polarity: str, word: str | None = None,
                  evidence: tuple[str, str] | None = None, spoof_attack: str | None = None) -> tuple[str, ...]:
    """The attack path of one line, checked against its label (the polarity guard).

    In order: the line's own attack column (`word`); `evidence` = (attack word, where it comes from), e.g. a
    per-attack list or a ground-truth file; the folder names; for a spoof, the dataset's `spoof_attack` (what
    every spoof of that split is, e.g. CASIA-SURF's prints) when nothing more specific is known.
    """
    is_live = label == LIVE
    if word:
        path = attack_path(word, where)
        if (path == LIVE_PATH) != is_live:
            raise PafasError(f"{where}: attack type '{word}' contradicts label {'live' if is_live else 'spoof'} "
                             f"(read as {polarity})")
        return path
    found, source = (evidence if evidence else (named_attack(rel), f"the folder name of '{rel}'"))
    if found is not None:
        path = attack_path(found, where)
        if (path == LIVE_PATH) != is_live:
            raise PafasError(f"{where}: label {'live' if is_live else 'spoof'} (the list read as {polarity}) "
                             f"contradicts {source} ({found}); is the label polarity flipped? "
                             "Set data.label_polarity to the list's convention")
        if path != SPOOF_PATH or not spoof_attack:
            return path
    if is_live:
        return LIVE_PATH
    return attack_path(spoof_attack, where) if spoof_attack else SPOOF_PATH


def check_modalities(rels: Sequence[str], where: str) -> None:
    """The rgb, depth and ir columns must name their own modality whenever their names name one."""
    for slot, rel in zip(MODALITIES, rels):
        tokens = set(re.split(r"[/\\_.\-]+", rel.lower()))
        named = {m for m, words in MODALITY_WORDS.items() if tokens & words}
        if named and slot not in named:
            raise PafasError(f"{where}: the {slot} column names {' and '.join(sorted(named))} ('{rel}'); the columns "
                             "must be rgb, depth, ir in that order (swapped columns would train on the wrong sensor)")


def natural_key(name: str) -> list:
    """Sort key that orders frame names by their numbers (2.jpg before 10.jpg)."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def pick_evenly(items: Sequence, k: int) -> list:
    """Up to `k` items, evenly spaced: the centres of `k` equal segments (all of them when there are <= k)."""
    n = len(items)
    if n <= k:
        return list(items)
    return [items[int((i + 0.5) * n / k)] for i in range(k)]


def swap_modality(rel: str, modality: str, where: str) -> str:
    """The depth/ir path next to an RGB frame or folder: its last RGB folder name replaced."""
    parts = rel.replace("\\", "/").split("/")
    for i in range(len(parts) - 1, -1, -1):
        if parts[i].lower() in RGB_FOLDERS:
            parts[i] = modality
            return "/".join(parts)
    raise PafasError(f"{where}: '{rel}' has no {'/'.join(RGB_FOLDERS)} folder to derive the {modality} path from")


def video_of(rel: str) -> str:
    """The video a frame belongs to: its folder, without the RGB folder name (a .npz file is its own video)."""
    if rel.lower().endswith(".npz"):
        return rel.replace("\\", "/")
    parts = rel.replace("\\", "/").split("/")[:-1]
    if parts and parts[-1].lower() in RGB_FOLDERS:
        parts = parts[:-1]
    return "/".join(parts)


def expand_video(root: Path, rel: str, where: str, problems: Problems, frames: int) -> list[list[str]]:
    """(rgb, depth, ir) paths for a line that names one frame or a whole video folder (evenly spaced frames)."""
    if rel.lower().endswith(IMAGE_SUFFIXES):
        return [[rel, swap_modality(rel, "depth", where), swap_modality(rel, "ir", where)]]
    folder = rel.rstrip("/")
    if folder.split("/")[-1].lower() not in RGB_FOLDERS:
        base = inside_root(root, folder, where)
        sub = next((n for n in RGB_FOLDERS if (base / n).is_dir()), None)
        if sub is None:
            problems.report(where, f"video folder not found or without {'/'.join(RGB_FOLDERS)} frames: {base}")
            return []
        folder = f"{folder}/{sub}"
    rgb_dir = inside_root(root, folder, where)
    names = sorted((p.name for p in rgb_dir.iterdir() if p.name.lower().endswith(IMAGE_SUFFIXES)),
                   key=natural_key) if rgb_dir.is_dir() else []
    if not names:
        problems.report(where, f"no frames in {rgb_dir}")
        return []
    return [[f"{folder}/{n}", swap_modality(f"{folder}/{n}", "depth", where),
             swap_modality(f"{folder}/{n}", "ir", where)] for n in pick_evenly(names, frames)]


def read_list(list_path: Path, root: Path, domain: str, split: str, problems: Problems,
              options: ListOptions = ListOptions(), *, polarity: str = "1=live",
              evidence: Mapping[str, tuple[str, str]] | None = None, spoof_attack: str | None = None,
              resolve: Callable[[str], str | None] | None = None) -> list[FaceSample]:
    """Every sample of one list file (see the module docstring for the line shapes).

    `polarity` is the format's own label convention (`options.label_polarity` overrides it); `evidence`
    maps an rgb path (as written, after remap) to (attack word, its source), e.g. WMCA's per-attack lists or
    PADISI's ground truth; `spoof_attack` types the spoofs nothing else types; `resolve` maps a `.npz`
    name to the file that holds it (PADISI trial ids), None when there is none.
    """
    samples = []
    problems.read_list(list_path)
    polarity = options.polarity(polarity)
    for number, fields in read_rows(list_path):
        where = f"{list_path}:{number}"
        if len(fields) in (4, 5):
            rels = [options.remap_path(f) for f in fields[:3]]
            check_modalities(rels, where)
            token, word = fields[3], (fields[4] if len(fields) == 5 else None)
        elif len(fields) in (1, 2):
            rels = [options.remap_path(fields[0])]
            token, word = (fields[1] if len(fields) == 2 else None), None
        else:
            raise PafasError(f"{where}: expected 'rgb depth ir label [attack]', 'path label', 'name.npz label' or "
                             f"'path', got {len(fields)} columns")
        head = rels[0]
        label = parse_label(token, where, polarity) if token is not None else label_from_name(head, where, split)
        found = (evidence or {}).get(head)
        attack = decide_attack(head, label, where, polarity, word, found, spoof_attack)
        if len(rels) == 3:
            triples = [rels]
        elif head.lower().endswith(".npz"):
            resolved = resolve(head) if resolve else head
            if resolved is None:
                problems.report(where, f"rgb image not found: {root / head} (no .npz of that name or trial id)")
                continue
            triples = [[resolved] * 3]
        else:
            triples = expand_video(root, head, where, problems, options.frames)
        for triple in triples:
            sample = build_sample(root, triple, label, attack, domain, split, where, problems)
            if sample is not None:
                samples.append(sample)
    return samples


def label_from_name(rel: str, where: str, split: str) -> int:
    """A line without a label: the folder name must say live or spoof (CeFA PAI, WMCA type, ...)."""
    found = named_attack(rel)
    if found is None:
        raise PafasError(f"{where}: no label column, and '{rel}' does not say live or spoof (an anonymised "
                         f"challenge folder): this list cannot serve as the {split} split; give a labelled list "
                         f"with data.{split}_list=PATH")
    return LIVE if found == "live" else SPOOF


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
        meta={"list": list_file, "line": int(line), "video": video_of(rels[0]), "rel": list(rels)},
    )


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


# Folders one level down where releases keep their lists (besides the phase folders of challenge kits).
LIST_SUBFOLDERS = ("protocol", "protocols", "lists")


def search_list(root: Path, names: Sequence[str]) -> Path | None:
    """The first of `names` found in the root, in one of its sub-folders (a challenge kit's `phase1/`,
    `phase2/`, ...), or in a `protocol/` folder one level further down; names are tried in order."""
    children = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    folders = [root, *children, *(c / s for c in children for s in LIST_SUBFOLDERS)]
    for name in names:
        for folder in folders:
            if (folder / name).is_file():
                return folder / name
    return None


def explicit_list(root: Path, options: ListOptions, split: str) -> Path | None:
    """The list `data.<split>_list` names (relative paths are read from `root`), None when not given."""
    explicit = options.list_for(split)
    if not explicit:
        return None
    path = Path(explicit).expanduser()
    path = path if path.is_absolute() else root / path
    if not path.is_file():
        raise PafasError(f"data.{split}_list: {path} does not exist (a relative path is read from {root})")
    return path


def locate_list(root: Path, options: ListOptions, split: str, names: Sequence[str], what: str,
                unlabelled: Sequence[str] = ()) -> Path:
    """The list of `split`: `data.<split>_list` when given, else the first of `names` that `search_list`
    finds. A release's unlabelled list (`unlabelled`) found instead is named in the error."""
    explicit = explicit_list(root, options, split)
    if explicit is not None:
        return explicit
    found = search_list(root, names)
    if found is not None:
        return found
    public = search_list(root, unlabelled) if unlabelled else None
    if public is not None:
        raise PafasError(f"{what}: only {public} was found, and it has no labels; the labelled list is "
                         f"{names[0]}: put it next to it or pass data.{split}_list=PATH")
    raise PafasError(f"{root}: no {what} list (looked for {', '.join(names)} in the root and its sub-folders); "
                     f"pass data.{split}_list=PATH if it is elsewhere")


def count_by(samples: list[FaceSample], *keys: str) -> Counter:
    """Counts of samples by the given FaceSample attributes (attack counted by its deepest name)."""
    def value(s: FaceSample, key: str) -> object:
        return s.attack[-1] if key == "attack" else getattr(s, key)
    return Counter(tuple(value(s, k) for k in keys) for s in samples)
