"""Run `pafas` as a subprocess on a test workspace, kill it at a checkpoint, and read what it wrote."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def pafas(ws, *args: str, pythonpath: str | None = None, **popen) -> subprocess.Popen:
    """`pafas ARGS` on workspace `ws`; `pythonpath` adds a folder for recipe-named modules (module:function)."""
    env = {**os.environ, "PAFAS_WORKSPACE": str(ws.root), "OMP_NUM_THREADS": "1"}
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [pythonpath, env.get("PYTHONPATH")]))
    cmd = [sys.executable, "-m", "pafas_cli", *args]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **popen)


def sets(*items: str) -> list[str]:
    return [arg for item in items for arg in ("--set", item)]


def manifest(path: Path) -> dict:
    return json.loads((path / "manifest.json").read_text())


def logs(path: Path) -> list[dict]:
    """The per-step training logs of a version (without the final summary record)."""
    lines = [json.loads(line) for line in (path / "metrics.jsonl").read_text().splitlines()]
    return [r for r in lines if "train_runtime" not in r]


def steps_logged(path: Path) -> list[int]:
    return [r["step"] for r in logs(path)]


def finish(proc: subprocess.Popen, timeout: float = 240) -> str:
    out, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, out
    return out


def kill_at_checkpoint(ws, stage: str, args: list[str], step: int, pythonpath: str | None = None) -> Path:
    """Start `pafas <stage>`, SIGKILL its whole process group once checkpoint-<step> is complete."""
    proc = pafas(ws, stage, *args, pythonpath=pythonpath, start_new_session=True)
    partial = ws.root / stage / "v001.partial"
    done = partial / "checkpoints" / f"checkpoint-{step}" / "trainer_state.json"
    deadline = time.time() + 180
    while not done.is_file():
        assert proc.poll() is None, proc.stdout.read()
        assert time.time() < deadline, f"no checkpoint-{step} within 180 s"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert partial.is_dir(), "the run finished before it could be killed; make it longer"
    return partial


def weights(version: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(version / "model" / "model.safetensors"))
