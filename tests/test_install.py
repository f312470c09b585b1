"""A non-editable install carries the recipes, taxonomy and reasoning tree (package data), so `pafas` works
from any folder, not only from a checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _clean_copy(dest: Path) -> Path:
    """The checkout's files as git sees them (tracked or not ignored), links kept as links: no stale
    build/ or egg-info from an earlier build can supply what the package data should."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, check=True,
                            capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        src, dst = REPO / name, dest / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            dst.symlink_to(os.readlink(src))
        elif src.is_file():
            shutil.copy2(src, dst)
    return dest


@pytest.mark.slow
def test_a_wheel_install_builds_paths_from_an_empty_folder(tmp_path):
    venv, empty = tmp_path / "venv", tmp_path / "empty"
    empty.mkdir()
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # The dependencies come from the test environment; its own .pth files (the editable pafas) are not read.
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    source = _clean_copy(tmp_path / "source")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                    "--no-build-isolation", str(source)], check=True)
    installed = Path(site) / "pafas_cli"
    assert not (installed / "recipes").is_symlink() and (installed / "recipes" / "taxonomy.yaml").is_file()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PAFAS_WORKSPACE": str(empty / "ws")}
    run = subprocess.run([str(venv / "bin" / "pafas"), "build-paths", "--data", "synthetic",
                          "--set", "data.synth.per_domain=80", "--set", "data.n_train=40", "--set", "paths.n_paths=2"], cwd=empty, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    manifest = json.loads((empty / "ws" / "paths" / "v001" / "manifest.json").read_text())
    assert manifest["taxonomy"] == str(installed / "recipes" / "taxonomy.yaml")
    assert manifest["recipe"]["data"]["n_dev"] == 300, "the quickstart recipe was read, not the code defaults (0)"
