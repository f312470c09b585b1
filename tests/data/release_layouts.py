"""Tiny datasets shaped like the releases as their owners ship them, generated here (never the real data).

- `casia_surf_kit`: the CASIA-SURF challenge kit: phase folders, `train_list.txt` over real_part/fake_part
  trees, anonymised `Val/0000/000000-color.jpg` and `Testing/...` frames, public (unlabelled) and private
  (labelled) lists.
- `casia_surf_current`: CASIA's current distribution: `CASIA_SURF@p1_video_*.txt`, `<video>/color <label>`,
  0 = live.
- `cefa_current`: CASIA's current CeFA: `CASIA_CeFA/Ethnicity/AF/AF-120/1_120_1_1_1/{color,depth,ir}`,
  `Mask/3D-Mask/...`, protocol files `CASIA_CeFA@p4.1_video_*.txt`, 0 = live.
- `cefa_kit`: the CeFA challenge kit: phase folders, `4@1_train.txt` (frames, 1 = real), anonymised `dev/003062`
  and `test/000123` video folders, `4@1_dev_ref.txt` labelled, `4@1_test_res.txt` without labels.
- `wmca_release`: Idiap's WMCA: `preprocessed-face-station_{CDIT,RGB}/<dd.mm.yy>/<name>.hdf5` with groups
  `Frame_<i>` holding `array` (4, H, W) / (3, H, W) uint8, and `documentation/*_illustration_files.csv`.
- `padisi_release`: PADISI-Face MULTI-SPECTRAL: `ID_<transaction>_<trial>_<name>.npz` (1, 22, H, W) scaled 0-1 by
  bit depth (depth as 16-bit millimetres / 65535), and the repository's ground-truth and partition CSVs.

Faces are drawn by `infer_helpers.draw_face` (live: lit and round in depth; spoof: flat and dark).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from PIL import Image

from infer_helpers import draw_face
from data_layouts import write_list

SIDE = 72  # draw_face needs at least 68 px
FRAMES = 5


def _save_face(paths: list[Path], live: bool, seed: int) -> None:
    for path, image in zip(paths, draw_face(live, seed, side=SIDE)):
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path)


def _seed(*parts: object) -> int:
    return int(hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:8], 16)


def _save_video(root: Path, folder: str, live: bool, names: tuple[str, ...] = ("color", "depth", "ir")) -> None:
    """FRAMES numbered frames (0001.jpg ...) per modality folder under `folder`."""
    for f in range(1, FRAMES + 1):
        _save_face([root / f"{folder}/{m}/{f:04d}.jpg" for m in names], live, _seed(folder, f))


def casia_surf_kit(root: Path, with_test_labels: bool = True) -> Path:
    """The CASIA-SURF challenge kit (2 live + 4 spoof videos per split, 5 frames each)."""
    def videos(split_dir: str, anonymised: bool):
        rows = []
        for v in range(6):
            live = v < 2
            if anonymised:
                folder = f"{split_dir}/{v:04d}"
                for f in range(FRAMES):
                    rels = [f"{folder}/{f:06d}-{m}.jpg" for m in ("color", "depth", "ir")]
                    _save_face([root / r for r in rels], live, _seed(folder, f))
                    rows.append((rels, live))
            else:
                part, video = ("real_part", "real.rssdk") if live else ("fake_part", f"0{v}_en_b.rssdk")
                folder = f"{split_dir}/{part}/CLKJ_AS{v:04d}/{video}"
                for f in range(1, FRAMES + 1):
                    rels = [f"{folder}/{m}/{f * 7}.jpg" for m in ("color", "depth", "ir")]
                    _save_face([root / r for r in rels], live, _seed(folder, f))
                    rows.append((rels, live))
        return rows

    train = videos("Training", anonymised=False)
    val = videos("Val", anonymised=True)
    test = videos("Testing", anonymised=True)
    write_list(root / "phase1/train_list.txt", [" ".join(r) + f" {int(live)}" for r, live in train])
    write_list(root / "phase1/val_public_list.txt", [" ".join(r) for r, _ in val])
    write_list(root / "phase2/val_private_list.txt", [" ".join(r) + f" {int(live)}" for r, live in val])
    write_list(root / "phase2/test_public_list.txt", [" ".join(r) for r, _ in test])
    if with_test_labels:
        write_list(root / "phase2/test_private_list.txt", [" ".join(r) + f" {int(live)}" for r, live in test])
    return root


def casia_surf_current(root: Path) -> Path:
    """CASIA's current CASIA-SURF distribution: video lists, 0 = live (2 live + 4 spoof videos per split)."""
    for split, folder in (("train", "Training"), ("dev", "Val"), ("test", "Testing")):
        rows = []
        for v in range(6):
            live = v < 2
            part, video = ("real_part", "real.rssdk") if live else ("fake_part", f"0{v}_enm_b.rssdk")
            base = f"CASIA_SURF/Data/{folder}/{part}/CLKJ_AS{v:04d}/{video}"
            _save_video(root, base, live)
            rows.append(f"{base}/color {0 if live else 1}")
        write_list(root / f"CASIA_SURF/protocol/CASIA_SURF@p1_video_{split}.txt", rows)
    return root


def cefa_current(root: Path) -> Path:
    """CASIA's current CeFA: protocol 4.1 video lists with 0 = live; train/dev AF with screens, test CA with cloth
    prints and 3D masks."""
    plan = {
        "train": [("AF", 120, 1), ("AF", 121, 1), ("AF", 120, 4), ("AF", 121, 4), ("AF", 122, 4), ("AF", 123, 4)],
        "dev": [("AF", 130, 1), ("AF", 130, 4), ("AF", 131, 4), ("AF", 132, 4)],
        "test": [("CA", 200, 1), ("CA", 200, 2), ("CA", 201, 2), ("CA", 202, 2), ("MASK", 73, 0)],
    }
    for split, videos in plan.items():
        rows = []
        for race, subject, pai in videos:
            if race == "MASK":
                base = f"CASIA_CeFA/Mask/3D-Mask/{subject:03d}/1_{subject:03d}_1_0_2_1_2"
                live = False
            else:
                race_id = {"AF": 1, "CA": 2}[race]
                base = f"CASIA_CeFA/Ethnicity/{race}/{race}-{subject:03d}/{race_id}_{subject:03d}_1_1_{pai}"
                live = pai == 1
            _save_video(root, base, live)
            rows.append(f"{base}/color {0 if live else 1}")
        write_list(root / f"CASIA_CeFA/protocol/CASIA_CeFA@p4.1_video_{split}.txt", rows)
    return root


def cefa_kit(root: Path) -> Path:
    """The CeFA challenge kit (protocol 4@1): phase folders, anonymised dev/test folders, unlabelled test list."""
    train_rows = []
    for name, live in (("1_000_1_1_1", True), ("1_001_1_1_1", True), ("1_000_1_1_4", False), ("1_001_1_1_4", False)):
        for f in range(1, FRAMES + 1):
            rels = [f"train/{name}/{m}/{f:04d}.jpg" for m in ("profile", "depth", "ir")]
            _save_face([root / r for r in rels], live, _seed(name, f))
            train_rows.append(f"{rels[0]} {int(live)}")
    write_list(root / "phase1/4@1_train.txt", train_rows)
    for split, first in (("dev", 3062), ("test", 123)):
        rows = []
        for v in range(4):
            folder = f"{split}/{first + v:06d}"
            _save_video(root, folder, v < 2, ("profile", "depth", "ir"))
            rows.append((folder, int(v < 2)))
        if split == "dev":
            write_list(root / "phase1/4@1_dev_res.txt", [f for f, _ in rows])
            write_list(root / "phase2/4@1_dev_ref.txt", [f"{f} {label}" for f, label in rows])
        else:
            write_list(root / "phase2/4@1_test_res.txt", [f for f, _ in rows])
    return root


# (client, session, presenter, type, pai): bona fide and a spread of BATL attack types and PAIs.
WMCA_VIDEOS = [
    (1, 1, 0, 0, 0), (1, 2, 0, 0, 1), (1, 1, 1, 3, 1), (1, 4, 1, 4, 3),
    (2, 1, 0, 0, 0), (2, 2, 2, 2, 1), (2, 3, 2, 1, 4),
    (3, 1, 0, 0, 0), (3, 2, 3, 2, 18), (3, 3, 3, 2, 9),
    (4, 1, 0, 0, 0), (4, 2, 4, 3, 5), (4, 3, 4, 2, 12),
    (5, 1, 0, 0, 0), (5, 2, 5, 1, 15), (5, 3, 5, 3, 2),
]


def wmca_name(client: int, session: int, presenter: int, type_id: int, pai: int) -> str:
    return f"{client:03d}_{session:02d}_{presenter:03d}_{type_id}_{pai:02d}"


def wmca_release(root: Path, videos=WMCA_VIDEOS, frames: int = 6) -> Path:
    """Idiap's WMCA tree: CDIT and RGB HDF5 files per video (frames Frame_0..), plus the documentation CSVs."""
    import h5py

    bona, attack = [], []
    for i, video in enumerate(videos):
        name = wmca_name(*video)
        date = f"{10 + i % 3:02d}.02.18"
        live = video[3] == 0
        for kind in ("CDIT", "RGB"):
            path = root / f"WMCA/preprocessed-face-station_{kind}/{date}/{name}.hdf5"
            path.parent.mkdir(parents=True, exist_ok=True)
            with h5py.File(path, "w") as handle:
                for f in range(frames):
                    rgb, depth, ir = (np.asarray(im) for im in draw_face(live, _seed(name, f), side=SIDE))
                    if kind == "RGB":
                        array = np.moveaxis(rgb, -1, 0)
                    else:
                        grey = np.asarray(Image.fromarray(rgb).convert("L"))
                        array = np.stack([grey, depth, ir, np.full_like(grey, 90)])
                    handle.create_group(f"Frame_{f}").create_dataset("array", data=array.astype(np.uint8))
        (bona if live else attack).append(f"{date}/{name}.hdf5")
    write_list(root / "WMCA/documentation/bonafide_illustration_files.csv", bona[:2], crlf=False)
    write_list(root / "WMCA/documentation/attack_illustration_files.csv", attack[:2], crlf=False)
    return root


# (transaction, trial, trial_name, ground_truth, partition): 6 bona fide, 6 attacks over train/valid/test.
PADISI_TRIALS = [
    ("a4acb647ebc247c7fbfecd2c711157bd5c76e895", "08b8ddc9", "FACE_NEUTRAL_WITHOUT_GLASS", "m00000", "train"),
    ("a4acb647ebc247c7fbfecd2c711157bd5c76e895", "289abac4", "FACE_SMILE_WITHOUT_GLASS", "m00000", "train"),
    ("dab9b50ddf6e50bffb6a9a8fd4bede0f5c76f16f", "1338eba3", "FACE_NEUTRAL_WITHOUT_GLASS", "m50504", "train"),
    ("a4acb647ebc247c7fbfecd2c711157bd5c76f293", "b08ed489", "FACE_NEUTRAL_WITHOUT_GLASS", "m50602", "train"),
    ("84ea70777425db02a6f125f5b784eaca5c76e9bb", "c1acc5ca", "FACE_NEUTRAL_WITHOUT_GLASS", "m00000", "valid"),
    ("84ea70777425db02a6f125f5b784eaca5c76e9bb", "6bbbf896", "FACE_SMILE_WITHOUT_GLASS", "m00000", "valid"),
    ("eb4d496e9e0ed7a207fb4656884e6ee55c76fda7", "3756992f", "FACE_NEUTRAL_WITHOUT_GLASS", "m50102", "valid"),
    ("6e4e08975c3bd9988e05803d379e4d415c76f51b", "1f77455b", "FACE_NEUTRAL_WITHOUT_GLASS", "m50505", "valid"),
    ("04bad6dcc102f7f77c64229354be1f855c76ed6f", "a4de38f7", "FACE_NEUTRAL_WITHOUT_GLASS", "m00000", "test"),
    ("04bad6dcc102f7f77c64229354be1f855c76ed6f", "faa0eb3e", "FACE_SMILE_WITHOUT_GLASS", "m00000", "test"),
    ("097311c621dcc317eee6e93d72e3be555c7731f3", "8fd45f9b", "FACE_NEUTRAL_WITHOUT_GLASS", "m50701", "test"),
    ("22d5c36a86a48dfdb316016f7469b0115c773615", "1700bb7f", "FACE_NEUTRAL_WITHOUT_GLASS", "m50603", "test"),
]


def padisi_npz(path: Path, live: bool, seed: int) -> None:
    """One MULTI-SPECTRAL capture: (1, 22, H, W) float32, channels 0-1 by bit depth; depth = mm / 65535."""
    rgb, depth, ir = (np.asarray(im, dtype=np.float32) for im in draw_face(live, seed, side=SIDE))
    data = np.zeros((1, 22, SIDE, SIDE), np.float32)
    data[0, 0:3] = np.moveaxis(rgb[..., ::-1], -1, 0) / 255  # BGR
    data[0, 3] = ir / 255
    # A face 600-700 mm away (nearer where draw_face's depth is bright); 0 = no measurement.
    data[0, 4] = np.where(depth > 0, 700 - 100 * depth / 255, 0) / 65535
    data[0, 5:] = 0.3
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, data=data)


def padisi_release(root: Path, trials=PADISI_TRIALS) -> Path:
    """The unzipped MULTI-SPECTRAL folder plus the repository's data/face_partitions CSVs."""
    gt = ["transaction_id,trial_id,trial_name,modality,ground_truth,participant_id,gender,ethnicity,race,age"]
    part = ["transaction_id,trial_id,trial_name,partition_name"]
    for i, (tx, trial, name, code, partition) in enumerate(trials):
        padisi_npz(root / f"padisi_USC_FACE_MULTI_SPECTRAL_preprocessed/ID_{tx}_{trial}_{name}.npz",
                   code == "m00000", _seed(trial))
        gt.append(f"{tx},{trial},{name},FACE,{code},p{i:04d},Female,Not Hispanic or Latino,Asian,25")
        part.append(f"{tx},{trial},{name},{partition}")
    write_list(root / "data/face_partitions/padisi_USC_FACE_ground_truth.csv", gt, crlf=False)
    write_list(root / "data/face_partitions/padisi_USC_FACE_dataset_partition_3folds_part0.csv", part, crlf=False)
    return root
