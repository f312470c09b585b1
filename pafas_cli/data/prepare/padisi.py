"""`pafas prepare padisi`: PADISI-Face's MULTI-SPECTRAL release and its repository's CSV files, read with numpy/csv.

Expects under --root (at any depth):

    ID_<transaction_id>_<trial_id>_<trial_name>.npz            2,029 files, array 'data' (1, 22, 320, 256), every
                                                               channel scaled 0-1 by its camera's bit depth
    padisi_USC_FACE_ground_truth.csv                           trial_id -> ground_truth (m00000 = bona fide)
    padisi_USC_FACE_dataset_partition_3folds_part{0,1,2}.csv   trial_id -> partition_name (train / valid / test)

(the CSV files are in the PADISI_USC_Dataset repository, data/face_partitions/). Splits: MMDG's
`P-{train,val,test}.txt` (`<trial_id>.npz<TAB>label`) when found or given, else the partition file of
`data.prepare.padisi_fold`. Labels always agree with the ground truth (a list label that contradicts it
stops the run). One capture per file, so one frame; no crop (the release's 320 x 256 face crops). RGB =
channels 2, 1, 0 x255, IR = NIR channel 3 x255, depth = channel 4 normalised per face
(`data.images.normalise_depth`); channels outside 0-1 are refused.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from PIL import Image

from pafas_cli.data.attacks import attack_path
from pafas_cli.data.config import DataConfig
from pafas_cli.data.images import npz_pixels
from pafas_cli.data.prepare.core import Video
from pafas_cli.data.sample import LIVE, SPOOF
from pafas_cli.data.sources import read_source
from pafas_cli.data.sources.padisi import GROUND_TRUTH, find_ground_truth, npz_index, pai_attack, read_ground_truth
from pafas_cli.data.sources.reading import SPLITS, ListOptions, Problems, candidates, search_list
from pafas_cli.errors import PafasError

RULES = {
    "frames": "one: each .npz holds one capture",
    "crop": "none: the release's 320x256 face crops",
    "depth": "channel 4 (0-1 of 16 bits), normalised per face: 2nd-98th percentile of the measured pixels -> "
             "1-255, nearer = brighter, no measurement = 0",
    "ir": "NIR channel 3 x255 (absolute, so bright paper and dark screens keep their brightness)",
    "rgb": "channels 2, 1, 0 (stored BGR) x255",
}
PARTITION_SPLIT = {"train": "train", "valid": "dev", "test": "test"}


def plan(root: Path, cfg: DataConfig, options: ListOptions, problems: dict[str, Problems]) -> tuple[list[Video], dict]:
    index = npz_index(root)
    if not index:
        raise PafasError(f"{root}: no PADISI ID_<transaction>_<trial>_<name>.npz files under it (unzip "
                         "padisi_USC_FACE_MULTI_SPECTRAL_preprocessed.zip there)")
    truth = find_ground_truth(root)
    if truth is None:
        raise PafasError(f"{root}: no {GROUND_TRUTH} under it; copy the PADISI_USC_Dataset repository's "
                         "data/face_partitions/ folder next to the .npz files")
    codes = read_ground_truth(truth)
    has_lists = [s for s in SPLITS if options.list_for(s) or search_list(root, candidates("P", s, options.lists))]
    if has_lists:
        videos = _from_lists(root, options, problems)
        info = {"split_rule": "MMDG lists", "lists": {s: problems[s].lists for s in SPLITS}}
    else:
        videos, partition = _from_partition(root, index, codes, cfg.prepare.padisi_fold, problems)
        info = {"split_rule": f"partition file {partition.name}", "lists": {s: [str(partition)] for s in SPLITS}}
    info["ground_truth"] = str(truth)
    info["pai_codes"] = _code_counts(videos, codes)
    return videos, info


def _from_lists(root: Path, options: ListOptions, problems: dict[str, Problems]) -> list[Video]:
    """MMDG's P lists through the `padisi` adapter (trial ids resolved, labels checked against the ground truth)."""
    videos = []
    for split in SPLITS:
        for sample in read_source("padisi", root, splits=[split], problems=problems[split], options=options)[split]:
            rel = Path(sample.rgb).relative_to(root).as_posix()
            videos.append(Video(split, Path(rel).stem, sample.label, sample.attack, ["0"],
                                f"{sample.meta['list']}:{sample.meta['line']}", Path(sample.rgb), names=["0"]))
    return videos


def _from_partition(root: Path, index: dict[str, str], codes: dict[str, str], fold: int,
                    problems: dict[str, Problems]) -> tuple[list[Video], Path]:
    found = sorted(root.rglob(f"*partition_3folds_part{fold}.csv"))
    if not found:
        raise PafasError(f"{root}: no padisi_USC_FACE_dataset_partition_3folds_part{fold}.csv under it (and no MMDG "
                         "P lists); copy the repository's data/face_partitions/ next to the .npz files")
    partition = found[0]
    with partition.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    if rows and not {"trial_id", "partition_name"} <= set(rows[0]):
        raise PafasError(f"{partition}: expected the columns trial_id and partition_name")
    videos = []
    for number, row in enumerate(rows, start=2):
        where = f"{partition}:{number}"
        split = PARTITION_SPLIT.get(row["partition_name"].strip())
        if split is None:
            raise PafasError(f"{where}: partition_name '{row['partition_name']}' is not train, valid or test")
        trial = row["trial_id"].strip()
        if trial not in codes:
            problems[split].report(where, f"trial {trial} is not in the ground truth")
            continue
        if trial not in index:
            problems[split].report(where, f"rgb image not found: no ID_*_{trial}_*.npz under {root}")
            continue
        word = pai_attack(codes[trial])
        videos.append(Video(split, Path(index[trial]).stem, LIVE if word == "live" else SPOOF, attack_path(word),
                            ["0"], where, root / index[trial], names=["0"]))
    return videos, partition


def _code_counts(videos: list[Video], codes: dict[str, str]) -> dict[str, int]:
    from pafas_cli.data.sources.padisi import trial_of

    counts: dict[str, int] = {}
    for video in videos:
        code = codes.get(trial_of(f"{video.key}.npz"), "?")
        counts[code] = counts.get(code, 0) + 1
    return dict(sorted(counts.items()))


def load(video: Video, frame: str) -> tuple[Image.Image, Image.Image, Image.Image]:
    path = video.source
    try:
        with np.load(path) as npz:
            data = np.asarray(npz["data"])
    except (OSError, ValueError, KeyError, EOFError) as exc:
        raise PafasError(f"{path}: cannot read the PADISI .npz (expected an array 'data'; {exc})") from None
    rgb, depth, ir = (npz_pixels(data, m, path) for m in ("rgb", "depth", "ir"))
    return Image.fromarray(rgb, "RGB"), Image.fromarray(depth, "L"), Image.fromarray(ir, "L")
