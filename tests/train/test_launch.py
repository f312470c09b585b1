"""Multi-process runs start every rank through the CLI entry point, so a rank's errors are the CLI's."""

from __future__ import annotations

import subprocess

import pytest

from pafas_cli.config import load_recipe
from pafas_cli.train import launch


def test_ranks_are_started_through_the_cli_entry_point(tmp_path, monkeypatch):
    seen = {}

    def call(cmd, env):
        seen["cmd"] = cmd
        seen["recipe"] = tmp_path / "seen.yaml"
        seen["recipe"].write_text(open(cmd[cmd.index("--recipe") + 1]).read())
        return 0

    monkeypatch.setattr(subprocess, "call", call)
    launch.relaunch("sft", load_recipe(None, ["sft.max_steps=7"]), tmp_path / "ws", "auto", 2)
    cmd = seen["cmd"]
    assert cmd[cmd.index("-m", 3) + 1] == "pafas_cli", "torchrun runs the CLI, not a separate worker"
    assert cmd[-5:-3] == ["sft", "--recipe"] and cmd[-2:] == ["--resume", "auto"]
    assert cmd[cmd.index("--workspace") + 1] == str(tmp_path / "ws")
    assert load_recipe(seen["recipe"]).sft.max_steps == 7, "the ranks read the resolved recipe"


@pytest.mark.fault
def test_a_failing_launch_keeps_the_version_for_resume(tmp_path, monkeypatch):
    from pafas_cli.errors import PafasError

    monkeypatch.setattr(subprocess, "call", lambda cmd, env: 1)
    with pytest.raises(PafasError, match=r"sft: a training process exited with code 1.*--resume auto"):
        launch.relaunch("sft", load_recipe(None, []), tmp_path / "ws", "auto", 2)
