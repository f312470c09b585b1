"""`pafas prepare wmca`: Idiap's WMCA release, one HDF5 file per video, read with h5py.

The release (Idiap's download, read by `bob.pad.face`) holds, per video `<client>_<session>_<presenter>_<type>_<pai>`:

    preprocessed-face-station_CDIT/<dd.mm.yy>/<name>.hdf5   groups Frame_<i>, each a dataset `array` of shape
                                                            (4, H, W) uint8: grey, depth, infrared, thermal
    preprocessed-face-station_RGB/<dd.mm.yy>/<name>.hdf5    the same frames, `array` (3, H, W) uint8, RGB
    documentation/{bonafide,attack}_illustration_files.csv  (optional) files known bona fide / attack

(the two trees may also sit as WMCA_preprocessed_CDIT/WMCA/face-station/...: a file belongs to CDIT or
RGB by the folder name holding "CDIT" or "RGB"). The faces are Idiap's own preprocessing: detected,
aligned and cropped (128 x 128), depth and infrared registered to the colour camera and already 8-bit,
so no crop or rescale is applied; only a non-8-bit array is scaled (depth per face, IR and RGB v/257).

Splits: MMDG's `W-{train,val,test}.txt` when found (in the root, MMDG-Benchmark/, or given with
data.train_list / dev_list / test_list), which also name the frames (`.../<name>/color/0012.jpg` is
Frame_12); otherwise the clients (the first name field) in sorted order, 60 / 20 / 20 % to train / dev
/ test (not Idiap's grandtest partition, which the release does not ship), with a warning.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image

from pafas_cli.data.attacks import attack_path
from pafas_cli.data.config import DataConfig
from pafas_cli.data.images import normalise_depth
from pafas_cli.data.prepare.core import Video
from pafas_cli.data.sample import LIVE, SPOOF
from pafas_cli.data.sources.reading import (
    SPLITS, WMCA_NAME, ListOptions, Problems, decide_attack, named_attack, natural_key, parse_label, pick_evenly,
    candidates, explicit_list, read_rows, search_list,
)
from pafas_cli.errors import PafasError

RULES = {
    "frames": "MMDG lists: the frames they name (<name>/color/0012.jpg = Frame_12), at most data.prepare.frames per "
              "video, evenly spaced; no lists: data.prepare.frames evenly spaced among the Frame_<i> both files hold",
    "crop": "none: the release's faces are Idiap's aligned 128x128 crops (depth and IR registered to colour)",
    "depth": "CDIT channel 1 as released (uint8); another dtype is normalised per face",
    "ir": "CDIT channel 2 as released (uint8); uint16 v/257",
    "rgb": "RGB file's array (3, H, W); without an RGB file, CDIT channel 0 (grey) repeated, with a warning",
}
FRAME = re.compile(r"^Frame_(\d+)$")
# Shares of the sorted clients given to train / dev (the rest is test) when no lists give the splits.
CLIENT_SPLIT = (0.6, 0.2)


def index_files(root: Path) -> dict[str, dict[str, Path]]:
    """video name -> {"cdit": path, "rgb": path} of every `.hdf5` under the root."""
    found: dict[str, dict[str, Path]] = {}
    for path in sorted(root.rglob("*.hdf5")):
        parts = [p.upper() for p in path.relative_to(root).parts[:-1]]
        kind = "cdit" if any("CDIT" in p for p in parts) else "rgb" if any("RGB" in p for p in parts) else None
        if kind is not None and WMCA_NAME.match(path.stem):
            found.setdefault(path.stem, {})[kind] = path
    return found


def documented_labels(root: Path) -> dict[str, int]:
    """video name -> label from the release's documentation/{bonafide,attack}_illustration_files.csv."""
    labels: dict[str, int] = {}
    for name, label in (("bonafide_illustration_files.csv", LIVE), ("attack_illustration_files.csv", SPOOF)):
        for path in sorted(root.rglob(name)):
            with path.open(newline="", encoding="utf-8-sig") as handle:
                for row in csv.reader(handle):
                    if row and row[0].strip():
                        labels[PurePosixPath(row[0].strip().replace("\\", "/")).stem] = label
    return labels


def frame_keys(path: Path) -> list[str]:
    import h5py

    try:
        with h5py.File(path, "r") as handle:
            return sorted((k for k in handle.keys() if FRAME.match(k)), key=natural_key)
    except OSError as exc:
        raise PafasError(f"{path}: cannot read the HDF5 file ({exc})") from None


def plan(root: Path, cfg: DataConfig, options: ListOptions, problems: dict[str, Problems]) -> tuple[list[Video], dict]:
    files = index_files(root)
    if not files:
        raise PafasError(f"{root}: no WMCA HDF5 files (expected preprocessed-face-station_CDIT/<date>/<name>.hdf5 and "
                         "preprocessed-face-station_RGB/<date>/<name>.hdf5 under it)")
    documented = documented_labels(root)
    lists = {split: _list_path(root, options, split) for split in SPLITS}
    found = [s for s in SPLITS if lists[s] is not None]
    if found and len(found) < len(SPLITS):
        missing = [s for s in SPLITS if lists[s] is None]
        raise PafasError(f"{root}: found WMCA lists for {', '.join(found)} but none for {', '.join(missing)} "
                         f"(looked for {', '.join(candidates('W', missing[0]))}); give them with data.<split>_list")
    if found:
        videos = _from_lists(root, files, lists, cfg, options, problems)
        rule = "MMDG lists: " + ", ".join(str(lists[s]) for s in SPLITS)
    else:
        videos = _by_client(files, cfg, problems)
        rule = (f"no lists found: clients in sorted order, {CLIENT_SPLIT[0]:.0%} train, {CLIENT_SPLIT[1]:.0%} dev, "
                "the rest test (not Idiap's grandtest)")
    for video in videos:
        known = documented.get(video.key)
        if known is not None and known != video.label:
            raise PafasError(f"{video.where}: {video.key} is {'bona fide' if known == LIVE else 'an attack'} in the "
                             "release's documentation/*_illustration_files.csv, but the list says otherwise; is the "
                             "label polarity flipped (data.label_polarity)?")
    return videos, {"split_rule": rule, "lists": {s: [str(lists[s])] if lists[s] else [] for s in SPLITS},
                    "without_rgb": sorted(n for n, f in files.items() if "rgb" not in f)[:20]}


def _list_path(root: Path, options: ListOptions, split: str) -> Path | None:
    return explicit_list(root, options, split) or search_list(root, candidates("W", split, options.lists))


def _from_lists(root: Path, files: dict[str, dict[str, Path]], lists: dict[str, Path | None], cfg: DataConfig,
                options: ListOptions, problems: dict[str, Problems]) -> list[Video]:
    polarity = options.polarity("1=live")
    videos: dict[tuple[str, str], Video] = {}
    for split in SPLITS:
        path = lists[split]
        problems[split].read_list(path)
        for number, fields in read_rows(path):
            where = f"{path}:{number}"
            if len(fields) not in (4, 5):
                raise PafasError(f"{where}: expected 'rgb depth ir label [attack]' (MMDG's W lists), got "
                                 f"{len(fields)} columns")
            rel = options.remap_path(fields[0])
            name = next((p for p in rel.replace("\\", "/").split("/") if WMCA_NAME.match(p)), None)
            if name is None:
                raise PafasError(f"{where}: no WMCA video name (client_session_presenter_type_pai) in '{rel}'")
            label = parse_label(fields[3], where, polarity)
            attack = decide_attack(name, label, where, polarity, fields[4] if len(fields) == 5 else None)
            digits = re.findall(r"\d+", PurePosixPath(rel).stem)
            if not digits:
                raise PafasError(f"{where}: no frame number in '{rel}'")
            if name not in files or "cdit" not in files[name]:
                problems[split].report(where, f"rgb image not found: no CDIT HDF5 file {name}.hdf5 under {root}")
                continue
            video = videos.setdefault((split, name), Video(split, name, label, attack, [], where, files[name]))
            frame = f"Frame_{int(digits[-1])}"
            if frame not in video.frames:
                video.frames.append(frame)
    out = []
    for video in videos.values():
        video.frames = pick_evenly(sorted(video.frames, key=natural_key), cfg.prepare.frames)
        out.append(video)
    return out


def _by_client(files: dict[str, dict[str, Path]], cfg: DataConfig, problems: dict[str, Problems]) -> list[Video]:
    clients = sorted({name.split("_")[0] for name in files})
    n = len(clients)
    n_train = max(1, round(CLIENT_SPLIT[0] * n)) if n >= 3 else n
    n_dev = max(1, round(CLIENT_SPLIT[1] * n)) if n >= 3 else 0
    n_train = min(n_train, n - n_dev - 1) if n >= 3 else n_train
    split_of = {c: "train" if i < n_train else "dev" if i < n_train + n_dev else "test" for i, c in enumerate(clients)}
    videos = []
    for name, paths in sorted(files.items()):
        split = split_of[name.split("_")[0]]
        where = str(paths.get("cdit") or paths.get("rgb"))
        if "cdit" not in paths:
            problems[split].report(where, f"depth image not found: no CDIT HDF5 file for {name} (only {where})")
            continue
        keys = frame_keys(paths["cdit"])
        if "rgb" in paths:
            rgb_keys = set(frame_keys(paths["rgb"]))
            keys = [k for k in keys if k in rgb_keys]
        if not keys:
            problems[split].report(where, f"no Frame_<i> held by both HDF5 files of {name}")
            continue
        found = named_attack(name) or "spoof"
        label = LIVE if found == "live" else SPOOF
        videos.append(Video(split, name, label, attack_path(found), pick_evenly(keys, cfg.prepare.frames), where,
                            paths))
    return videos


def load(video: Video, frame: str) -> tuple[Image.Image, Image.Image, Image.Image]:
    """RGB, depth and IR of one frame: the RGB file's array and CDIT channels 1 (depth) and 2 (infrared)."""
    cdit = _array(video.source["cdit"], frame)
    if cdit.ndim != 3 or cdit.shape[0] < 3:
        raise PafasError(f"{video.source['cdit']}: {frame}/array has shape {cdit.shape}, expected (4, H, W) "
                         "(grey, depth, infrared, thermal)")
    depth = cdit[1] if cdit.dtype == np.uint8 else normalise_depth(cdit[1])
    ir = _to_uint8(cdit[2])
    if "rgb" in video.source:
        rgb = _array(video.source["rgb"], frame)
        if rgb.ndim != 3 or rgb.shape[0] != 3:
            raise PafasError(f"{video.source['rgb']}: {frame}/array has shape {rgb.shape}, expected (3, H, W)")
        rgb_image = Image.fromarray(np.moveaxis(_to_uint8(rgb), 0, -1), "RGB")
    else:
        rgb_image = Image.fromarray(_to_uint8(cdit[0]), "L").convert("RGB")
    return rgb_image, Image.fromarray(depth, "L"), Image.fromarray(ir, "L")


def _array(path: Path, frame: str) -> np.ndarray:
    import h5py

    try:
        with h5py.File(path, "r") as handle:
            if frame not in handle or "array" not in handle[frame]:
                raise PafasError(f"{path}: no {frame}/array in the HDF5 file")
            return np.asarray(handle[frame]["array"][()])
    except OSError as exc:
        raise PafasError(f"{path}: cannot read the HDF5 file ({exc})") from None


def _to_uint8(array: np.ndarray) -> np.ndarray:
    """uint8 as is; 16-bit v/257; floats in 0-1 x255."""
    if array.dtype == np.uint8:
        return array
    values = array.astype(np.float64)
    top = values.max(initial=0.0)
    scale = 255.0 if array.dtype.kind == "f" and top <= 1.0 else 1 / 257 if top > 255 else 1.0
    return np.clip(np.rint(values * scale), 0, 255).astype(np.uint8)
