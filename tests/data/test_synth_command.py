from pathlib import Path

import pytest

from pafas_cli.commands import synth
from pafas_cli.config import load_recipe
from pafas_cli.data.config import DataConfig
from pafas_cli.data.protocols import build_splits
from pafas_cli.workspace import Workspace


@pytest.mark.slow
def test_synth_into_workspace_then_reused_by_build_splits(tmp_path: Path):
    ws = Workspace(tmp_path / "ws")
    recipe = load_recipe("quickstart/synth.yaml", ["data.synth.per_domain=20"])
    synth.run(recipe, ws, preview=tmp_path / "sheet.png")
    assert ws.latest("synth").version == "v001" and (tmp_path / "sheet.png").stat().st_size > 1000
    cfg = DataConfig(synth=recipe.data.synth, split="PSW->C", n_train=12)
    splits = build_splits(cfg, seed=0, ws=ws)
    assert splits.inputs[0]["stage"] == "synth" and splits.inputs[0]["version"] == "v001"
    assert [v.version for v in ws.versions("synth")] == ["v001"]  # reused, not redrawn
    assert len(splits.train) == 12 and {s.domain for s in splits.test} == {"C"}
