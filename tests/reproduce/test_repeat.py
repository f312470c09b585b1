"""A cell measured twice from nothing gives the same numbers: threads pinned, two fresh workspaces side by side.

The tolerance is zero, measured: on the 2-core dev box (2026-12-07, load average 3-4) two runs of this tiny
pretrained-regime PA-FAS cell with `threads=1` wrote bit-identical pretrain, SFT and GRPO weights, identical
per-face liveness scores and identical recorded metrics; the same cell at `threads=2` changed every model's
bytes and the scores by up to 1.5e-7 (its rounded metrics did not move at this size; the first round saw AUC
83 against 67 at full size). GRPO runs without the step selection here, so its last step's weights (from
sampled completions) are the model compared; a reward that varies for any text gives it something to learn.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TRAIN_TESTS = Path(__file__).resolve().parents[1] / "train"  # rl_probe_rewards, a reward with spread
TINY = ["reproduce", "--quick", "--regimes", "pretrained", "--rows", "full_rl", "--n-values", "",
        "--n-train", "16", "--n-dev", "8", "--n-test", "8", "--corpus-samples", "20", "--pretrain-steps", "2",
        "--sft-steps", "4", "--rl-steps", "3", "--set", "threads=1", "--set", "data.synth.per_domain=20",
        "--set", "paths.n_paths=2", "--set", "model.text.layers=1", "--set", "pretrain.probe.n_train=10",
        "--set", "pretrain.probe.splits=[W]", "--set", "pretrain.cnn.epochs=1", "--set", "rl.max_completion_length=32",
        "--set", "rl.batch_size=16", "--set", "rl.select.every=0", "--set", "eval.max_new_tokens=32",
        "--set", "rl.rewards={format: 1.0, classification: 1.0, 'rl_probe_rewards:vowel_share': 1.0}"]


def start(tmp_path: Path, name: str) -> subprocess.Popen:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PAFAS_REPRODUCE_PROCESSES": "2",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(TRAIN_TESTS), os.environ.get("PYTHONPATH")]))}
    return subprocess.Popen([sys.executable, "-m", "pafas_cli", "--workspace", str(tmp_path / name), *TINY],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_a_tiny_cell_measured_twice_with_threads_pinned_agrees_exactly(tmp_path):
    runs = {name: start(tmp_path, name) for name in ("a", "b")}  # side by side, as the parallel script runs them
    for proc in runs.values():
        out, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0, out[-3000:]
    root = {name: tmp_path / name / "reproduce-quick" for name in runs}
    cells = {name: [json.loads(x) for x in (r / "cells.jsonl").read_text().splitlines()] for name, r in root.items()}
    assert [c["cell"] for c in cells["a"]] == ["p1-W-s0-full_rl@pretrained", "p2-W-s0-full_rl@pretrained"]
    for a, b in zip(cells["a"], cells["b"]):
        assert a["processes"] == b["processes"] == 2 and {st["threads"] for st in a["stages"]} == {1}
        for key in ("sets", "rl_curve", "probe"):
            assert a[key] == b[key], key
    assert cells["a"][0]["rl_curve"]["frac_reward_zero_std"] is not None
    for stage in ("pretrain", "sft", "rl"):
        assert digest(root["a"] / "W-s0" / stage / "v001" / "model" / "model.safetensors") == \
            digest(root["b"] / "W-s0" / stage / "v001" / "model" / "model.safetensors"), stage
    scores = {name: [json.loads(x)["score"] for x in (r / "W-s0" / "eval" / "v001" / "predictions.jsonl")
                     .read_text().splitlines()] for name, r in root.items()}
    assert scores["a"] == scores["b"] and len(set(scores["a"])) > 1
