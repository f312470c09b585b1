"""`pafas build-paths` end to end on fake samples: a complete workspace version with a manifest and a summary."""

from __future__ import annotations

import json

import pytest

from pafas_cli.commands import build_paths
from pafas_cli.config import load_recipe
from pafas_cli.console import console
from pafas_cli.data import protocols
from pafas_cli.paths.store import eval_sets, load_sft
from pafas_cli.workspace import Workspace
from pafas_cli.paths.plan import resolve as plan_paths


def test_run_writes_a_complete_version(tmp_path, monkeypatch, sample_sets):
    splits = protocols.Splits(sample_sets["train"], sample_sets["dev"], sample_sets["test"], protocol="P2",
                              sources=("A",), targets=("B",), missing_variants=protocols.MISSING_VARIANTS)
    monkeypatch.setattr(protocols, "build_splits", lambda cfg, seed, ws: splits)
    recipe = load_recipe("quickstart/paths.yaml", ["paths.n_paths=5"])
    ws = Workspace(tmp_path / "ws")
    with console.capture() as captured:
        build_paths.run(plan_paths(recipe, ws), show=2)
    out = captured.get()
    version = ws.latest("paths")
    assert version is not None and version.status == "complete"
    manifest = json.loads((version.path / "manifest.json").read_text())
    assert manifest["variant"]["n_paths"] == 5 and manifest["variant"]["max_steps"] == 10
    assert "blank image" in manifest["missing_modality_policy"]
    assert manifest["metrics"]["rows_sft"] == 5 * len(sample_sets["train"])
    assert eval_sets(version.path) == ["dev", "dev_missing_depth", "dev_missing_ir", "dev_missing_both", "test",
                                       "test_missing_depth", "test_missing_ir", "test_missing_both"]
    assert len(load_sft(version.path)) == 5 * len(sample_sets["train"])
    for heading in ("Samples", "Path length", "unique paths", "reasoning length (words)", "<think>"):
        assert heading in out
    assert out.count("label=") == 2


@pytest.mark.fault
def test_summary_shows_missing_images_per_split(tmp_path, monkeypatch, sample_sets):
    """Images `data.on_missing: skip` left out are counted per split with their first lines, not dropped silently."""
    lost = {"train": [f"/d/train_list.txt:{i}: ir image not found: /d/ir/{i}.jpg" for i in range(1, 5)],
            "dev": [], "test": ["/d/test_list.txt:7: rgb image not found: /d/[x]/7.jpg"]}
    splits = protocols.Splits(sample_sets["train"], sample_sets["dev"], sample_sets["test"], protocol="P1",
                              sources=("A",), targets=("B",), skipped=lost["train"] + lost["test"],
                              skipped_by_split=lost, read_by_split={"train": 40, "dev": 10, "test": 20})
    monkeypatch.setattr(protocols, "build_splits", lambda cfg, seed, ws: splits)
    recipe = load_recipe("quickstart/paths.yaml", ["paths.n_paths=2"])
    with console.capture() as captured:
        build_paths.run(plan_paths(recipe, Workspace(tmp_path / "ws")))
    out = captured.get()
    assert "lines skipped" in out and "train 4 of 40 (10.0%)" in out and "test 1 of 20 (5.0%)" in out
    for line in lost["train"][:3] + lost["test"]:
        assert line in out  # the list file, line and image path; "[x]" printed as text, not taken as markup
    assert lost["train"][3] not in out and "train: ... and 1 more" in out
    assert "dev:" not in out
    assert "missing images skipped (lines)" in out
