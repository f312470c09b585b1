"""bench/gpu_check.sh without a GPU (fast): its options, its settings as recipe overrides, and its report.

These tests catch what would make the one GPU run fail at once: a syntax error, a recipe key it sets that no
longer exists, a report that loses a failed part. One slow test runs the dry run itself on the CPU for its set-up
and eval parts (`--dry-run --skip-tiny --parts eval`, about half a minute); the whole dry run takes minutes.
"""

import importlib.util
import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
SCRIPT = BENCH / "gpu_check.sh"


@pytest.fixture(scope="module")
def gpu_check():
    spec = importlib.util.spec_from_file_location("gpu_check", BENCH / "gpu_check.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["gpu_check"] = module
    spec.loader.exec_module(module)
    return module


def settings() -> dict[str, list[str]]:
    """RL_COMMON and RL_VARIANTS as the script defines them (its settings block, evaluated by bash)."""
    block = SCRIPT.read_text().split("# -- what is measured (edit here)", 1)[1].split("\nDRY=0", 1)[0]
    out = subprocess.run(["bash", "-c", block + '\nprintf "%s\\n" "$RL_COMMON" "${RL_VARIANTS[@]}"'],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    return {"common": shlex.split(out[0]), "variants": [shlex.split(v) for v in out[1:]]}


def test_the_script_parses_and_answers_help_and_bad_options():
    subprocess.run(["bash", "-n", str(SCRIPT)], check=True)
    shown = subprocess.run(["bash", str(SCRIPT), "--help"], capture_output=True, text=True, check=True).stdout
    assert "--skip-tiny" in shown and "accelerate launch" in shown and "set -uo" not in shown
    bad = subprocess.run(["bash", str(SCRIPT), "--bogus"], capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown option" in bad.stderr


def test_every_grpo_variant_is_a_valid_paper_recipe_override():
    from pafas_cli.config import load_recipe

    found = settings()
    assert len(found["variants"]) >= 2
    for variant in found["variants"]:
        cfg = load_recipe("paper/grpo.yaml", found["common"] + variant).rl
        assert cfg.prompts_per_step(1) == 8 and cfg.num_generations == 8 and cfg.max_completion_length == 256


def test_eval_runs_parse_into_batch_and_face_counts(gpu_check):
    assert gpu_check.parse_runs("1:4, 32:64,64") == [(1, 4), (32, 64), (64, 64)]


def test_step_columns_prefer_the_trainers_runtime(gpu_check):
    assert gpu_check.step_columns([10.0, 2.0, 4.0], 18.0, 3) == ["10.00", "3.00", "6.00"]
    assert gpu_check.step_columns([5.0], None, None) == ["5.00", "5.00", "5.00"]


def test_the_report_has_each_table_and_the_end_of_a_failed_parts_log(gpu_check, run_all, tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    gpu_check.add_row(ws, "train", ("rl `x`", "9.0", "5.00", "2.00", "3.00", "1.0 GiB"))
    gpu_check.add_row(ws, "eval", (1, 4, 128, 128, "8.00", "0.50", "64", "9.0", "8.0 GiB"))
    gpu_check.add_note(ws, "eval", "Model loaded once.")
    log = tmp_path / "part3.log"
    log.write_text("starting\nTraceback (most recent call last):\nRuntimeError: CUDA out of memory\n")
    (ws / gpu_check.PARTS).write_text(f"prep\tok\t40.1\t150\t\nds: sft\tFAILED (exit 1)\t12.0\t200\t{log}\n"
                                      "sft: plain\tskipped: 20 s of the 540 s budget left\t\t150\t\n")
    report = tmp_path / "report.md"
    gpu_check.main(["report", "--ws", str(ws), "--out", str(report), "--command", "bash bench/gpu_check.sh --skip-tiny",
                    "--seconds", "99", "--device", "NVIDIA H200"])
    text = report.read_text()
    assert "by `bash bench/gpu_check.sh --skip-tiny` in 99 s on NVIDIA H200" in text
    assert "| rl `x` | 9.0 | 5.00 | 2.00 | 3.00 | 1.0 GiB |" in text
    assert "| 1 | 4 | 128 | 128 | 8.00 | 0.50 | 64 | 9.0 | 8.0 GiB |" in text and "Model loaded once." in text
    assert "| ds: sft | FAILED (exit 1) | 12.0 | 200 |" in text and "RuntimeError: CUDA out of memory" in text
    assert "skipped: 20 s" in text and "Tiny pipeline" not in text
    doc = tmp_path / "bench.md"
    run_all.write_doc(doc, {"gpu": text})
    section = doc.read_text().split("<!-- gpu:begin -->", 1)[1].split("<!-- gpu:end -->", 1)[0]
    assert section.strip() == text.strip()


def test_rows_are_one_json_object_a_line(gpu_check, tmp_path):
    gpu_check.add_row(tmp_path, "train", ("a", 1.5))
    (record,) = [json.loads(line) for line in (tmp_path / gpu_check.ROWS).read_text().splitlines()]
    assert record == {"table": "train", "cells": ["a", "1.5"], "note": None}


@pytest.mark.slow
def test_the_dry_run_builds_its_inputs_and_measures_eval_on_the_cpu(tmp_path):
    report = tmp_path / "dry.md"
    done = subprocess.run(["bash", str(SCRIPT), "--dry-run", "--skip-tiny", "--parts", "eval", "--report", str(report)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = report.read_text()
    assert "| prep (synth, build-paths, init-model) | ok |" in text
    assert "| eval (batch:faces" in text and "| ok |" in text.split("| eval (batch:faces", 1)[1].splitlines()[0]
    rows = [line for line in text.splitlines() if line.startswith("| 1 | ") or line.startswith("| 8 | ")]
    assert len(rows) == 2  # batch 1 and the larger batch, each with its faces/s
