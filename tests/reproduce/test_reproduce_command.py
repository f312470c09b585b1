"""`pafas reproduce --quick` end to end at tiny sizes, so the harness cannot rot (issue 18): real stages, the
cells file, the page, and a rerun that finds every stage version again and records nothing new."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# Tiny sizes of every stage; GRPO samples 2 prompts x 8 and the step selection scores 4 dev faces at the start
# and after its one step, so the chosen step and the reward curve are recorded end to end.
TINY = ["--n-train", "16", "--n-dev", "8", "--n-test", "8", "--corpus-samples", "20", "--pretrain-steps", "2",
        "--sft-steps", "2", "--rl-steps", "1",
        "--set", "data.synth.per_domain=20", "--set", "paths.n_paths=2", "--set", "model.text.layers=1",
        "--set", "pretrain.probe.n_train=10", "--set", "pretrain.probe.splits=[W]", "--set", "pretrain.cnn.epochs=1",
        "--set", "rl.max_completion_length=32", "--set", "rl.batch_size=16", "--set", "rl.select.every=1",
        "--set", "rl.select.faces=4", "--set", "eval.max_new_tokens=32", "--set", "baseline.epochs=1"]


def pafas(tmp_path, *args):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PAFAS_WORKSPACE": str(tmp_path / "ws")}
    done = subprocess.run([sys.executable, "-m", "pafas_cli", *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def versions(root):
    return sorted(str(p.relative_to(root)) for p in root.glob("*/*/v[0-9]*") if p.is_dir())


@pytest.mark.slow
def test_quick_reproduction_at_tiny_sizes_records_cells_and_resumes(tmp_path):
    args = ["reproduce", "--quick", "--rows", "cnn,full_rl,raw_rl", *TINY]
    pafas(tmp_path, *args)
    root = tmp_path / "ws" / "reproduce-quick"
    cells = [json.loads(line) for line in (root / "cells.jsonl").read_text().splitlines()]
    names = ["p1-W-s0-cnn", "p1-W-s0-full_rl", "p1-W-s0-raw_rl", "p2-W-s0-full_rl", "p2-W-s0-cnn", "n-W-s0-n50"]
    assert [c["cell"] for c in cells] == [f"{n}@{regime}" for regime in ("pretrained", "scratch") for n in names]
    assert all(c["commit"] is None or isinstance(c["commit"], str) for c in cells)
    assert set(cells[3]["sets"]) == set(cells[4]["sets"]) == {"test", "test_missing_depth", "test_missing_ir",
                                                              "test_missing_both"}
    assert set(cells[1]["rl_curve"]) >= {"reward", "format", "classification", "frac_reward_zero_std"}
    assert cells[0]["rl_curve"] is None and cells[1]["rl_select"]["step"] in (0, 1)
    assert cells[1]["probe"]["pretrained"] is not None and cells[7]["probe"] is None
    assert all(c["processes"] == 1 and st["threads"] >= 1 for c in cells for st in c["stages"])
    page = (root / "results.md").read_text()
    for regime in ("## Pretrained regime", "## Scratch regime"):
        part = page[page.index(regime):]
        assert "| PA-FAS: path augmentation + answer shuffling, SFT+GRPO | W |" in part
        assert "| Raw labels, SFT+GRPO | W |" in part and "| Three-stream CNN (baseline) | W |" in part
    assert "12 of 12 planned cells" in page

    # One model per workspace; the pretrained SFT starts from pretrain, the scratch SFT from that model.
    ws = root / "W-s0"
    sft = [json.loads(m.read_text())["inputs"] for m in (ws / "sft").glob("v*/manifest.json")]
    assert sorted(i["stage"] for inputs in sft for i in inputs if i["name"] == "model") == \
        ["model", "model", "pretrain", "pretrain"]
    assert len(list((ws / "model").glob("v*/manifest.json"))) == 1

    # The raw rows inherit the answer-only format from their paths version (the harness sets nothing).
    rl = {}
    for manifest in (root / "W-s0" / "rl").glob("v*/manifest.json"):
        recipe = json.loads(manifest.read_text())["recipe"]["rl"]
        rl[recipe["rewards"] == {"format": 1.0, "classification": 1.0}, recipe["require_think"]] = manifest
    assert set(rl) == {(True, True), (True, False)}

    made = versions(root)
    out = pafas(tmp_path, *args)
    assert "0 cells to run (12 recorded already)" in out
    assert versions(root) == made
    assert len((root / "cells.jsonl").read_text().splitlines()) == 12

    (root / "results.md").unlink()
    pafas(tmp_path, *args, "--report-only")
    assert (root / "results.md").read_text().count("| W |") == page.count("| W |")
