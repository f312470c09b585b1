"""`pafas build-paths` end to end on fake samples: a complete workspace version with a manifest and a summary."""

from __future__ import annotations

import json

from pafas_cli.commands import build_paths
from pafas_cli.config import load_recipe
from pafas_cli.console import console
from pafas_cli.data import protocols
from pafas_cli.paths.store import eval_sets, load_sft
from pafas_cli.workspace import Workspace


def test_run_writes_a_complete_version(tmp_path, monkeypatch, sample_sets):
    splits = protocols.Splits(sample_sets["train"], sample_sets["dev"], sample_sets["test"], protocol="P2",
                              sources=("A",), targets=("B",), missing_variants=protocols.MISSING_VARIANTS)
    monkeypatch.setattr(protocols, "build_splits", lambda cfg, seed, ws: splits)
    recipe = load_recipe("quickstart/paths.yaml", ["paths.n_paths=5"])
    ws = Workspace(tmp_path / "ws")
    with console.capture() as captured:
        build_paths.run(recipe, ws, show=2)
    out = captured.get()
    version = ws.latest("paths")
    assert version is not None and version.status == "complete"
    manifest = json.loads((version.path / "manifest.json").read_text())
    assert manifest["variant"]["n_paths"] == 5 and manifest["variant"]["max_steps"] == 10
    assert "blank image" in manifest["missing_modality_policy"]
    assert manifest["metrics"]["rows_sft"] == 5 * len(sample_sets["train"])
    assert eval_sets(version.path) == ["dev", "test", "test_missing_depth", "test_missing_ir", "test_missing_both"]
    assert len(load_sft(version.path)) == 5 * len(sample_sets["train"])
    for heading in ("Samples", "Path length", "unique paths", "reasoning length (words)", "<think>"):
        assert heading in out
    assert out.count("label=") == 2
