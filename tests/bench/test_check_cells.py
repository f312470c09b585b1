"""bench/check_cells.py recomputes a cell from its eval's predictions, flags a wrong record, and does not check a
cell against a version that now holds another run."""

from __future__ import annotations

import json
import sys


def _cell(commit: str, auc: float, hter_dev: float) -> dict:
    return {"cell": "p1-W-s0-full_rl@pretrained", "split": "W", "seed": 0,
            "stages": [{"key": "pretrained/eval:rl:full:paper", "version": "v001", "commit": commit}],
            "sets": {"test": {"auc": auc, "hter_dev": hter_dev}}}


def test_a_cell_is_recomputed_by_hand_counts_and_a_replaced_version_is_skipped(check_cells, tmp_path, monkeypatch,
                                                                                capsys):
    folder = tmp_path / "root" / "W-s0" / "eval" / "v001"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"git_revision": "abc1234"}))
    # dev: lives 0.9, 0.8; spoofs 0.3, 0.85 -> EER threshold 0.85, the one score where the spoofs accepted (1/2)
    # equal the lives rejected (1/2). test: lives 0.9, 0.6; spoofs 0.2, 0.7.
    rows = [("dev", 1, 0.9), ("dev", 1, 0.8), ("dev", 0, 0.3), ("dev", 0, 0.85),
            ("test", 1, 0.9), ("test", 1, 0.6), ("test", 0, 0.2), ("test", 0, 0.7)]
    (folder / "predictions.jsonl").write_text("".join(json.dumps({"set": s, "label": y, "score": p}) + "\n"
                                                      for s, y, p in rows))
    # test at 0.85: spoofs accepted 0/2, lives rejected 1/2 -> HTER 25 %; AUC: 3 of 4 live-spoof pairs ordered
    cells = tmp_path / "cells.jsonl"
    monkeypatch.setattr(sys, "argv", ["check_cells", "--cells", str(cells), "--root", str(tmp_path / "root")])
    cells.write_text(json.dumps(_cell("abc1234", 75.0, 25.0)) + "\n")
    assert check_cells.main() == 0
    assert "1 (cell, set) pairs recomputed" in capsys.readouterr().out
    cells.write_text(json.dumps(_cell("abc1234", 75.0, 30.0)) + "\n")
    assert check_cells.main() == 1
    assert "hter_dev recorded 30.000, recomputed 25.000" in capsys.readouterr().out
    cells.write_text(json.dumps(_cell("0ld0ld0", 75.0, 30.0)) + "\n")  # v001 was rebuilt since this cell
    assert check_cells.main() == 0
    out = capsys.readouterr().out
    assert "0 (cell, set) pairs recomputed" in out and "1 skipped (their version number now holds another run)" in out
