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
    for command in ("build-paths", "sft", "rl", "eval", "explain", "init-model", "merge", "ls", "show", "env",
                    "baseline"):
        assert command in out.stdout


@pytest.mark.parametrize("command", ["build-paths", "init-model", "pretrain", "sft", "rl", "eval", "explain", "synth",
                                     "baseline"])
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


def test_ls_on_an_empty_workspace_names_the_workspaces_nearby(tmp_path):
    """After `make demo` (which writes workspace/demo) a plain `pafas ls` looks in ./workspace."""
    version = tmp_path / "workspace" / "demo" / "sft" / "v001"
    version.mkdir(parents=True)
    (version / "manifest.json").write_text('{"stage": "sft", "version": "v001", "status": "complete"}')
    out = pafas("ls", cwd=tmp_path)
    assert out.returncode == 0
    assert "no versions yet" in out.stdout and "found 1 version in workspace/demo" in out.stdout
    assert "export PAFAS_WORKSPACE=workspace/demo" in out.stdout
    listed = pafas("--workspace", "workspace/demo", "ls", cwd=tmp_path)
    assert listed.returncode == 0 and "sft:v001" in listed.stdout


def test_ls_of_an_unknown_stage_and_a_workspace_that_is_a_file_are_errors(tmp_path):
    bogus = pafas("--workspace", str(tmp_path), "ls", "bogus")
    assert bogus.returncode == 2 and "no stage 'bogus' (stages: synth, corpus, paths, model, pretrain, sft, rl" in bogus.stderr
    afile = tmp_path / "afile"
    afile.write_text("x")
    for args in (["ls"], ["show", "sft:latest"], ["build-paths"]):
        out = pafas("--workspace", str(afile), *args)
        assert out.returncode == 2 and f"--workspace {afile}: a file, not a folder" in out.stderr, args


def test_offline_variables_are_set_before_imports():
    code = "import os; from pafas_cli.env import configure_network; configure_network(); print(os.environ['HF_HUB_OFFLINE'])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "PAFAS_ALLOW_NETWORK")})
    assert out.stdout.strip() == "1"


@pytest.mark.fault
@pytest.mark.parametrize("name", ["a[x]_rgb.png", "b[/x]_rgb.png"])
def test_bracketed_file_names_print_verbatim(tmp_path, name):
    """Rich read `[x]` in the error line as markup and dropped it (naming a file that does not exist);
    `[/x]` crashed the error printer itself."""
    missing = tmp_path / name  # b[/x]_rgb.png is x]_rgb.png in a folder named b[
    missing.parent.mkdir(exist_ok=True)
    out = pafas("--workspace", str(tmp_path), "explain", str(missing), "-", "-")
    assert out.returncode == 2
    assert out.stderr.strip() == f"error: {missing}: no such file (the RGB image; use - if it is missing)"
    assert "Traceback" not in out.stderr + out.stdout


@pytest.mark.fault
def test_a_mistyped_set_key_is_blamed_on_set_not_on_the_recipe_file(tmp_path):
    out = pafas("--workspace", str(tmp_path), "build-paths", "--set", "paths.n_path=3")
    assert out.returncode == 2
    assert out.stderr.strip() == ("error: --set paths.n_path=3: unknown key 'paths.n_path' "
                                  "(did you mean 'paths.n_paths'?)")


@pytest.mark.fault
def test_explain_output_folder_missing_fails_before_the_model(tmp_path):
    face = tmp_path / "f_rgb.png"
    face.write_bytes(b"")  # never read: the output path is checked first
    out = pafas("--workspace", str(tmp_path), "explain", str(face), "-", "-", "--model", "no:such-model",
                "--out", str(tmp_path / "nodir" / "x.jsonl"))
    assert out.returncode == 2
    assert out.stderr.strip() == (f"error: --out {tmp_path / 'nodir' / 'x.jsonl'}: the folder {tmp_path / 'nodir'} "
                                  "does not exist; create it first or choose another path")
    assert not (tmp_path / "nodir").exists()


@pytest.mark.fault
def test_a_bracketed_recipe_path_prints_verbatim_in_the_echoed_panel(tmp_path):
    folder = tmp_path / "b["
    folder.mkdir()
    recipe = folder / "x]r.yaml"  # the path reads .../b[/x]r.yaml: a closing tag to Rich
    recipe.write_text("eval:\n  batch_size: 2\n")
    out = pafas("--workspace", str(tmp_path), "explain", "none.png", "-", "-", "--recipe", "b[/x]r.yaml",
                cwd=tmp_path)  # relative, so the panel title is not cut at 80 columns
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "recipe: b[/x]r.yaml" in out.stdout
