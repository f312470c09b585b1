"""`pafas reproduce` as a user runs it, without training: the plan, the options, one-line errors."""

import os
import subprocess
import sys

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def pafas(tmp_path, *args):
    return subprocess.run([sys.executable, "-m", "pafas_cli", "--workspace", str(tmp_path / "ws"), "reproduce",
                           *args], capture_output=True, text=True, env=ENV, cwd=tmp_path, timeout=120)


def test_the_plan_runs_nothing_and_says_where_it_would_write(tmp_path):
    out = pafas(tmp_path, "--plan", "--splits", "all", "--seeds", "0,1,2", "--n-values", "", "--rl-steps", "20")
    assert out.returncode == 0, out.stderr
    # 2 regimes x 3 seeds x (4 splits x (10 rows + P2 of PA-FAS, the CNN and the modality-dropout row)
    # + 2 GRPO ablation rows on W and S)
    assert "plan: 336 cells to run (0 recorded already)" in out.stdout
    assert "regimes ['pretrained', 'scratch']" in out.stdout
    assert "splits ['W', 'S', 'P', 'C']" in out.stdout and "GRPO up to 20 steps" in out.stdout
    for stage in ("synth", "corpus", "pretrain", "rl"):
        assert f"│ {stage} " in out.stdout, stage
    assert "cells bench/results/cells.jsonl, report docs/results.md" in out.stdout
    assert not (tmp_path / "ws").exists() and not (tmp_path / "bench").exists()


def test_quick_keeps_its_cells_and_page_in_the_workspace(tmp_path):
    out = pafas(tmp_path, "--quick", "--plan")
    assert out.returncode == 0, out.stderr
    quick = tmp_path / "ws" / "reproduce-quick"
    # both regimes: PA-FAS and the CNN, P1 and P2; the N sweep's N = 50
    assert "plan: 10 cells to run" in out.stdout and f"cells {quick / 'cells.jsonl'}" in out.stdout.replace("\n", "")


def test_user_errors_are_one_line(tmp_path):
    for args, message in ((["--splits", "X"], "unknown split X"), (["--seeds", "0,a"], "--seeds: expected"),
                          (["--regimes", "frozen", "--plan"], "unknown regime frozen"),
                          (["--set", "rl.nope=1", "--plan"], "rl.nope"),
                          (["--report-only"], "no recorded cell for these settings")):
        out = pafas(tmp_path, *args)
        assert out.returncode == 2 and message in out.stderr, (args, out.stdout, out.stderr)
        assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert not (tmp_path / "docs").exists()
