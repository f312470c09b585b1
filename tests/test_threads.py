"""The thread count every process computes with: from the recipe, else a count that does not collapse on a busy
machine; applied before the numerical libraries spin their pools, and recorded in every version."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from pafas_cli import threads
from pafas_cli.config import load_recipe
from pafas_cli.errors import PafasError


def test_auto_is_the_environments_count_else_half_the_cores_at_least_one(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    for cores, expected in ((1, 1), (2, 1), (3, 1), (8, 4), (64, threads.MAX_AUTO)):
        monkeypatch.setattr(threads, "cores", lambda n=cores: n)
        assert threads.auto() == expected, cores
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert threads.auto() == 3 and threads.resolve(None) == 3 and threads.resolve(5) == 5
    monkeypatch.setenv("OMP_NUM_THREADS", "zero")  # not a count: the policy decides
    assert threads.auto() == threads.resolve(None) == max(1, min(threads.MAX_AUTO, threads.cores() // 2))


def test_a_thread_count_below_one_is_refused_naming_the_key():
    with pytest.raises(PafasError, match=r"--set threads=0: threads: must be >= 1 or null \(auto\), got 0"):
        load_recipe(None, ["threads=0"])
    assert load_recipe(None, ["threads=2"]).threads == 2 and load_recipe(None, []).threads is None


def test_applying_a_count_reaches_torch_whether_or_not_it_is_loaded_yet():
    code = ("from pafas_cli import threads; threads.apply(1); import torch; a = torch.get_num_threads(); "
            "threads.apply(2); print(a, torch.get_num_threads())")
    env = {k: v for k, v in os.environ.items() if k not in threads.ENV}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.split() == ["1", "2"]


@pytest.mark.slow
@pytest.mark.parametrize("given,env,expected", [("threads=2", {}, 2), (None, {"OMP_NUM_THREADS": "1"}, 1)])
def test_every_version_records_the_count_its_stage_computed_with(tmp_path, given, env, expected):
    base = {k: v for k, v in os.environ.items() if k not in threads.ENV}
    sets = ["--set", "data.synth.per_domain=20", "--set", "data.n_train=8", "--set", "paths.n_paths=1"]
    if given:
        sets += ["--set", given]
    done = subprocess.run([sys.executable, "-m", "pafas_cli", "--workspace", str(tmp_path), "build-paths", *sets],
                          capture_output=True, text=True, env={**base, **env}, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    manifest = json.loads((tmp_path / "paths" / "v001" / "manifest.json").read_text())
    assert manifest["recipe"]["threads"] == expected
