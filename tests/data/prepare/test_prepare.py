"""`pafas prepare` on release-shaped fixtures: what each dataset's layout yields, the guards, resumability."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from data_layouts import write_list
from release_layouts import (
    casia_surf_current, casia_surf_kit, cefa_current, cefa_kit, padisi_release, wmca_name, wmca_release,
)
from pafas_cli.config import load_recipe
from pafas_cli.data.prepare import prepare
from pafas_cli.data.sources import read_source
from pafas_cli.errors import PafasError


def data_cfg(*overrides: str):
    return load_recipe("quickstart/prepare.yaml", list(overrides)).data


def lines(path: Path) -> list[list[str]]:
    return [line.split() for line in path.read_text().splitlines()]


def test_casia_surf_kit_from_phase_folders_keeps_three_frames_and_prints_everywhere(tmp_path: Path):
    raw = casia_surf_kit(tmp_path / "raw")
    result = prepare("casia-surf", raw, tmp_path / "out", data_cfg(), progress=False)
    assert {s: (c["videos"], c["faces"], c["live"], c["spoof"]) for s, c in result.counts.items()} == {
        "train": (6, 18, 6, 12), "dev": (6, 18, 6, 12), "test": (6, 18, 6, 12)}
    # Anonymised val/test spoofs keep their type: every CASIA-SURF attack is a print.
    assert all(c["attacks"] == {"live": 6, "print": 12} for c in result.counts.values())
    train = lines(tmp_path / "out/S-train.txt")
    # Frames 7, 14, 21, 28, 35 of a video: the centres of three equal segments are 7, 21 and 35.
    kept = sorted(Path(r[0]).stem for r in train if "CLKJ_AS0000" in r[0])
    assert kept == ["21", "35", "7"] and all(len(r) == 5 for r in train)
    assert train[0][1].split("/")[-2] == "depth" and train[0][2].split("/")[-2] == "ir"
    # Anonymised frames Val/0000/00000{0..4}-color.jpg: the folder is the video, the "-color" suffix goes.
    val = sorted(r[0] for r in lines(tmp_path / "out/S-val.txt") if "/0000/" in r[0])
    assert val == [f"S/Val/0000/color/00000{i}.png" for i in (0, 2, 4)]
    assert all((tmp_path / "out" / rel).is_file() for rel in val)
    manifest = json.loads(result.manifest.read_text())
    assert manifest["counts"]["test"]["attacks"] == {"live": 6, "print": 12}
    assert manifest["sources"]["lists"]["test"][0]["path"].endswith("phase2/test_private_list.txt")
    assert set(manifest["rules"]) >= {"frames", "crop", "depth", "ir"}
    # build-paths reads the output through the casia-surf source (and the list source).
    splits = read_source("casia-surf", tmp_path / "out")
    assert [len(v) for v in splits.values()] == [18, 18, 18]
    assert splits["test"][-1].attack[-1] == "Print Attacks"


def test_a_second_run_writes_nothing_and_an_interrupted_one_continues(tmp_path: Path):
    raw, out = casia_surf_kit(tmp_path / "raw"), tmp_path / "out"
    first = prepare("casia-surf", raw, out, data_cfg(), progress=False)
    listed = {p: p.read_bytes() for p in first.lists.values()}
    again = prepare("casia-surf", raw, out, data_cfg(), progress=False)
    assert (again.written, again.kept) == (0, 54)
    assert {p: p.read_bytes() for p in again.lists.values()} == listed
    # An interruption: some frames and the lists are not there yet.
    for path in list(out.glob("S/Testing/*/color/*.png"))[:4]:
        path.unlink()
    for path in listed:
        path.unlink()
    resumed = prepare("casia-surf", raw, out, data_cfg(), progress=False)
    assert (resumed.written, resumed.kept) == (4, 50)
    assert {p: p.read_bytes() for p in resumed.lists.values()} == listed


def test_the_output_must_lie_outside_the_release(tmp_path: Path):
    raw = wmca_release(tmp_path / "raw", videos=[(1, 1, 0, 0, 0)], frames=1)
    for out in (raw, raw / "prepared"):
        with pytest.raises(PafasError, match=r"--out .* is inside the release"):
            prepare("wmca", raw, out, data_cfg(), progress=False)


def test_casia_surf_without_the_labelled_test_list_says_which_list_to_give(tmp_path: Path):
    raw = casia_surf_kit(tmp_path / "raw", with_test_labels=False)
    with pytest.raises(PafasError, match=r"test_public_list.txt was found, and it has no labels.*test_private_list.txt"
                                         r".*data.test_list"):
        prepare("casia-surf", raw, tmp_path / "out", data_cfg(), progress=False)
    (raw / "elsewhere").mkdir()
    (raw / "phase2/test_public_list.txt").rename(raw / "elsewhere/labels.txt")
    write_list(raw / "elsewhere/labels.txt", [line + " 1" if "0000/" in line or "0001/" in line else line + " 0"
                                              for line in (raw / "elsewhere/labels.txt").read_text().splitlines()])
    result = prepare("casia-surf", raw, tmp_path / "out", data_cfg("data.test_list=elsewhere/labels.txt"),
                     progress=False)
    assert result.counts["test"]["live"] == 6


def test_casia_current_video_lists_read_zero_as_live(tmp_path: Path):
    raw = casia_surf_current(tmp_path / "raw")
    splits = read_source("casia-surf", raw)
    train = splits["train"]
    assert len(train) == 6 * 3 and sum(s.label for s in train) == 2 * 3
    assert {s.attack[-1] for s in train if s.label == 0} == {"Print Attacks"}
    assert train[0].depth.endswith("/depth/0001.jpg") and train[1].rgb.endswith("/color/0003.jpg")
    # Reading them as 1 = live contradicts the real_part / fake_part folders: the build stops and says why.
    with pytest.raises(PafasError, match=r"contradicts the folder name .*data.label_polarity"):
        read_source("casia-surf", raw, splits=("train",), options=_options(label_polarity="1=live"))


def test_cefa_current_distribution_with_masks_only_in_test(tmp_path: Path):
    raw = cefa_current(tmp_path / "raw")
    result = prepare("cefa", raw, tmp_path / "out", data_cfg(), progress=False)
    counts = result.counts
    assert counts["train"]["attacks"] == {"live": 6, "replay": 12}
    assert counts["test"]["attacks"] == {"live": 3, "print": 9, "rigidmask": 3}
    test = lines(tmp_path / "out/C-test.txt")
    masks = [r for r in test if "3D-Mask" in r[0]]
    assert {r[4] for r in masks} == {"rigidmask"} and {r[3] for r in masks} == {"0"}


def test_cefa_challenge_kit_anonymised_dev_and_an_unlabelled_test_list(tmp_path: Path):
    raw = cefa_kit(tmp_path / "raw")
    dev = read_source("cefa", raw, splits=("dev",), options=_options(lists="4@1"))["dev"]
    # dev/003062 says nothing; the label comes from phase2/4@1_dev_ref.txt, the attack from protocol 4 (screens).
    assert len(dev) == 4 * 3 and {s.attack[-1] for s in dev if s.label == 0} == {"Replay Attacks"}
    assert dev[0].meta["list"].endswith("phase2/4@1_dev_ref.txt")
    with pytest.raises(PafasError, match=r"4@1_test_res.txt:1: no label column.*anonymised.*data.test_list"):
        prepare("cefa", raw, tmp_path / "out", data_cfg("data.lists=4@1"), progress=False)
    # Testing on the labelled dev list is an explicit choice; its spoofs stay the dev videos' screen replays
    # (protocol 4's test videos would be cloth prints).
    result = prepare("cefa", raw, tmp_path / "out", data_cfg("data.lists=4@1", "data.test_list=phase2/4@1_dev_ref.txt"),
                     progress=False)
    assert result.counts["test"]["attacks"] == result.counts["dev"]["attacks"] == {"live": 6, "replay": 6}
    assert result.counts["train"]["attacks"] == {"live": 6, "replay": 6}


def test_wmca_hdf5_release_without_lists_splits_by_client(tmp_path: Path):
    import h5py

    raw = wmca_release(tmp_path / "raw")
    result = prepare("wmca", raw, tmp_path / "out", data_cfg(), progress=False)
    assert any("not Idiap's grandtest" in w for w in result.warnings)
    clients = {s: {Path(r[0]).parts[1][:3] for r in lines(path)} for s, path in result.lists.items()}
    assert clients == {"train": {"001", "002", "003"}, "dev": {"004"}, "test": {"005"}}
    attacks = {Path(r[0]).parts[1]: r[4] for path in result.lists.values() for r in lines(path)}
    assert attacks[wmca_name(1, 1, 0, 0, 0)] == "live" and attacks[wmca_name(3, 2, 3, 2, 18)] == "flexiblemask"
    assert attacks[wmca_name(2, 2, 2, 2, 1)] == "fakehead" and attacks[wmca_name(3, 3, 3, 2, 9)] == "papermask"
    assert attacks[wmca_name(4, 2, 4, 3, 5)] == "replay" and attacks[wmca_name(5, 2, 5, 1, 15)] == "glasses"
    # Six frames: the centres of three equal segments are Frame_1, Frame_3, Frame_5; pixels come through unchanged.
    name = wmca_name(1, 1, 1, 3, 1)
    assert sorted(p.stem for p in (tmp_path / f"out/W/{name}/depth").iterdir()) == ["Frame_1", "Frame_3", "Frame_5"]
    cdit = next(raw.rglob(f"preprocessed-face-station_CDIT/*/{name}.hdf5"))
    with h5py.File(cdit) as handle:
        array = handle["Frame_3"]["array"][()]
    assert np.array_equal(np.asarray(Image.open(tmp_path / f"out/W/{name}/depth/Frame_3.png")), array[1])
    assert np.array_equal(np.asarray(Image.open(tmp_path / f"out/W/{name}/ir/Frame_3.png")), array[2])
    assert np.asarray(Image.open(tmp_path / f"out/W/{name}/color/Frame_3.png")).shape == (72, 72, 3)


def test_wmca_with_mmdg_lists_takes_their_splits_and_frames(tmp_path: Path):
    raw = wmca_release(tmp_path / "raw")
    rows = {"train": [], "val": [], "test": []}
    for i, video in enumerate([(1, 1, 0, 0, 0), (1, 1, 1, 3, 1), (2, 2, 2, 2, 1), (3, 1, 0, 0, 0), (3, 2, 3, 2, 18)]):
        name = wmca_name(*video)
        split = ("train", "train", "val", "test", "test")[i]
        for frame in (2, 4):
            rels = [f"WMCA-Image/R_CDIT/{name}/{m}/{frame:04d}.jpg" for m in ("color", "depth", "ir")]
            rows[split].append(" ".join(rels) + (" 1" if video[3] == 0 else " 0"))
    rows["val"].append(" ".join(f"WMCA-Image/R_CDIT/{wmca_name(2, 1, 0, 0, 0)}/{m}/0009.jpg"
                                for m in ("color", "depth", "ir")) + " 1")  # no Frame_9 in the file
    for split, split_rows in rows.items():
        write_list(raw / f"MMDG-Benchmark/W-{split}.txt", split_rows)
    result = prepare("wmca", raw, tmp_path / "out", data_cfg("data.max_missing=0.5"), progress=False)
    assert not any("grandtest" in w for w in result.warnings)
    assert {s: c["faces"] for s, c in result.counts.items()} == {"train": 4, "dev": 2, "test": 4}
    assert len(result.skipped["dev"]) == 1 and "no Frame_9" in result.skipped["dev"][0]
    assert sorted(p.stem for p in (tmp_path / f"out/W/{wmca_name(1, 1, 1, 3, 1)}/color").iterdir()) == [
        "Frame_2", "Frame_4"]
    # A flipped label is caught by the name (type 0 = bona fide).
    write_list(raw / "MMDG-Benchmark/W-test.txt", [r[:-1] + ("0" if r.endswith("1") else "1") for r in rows["test"]])
    with pytest.raises(PafasError, match=r"W-test.txt:1: label spoof .*contradicts .*data.label_polarity"):
        prepare("wmca", raw, tmp_path / "out2", data_cfg(), progress=False)


def test_padisi_release_labels_from_ground_truth_and_depth_per_face(tmp_path: Path):
    raw = padisi_release(tmp_path / "raw")
    result = prepare("padisi", raw, tmp_path / "out", data_cfg(), progress=False)
    assert {s: (c["live"], c["spoof"]) for s, c in result.counts.items()} == {
        "train": (2, 2), "dev": (2, 2), "test": (2, 2)}
    assert result.counts["train"]["attacks"] == {"live": 2, "makeup": 1, "spoof": 1}  # m50602: code 06 = makeup
    manifest = json.loads(result.manifest.read_text())
    assert manifest["sources"]["pai_codes"]["m00000"] == 6
    depth = np.asarray(Image.open(next((tmp_path / "out/P").glob("*_08b8ddc9_*/depth/0.png"))))  # a live face
    assert depth.max() >= 250 and len(np.unique(depth[depth > 0])) > 50  # x255 would have left 1-3 levels


def test_padisi_mmdg_lists_name_trial_ids_and_are_checked_against_the_ground_truth(tmp_path: Path):
    raw = padisi_release(tmp_path / "raw")
    (raw / "P-train.txt").write_text("08b8ddc9.npz\t1\n1338eba3.npz\t0\nffffffff.npz\t1\n")
    (raw / "P-val.txt").write_text("c1acc5ca.npz\t1\n3756992f.npz\t0\n")
    (raw / "P-test.txt").write_text("a4de38f7.npz\t1\n8fd45f9b.npz\t0\n")
    train = read_source("padisi", raw, splits=("train",), problems=_skip())["train"]
    assert [Path(s.rgb).name.split("_")[2] for s in train] == ["08b8ddc9", "1338eba3"]
    result = prepare("padisi", raw, tmp_path / "out", data_cfg("data.max_missing=0.5"), progress=False)
    assert result.skipped["train"] and "ffffffff.npz" in result.skipped["train"][0]
    assert {s: c["faces"] for s, c in result.counts.items()} == {"train": 2, "dev": 2, "test": 2}
    (raw / "P-test.txt").write_text("a4de38f7.npz\t0\n")  # flipped: the ground truth says m00000
    with pytest.raises(PafasError, match=r"P-test.txt:1: label spoof .*contradicts the ground truth "
                                         r"padisi_USC_FACE_ground_truth.csv \(m00000\)"):
        read_source("padisi", raw, splits=("test",))


def test_missing_release_files_beyond_max_missing_stop_with_the_count(tmp_path: Path):
    raw = padisi_release(tmp_path / "raw")
    for path in list(raw.rglob("ID_*.npz"))[:3]:
        path.unlink()
    with pytest.raises(PafasError, match=r"missing or unreadable, more than data.max_missing=5%"):
        prepare("padisi", raw, tmp_path / "out", data_cfg(), progress=False)
    assert not any(p.is_file() for p in (tmp_path / "out").rglob("*"))  # stopped before writing a frame
    with pytest.raises(PafasError, match=r"data.on_missing=error: .* missing or unreadable"):
        prepare("padisi", raw, tmp_path / "out", data_cfg("data.on_missing=error"), progress=False)


def test_a_flipped_anonymised_list_is_warned_about(tmp_path: Path):
    raw = casia_surf_kit(tmp_path / "raw")
    flipped = [line.rsplit(" ", 1)[0] + (" 0" if line.endswith("1") else " 1")
               for line in (raw / "phase2/val_private_list.txt").read_text().splitlines()]
    write_list(raw / "phase2/val_private_list.txt", flipped)  # anonymised: no folder name can object
    result = prepare("casia-surf", raw, tmp_path / "out", data_cfg("data.prepare.frames=5"), progress=False)
    (warning,) = result.warnings
    assert warning.startswith("casia-surf dev (") and "val_private_list.txt" in warning
    assert "20 of 30 faces are live (67%)" in warning and "about 14% live" in warning
    assert "data.label_polarity" in warning
    assert json.loads(result.manifest.read_text())["warnings"] == [warning]
    # build-paths warns again over the prepared lists, and keeps the warning in the paths manifest.
    from pafas_cli.data.protocols import build_splits

    splits = build_splits(data_cfg("data.source=casia-surf", f"data.root={tmp_path / 'out'}"), 0, ws=None)
    (again,) = splits.warnings
    assert again.startswith("casia-surf S dev (") and "S-val.txt" in again and "20 of 30" in again
    assert splits.summary()["warnings"] == [again]


def _options(**keys):
    from pafas_cli.data.sources.reading import ListOptions

    return ListOptions.from_mapping(keys)


def _skip():
    from pafas_cli.data.sources.reading import Problems

    return Problems("skip")
