"""bench/check_scores.py agrees with an honest eval version and catches a tampered one."""

from __future__ import annotations

import json
import sys

import pytest
from pafas_cli.infer.plan import resolve_eval


@pytest.mark.slow
def test_check_scores_confirms_eval_and_flags_a_wrong_score(check_scores, tmp_path, monkeypatch):
    from infer_helpers import build_mini_workspace

    from pafas_cli.commands.eval import run

    ws, recipe = build_mini_workspace(tmp_path)
    run(resolve_eval(recipe, ws, models=["model:v001", "model:v002"]))
    check = check_scores
    monkeypatch.setattr(sys, "argv", ["check_scores", "--workspace", str(ws.root), "--faces", "4"])
    assert check.main() == 0
    predictions = ws.latest("eval").path / "predictions.jsonl"
    rows = [json.loads(line) for line in predictions.read_text().splitlines()]
    flipped = next(r for r in rows if r["set"] == "test")
    flipped["score"] = 1 - flipped["score"]
    predictions.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert check.main() == 1
