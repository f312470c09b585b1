"""`pafas prepare` as a user types it: help with an example, and a wrong root as one line without a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from pafas_cli.cli import app


def test_help_names_the_datasets_and_gives_an_example():
    result = CliRunner().invoke(app, ["prepare", "--help"])
    assert result.exit_code == 0
    assert "casia-surf, cefa, wmca, padisi" in " ".join(result.output.split()) and "Example" in result.output


def test_a_wrong_root_or_dataset_is_one_line(tmp_path: Path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    for args, expected in ((["wmca", "--root", str(tmp_path / "nowhere")], "does not exist. WMCA is licence-gated"),
                           (["list", "--root", str(tmp_path)], "unknown dataset 'list'")):
        out = subprocess.run([sys.executable, "-m", "pafas_cli", "prepare", *args, "--out", str(tmp_path / "out")],
                             capture_output=True, text=True, env=env, timeout=120)
        assert out.returncode == 2, out.stderr
        assert expected in out.stderr and "Traceback" not in out.stderr + out.stdout
        assert len(out.stderr.strip().splitlines()) == 1
