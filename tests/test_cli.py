"""The CLI as a user runs it: help, errors without tracebacks, workspace commands."""

import os
import subprocess
import sys

import pytest

ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}


def pafas(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "pafas_cli", *args], capture_output=True, text=True, env=ENV,
                          cwd=cwd, timeout=120)


def test_help_lists_the_pipeline_commands():
    out = pafas("--help")
    assert out.returncode == 0
    for command in ("build-paths", "sft", "rl", "eval", "explain", "init-model", "merge", "ls", "show", "env"):
        assert command in out.stdout


@pytest.mark.parametrize("command", ["build-paths", "init-model", "sft", "rl", "eval", "explain", "synth"])
def test_each_command_help_has_an_example(command):
    out = pafas(command, "--help")
    assert out.returncode == 0
    assert "Example" in out.stdout


def test_unknown_set_key_is_one_line_without_traceback(tmp_path):
    out = pafas("--workspace", str(tmp_path), "build-paths", "--set", "no.such.key=1")
    assert out.returncode == 2
    assert "unknown key 'no'" in out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    assert len(out.stderr.strip().splitlines()) == 1


def test_misspelled_recipe_key_names_key(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("paths:\n  n_path: 3\n")
    out = pafas("--workspace", str(tmp_path), "build-paths", "--recipe", str(recipe))
    assert out.returncode == 2
    assert "paths.n_path" in out.stderr and "did you mean 'paths.n_paths'" in out.stderr


def test_ls_on_empty_workspace(tmp_path):
    out = pafas("--workspace", str(tmp_path), "ls")
    assert out.returncode == 0
    assert "no versions yet" in out.stdout


def test_offline_variables_are_set_before_imports():
    code = "import os; from pafas_cli.env import configure_network; configure_network(); print(os.environ['HF_HUB_OFFLINE'])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "PAFAS_ALLOW_NETWORK")})
    assert out.stdout.strip() == "1"
