"""`pafas baseline` on a real paths version: the eval-format files, recomputed independently."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image
from sklearn.metrics import roc_auc_score

from pafas_cli.commands.baseline import run
from pafas_cli.config import load_recipe
from pafas_cli.errors import PafasError
from pafas_cli.baseline.plan import resolve as plan_baseline

SETS = ["test", "test_missing_depth", "test_missing_ir", "test_missing_both"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from infer_helpers import build_mini_workspace

    ws, _ = build_mini_workspace(tmp_path_factory.mktemp("base"), models=False)
    recipe = load_recipe("quickstart/baseline.yaml", ["baseline.epochs=2", "baseline.width=4"])
    ref = run(plan_baseline(recipe, ws))
    version = ws.latest("baseline")
    assert f"baseline:{version.version}" == ref
    return ws, version


def _rows(version):
    return [json.loads(line) for line in (version.path / "predictions.jsonl").read_text().splitlines()]


def _hter(labels, scores, threshold):
    live = [s for s, lab in zip(scores, labels) if lab == 1]
    spoof = [s for s, lab in zip(scores, labels) if lab == 0]
    return (sum(s < threshold for s in live) / len(live) + sum(s >= threshold for s in spoof) / len(spoof)) / 2


def test_the_version_holds_the_eval_files_and_its_numbers_recompute(trained):
    ws, version = trained
    assert version.stage == "baseline" and version.manifest["status"] == "complete"
    for name in ("model.pt", "metrics.json", "predictions.jsonl", "train.jsonl", "roc.png", "confusion.png",
                 "spec.json"):
        assert (version.path / name).stat().st_size > 0, name
    metrics = json.loads((version.path / "metrics.json").read_text())
    assert metrics["sets"] == SETS and metrics["protocol"] == "P2"
    (m,) = metrics["models"].values()
    rows = _rows(version)
    assert len(rows) == 8 * 8  # dev and its three missing-modality copies + four test sets, 8 faces each
    dev = [r for r in rows if r["set"] == "dev"]
    # the dev EER threshold, by counting: the candidate where APCER and BPCER are closest
    candidates = sorted({r["score"] for r in dev})
    gaps = []
    for t in candidates:
        live = [r for r in dev if r["label"] == 1]
        spoof = [r for r in dev if r["label"] == 0]
        bpcer = sum(r["score"] < t for r in live) / len(live)
        gaps.append(abs(bpcer - sum(r["score"] >= t for r in spoof) / len(spoof)))
    assert gaps[candidates.index(m["dev_threshold"])] == min(gaps)
    for set_name in SETS:
        sub = [r for r in rows if r["set"] == set_name]
        labels, scores = [r["label"] for r in sub], [r["score"] for r in sub]
        got = m["sets"][set_name]
        assert got["honest"]["hter"] == pytest.approx(_hter(labels, scores, m["dev_threshold"]))
        assert got["honest"]["auc"] == pytest.approx(roc_auc_score(labels, scores))
        assert all(r["decision"] == int(r["score"] >= m["dev_threshold"]) for r in sub)
        assert got["format_rate"] is None and got["answer_accuracy"] is None, "a classifier has no answer to rate"
        assert all(r["text"] is None and r["well_formed"] is None for r in sub)
    assert [r["modalities"] for r in rows if r["set"] == "test_missing_both"] == [["rgb"]] * 8
    for condition, c in m["conditions"].items():  # the threshold of the dev copy missing the same modalities
        test_c = [r for r in rows if r["set"] == f"test_{condition}"]
        assert c["dev_set"] == f"dev_{condition}" and c["hter"] == pytest.approx(
            _hter([r["label"] for r in test_c], [r["score"] for r in test_c], c["dev_threshold"]))
    assert set(m["conditions"]) == {"missing_depth", "missing_ir", "missing_both"}
    assert version.manifest["recipe"]["baseline"]["epochs"] == 2
    assert version.manifest["inputs"][0]["stage"] == "paths"
    assert [json.loads(line)["epoch"] for line in (version.path / "train.jsonl").read_text().splitlines()] == [1, 2]


def test_the_saved_model_gives_the_recorded_scores_from_the_image_files(trained):
    """Read the test faces' PNGs straight from the paths version (not through the baseline's loader)."""
    from datasets import load_from_disk

    from pafas_cli.baseline.net import ThreeStreamCNN

    ws, version = trained
    saved = torch.load(version.path / "model.pt")
    model = ThreeStreamCNN(saved["architecture"]["width"], saved["architecture"]["dropout"])
    model.load_state_dict(saved["state_dict"])
    model.eval()
    paths = ws.resolve("paths:latest").path
    table = load_from_disk(str(paths / "eval" / "test_missing_ir"))
    recorded = {r["id"]: r["score"] for r in _rows(version) if r["set"] == "test_missing_ir"}
    for row in table:
        rgb, depth, ir = (np.asarray(Image.open(paths / p).convert(mode))
                          for p, mode in zip(row["images"], ("RGB", "L", "L")))
        assert not ir.any(), "a missing IR image is the blank one"
        images = {"rgb": torch.from_numpy(rgb.transpose(2, 0, 1).copy())[None],
                  "depth": torch.from_numpy(depth.copy())[None, None], "ir": torch.from_numpy(ir.copy())[None, None]}
        with torch.no_grad():
            p = torch.sigmoid(model(images)).item()
        assert p == pytest.approx(recorded[row["id"]], abs=1e-5)


def test_a_missing_paths_version_is_one_line_before_training(tmp_path):
    from pafas_cli.workspace import Workspace

    recipe = load_recipe("quickstart/baseline.yaml", ["baseline.paths=paths:v007"])
    with pytest.raises(PafasError, match="paths:v007"):
        run(plan_baseline(recipe, Workspace(tmp_path)))


def test_a_bad_recipe_value_is_one_line_naming_the_key(tmp_path):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "pafas_cli", "--workspace", str(tmp_path), "baseline", "--paths",
                             "paths:v003", "--set", "baseline.epochs=0"], capture_output=True, text=True)
    assert result.returncode == 2
    message = "error: --set baseline.epochs=0: baseline.epochs: must be >= 1, got 0"
    assert result.stderr.strip().splitlines() == [message]


def test_a_run_from_a_pretrained_trunk_records_it_as_an_input(trained, tmp_path):
    from pafas_cli.baseline.net import ThreeStreamCNN
    from pafas_cli.baseline.pretrain import TRUNK_FILE, save_trunk

    ws, _ = trained
    trunk = save_trunk(ThreeStreamCNN(4), tmp_path / TRUNK_FILE, 4, {"corpus": "test"})
    recipe = load_recipe("quickstart/baseline.yaml", ["baseline.epochs=1", "baseline.width=4",
                                                      f"baseline.init={tmp_path}"])
    run(plan_baseline(recipe, ws))
    manifest = ws.latest("baseline").manifest
    (init,) = [i for i in manifest["inputs"] if i["name"] == "init"]
    assert init["path"] == str(tmp_path.resolve()) and init["fingerprint"]
    assert manifest["recipe"]["baseline"]["init"] == str(tmp_path)


def test_an_init_that_does_not_exist_is_one_line_naming_the_key_before_training(trained, tmp_path):
    ws, _ = trained
    before = len(ws.versions("baseline"))
    recipe = load_recipe("quickstart/baseline.yaml", [f"baseline.init={tmp_path / 'missing.pt'}"])
    with pytest.raises(PafasError, match="^baseline.init: cannot resolve"):
        run(plan_baseline(recipe, ws))
    assert len(ws.versions("baseline")) == before
