"""Concurrent runs into one workspace: distinct version numbers, whole manifests, live runs never interrupted."""

from __future__ import annotations

import json
import multiprocessing as mp
import queue as queue_module
import threading
import time
from pathlib import Path

import pytest

from pafas_cli import workspace as workspace_module
from pafas_cli.workspace import Workspace, load_manifest

PROCESSES, THREADS, RUNS, RESERVATIONS = 4, 6, 2, 8
STAGE = "sft"


def _one_run(root: str, tag: str, barrier, out: list) -> None:
    ws = Workspace(root)
    barrier.wait(timeout=120)
    # Bare reservations first (the tightest race: nothing between two mkdirs), then whole runs.
    out.extend(f"reserved {ws.reserve(STAGE)}" for _ in range(RESERVATIONS))
    for k in range(RUNS):
        with ws.start(STAGE, {"writer": tag, "k": k}) as run:
            (run.path / "writer.txt").write_text(f"{tag}/{k}")
            run.set_metrics({"k": k})
        out.append(run.version)


def _process(root: str, index: int, barrier, queue) -> None:
    got: list[str] = []
    threads = [threading.Thread(target=_one_run, args=(root, f"p{index}t{t}", barrier, got)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put(got)


@pytest.mark.fault
def test_many_threads_in_several_processes_never_share_a_version(tmp_path):
    """PROCESSES x THREADS writers, all started first and released by one barrier, each finish RUNS versions;
    a reader lists the stage meanwhile and must never see a half-written or wrongly interrupted version."""
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES * THREADS + 1)
    queue = ctx.Queue()
    procs = [ctx.Process(target=_process, args=(str(tmp_path), i, barrier, queue)) for i in range(PROCESSES)]
    for proc in procs:
        proc.start()
    barrier.wait(timeout=120)  # every writer thread is waiting: release them together
    ws, seen_bad = Workspace(tmp_path), []
    results: list[list[str]] = []
    deadline = time.time() + 240
    while len(results) < PROCESSES:
        for info in ws.versions(STAGE):
            if info.status not in ("running", "complete"):
                seen_bad.append((info.path.name, info.status, info.problem))
        try:
            results.append(queue.get(timeout=0.05))
        except queue_module.Empty:  # keep reading the stage while the writers run
            assert time.time() < deadline, "the writers did not finish within 240 s"
            assert all(p.is_alive() or p.exitcode == 0 for p in procs), [p.exitcode for p in procs]
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    numbers = [v.split()[-1] for chunk in results for v in chunk]
    got = [v for chunk in results for v in chunk if not v.startswith("reserved")]
    total = PROCESSES * THREADS * RUNS
    assert len(got) == total and len(numbers) == PROCESSES * THREADS * (RUNS + RESERVATIONS)
    assert len(set(numbers)) == len(numbers)  # no number handed out twice, reserved or run
    assert seen_bad == []
    folders = sorted(p.name for p in (tmp_path / STAGE).iterdir() if not p.name.startswith("."))
    assert folders == sorted(got)  # no .partial left, nothing else
    writers = set()
    for name in folders:
        manifest = load_manifest(tmp_path / STAGE / name)  # whole and valid, or this raises
        assert manifest["status"] == "complete" and manifest["version"] == name
        text = (tmp_path / STAGE / name / "writer.txt").read_text()
        assert text == f"{manifest['recipe']['writer']}/{manifest['recipe']['k']}"
        writers.add(text)
    assert len(writers) == total
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp") or p.name.endswith(".new")]


def _hold_a_version(root: str, ready) -> None:
    ws = Workspace(root)
    run = ws.start(STAGE, {})
    with run:
        (run.path / "checkpoint").write_text("step 1")
        ready.set()
        time.sleep(300)  # killed by the test long before (no mp.Event here: killing a waiter deadlocks set())


@pytest.mark.fault
def test_live_process_is_running_and_a_dead_one_is_interrupted(tmp_path):
    ctx = mp.get_context("spawn")
    ready = ctx.Event()
    proc = ctx.Process(target=_hold_a_version, args=(str(tmp_path), ready))
    proc.start()
    try:
        assert ready.wait(timeout=120)
        ws = Workspace(tmp_path)
        (info,) = ws.versions(STAGE)
        assert info.manifest["pid"] == proc.pid and info.status == "running"
        assert ws.unfinished(STAGE) == [] and ws.latest(STAGE) is None
        proc.kill()  # killed mid-run: no __exit__, the manifest still says running
        proc.join(timeout=60)
        (info,) = ws.versions(STAGE)
        assert json.loads((info.path / "manifest.json").read_text())["status"] == "running"
        assert info.status == "interrupted"
        assert [v.version for v in ws.unfinished(STAGE)] == ["v001"]
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(timeout=60)


@pytest.mark.fault
def test_a_starting_version_is_never_seen_without_its_manifest(tmp_path, monkeypatch):
    """A reader that lists the stage at the moment a run writes its first manifest must not find the new
    `.partial` folder without a manifest (it would read as interrupted and `--resume auto` would take it)."""
    ws = Workspace(tmp_path)
    seen = []
    real_write = workspace_module.write_json

    def write_json(path, data):
        if path.name == "manifest.json" and data.get("status") == "running":
            seen.append([(v.path.name, v.status) for v in ws.versions(STAGE)] + ws.unfinished(STAGE))
        real_write(path, data)

    monkeypatch.setattr(workspace_module, "write_json", write_json)
    with ws.start(STAGE, {}):
        seen.append([(v.path.name, v.status) for v in ws.versions(STAGE)] + ws.unfinished(STAGE))
    assert seen == [[], [("v001.partial", "running")]]


@pytest.mark.fault
def test_a_finishing_version_is_running_until_renamed(tmp_path, monkeypatch):
    """Between the complete manifest and the rename, the `.partial` folder reads as running, not interrupted."""
    import os

    ws = Workspace(tmp_path)
    seen = []
    real_replace = os.replace

    def replace(src, dst, *args, **kwargs):
        if str(src).endswith(".partial"):
            seen.append([(v.path.name, v.status) for v in ws.versions(STAGE)] + ws.unfinished(STAGE))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    with ws.start(STAGE, {}):
        pass
    assert seen == [[("v001.partial", "running")]]
    assert ws.latest(STAGE).path == Path(tmp_path / STAGE / "v001")


@pytest.mark.fault
def test_a_version_renamed_while_the_stage_is_listed_is_never_seen_interrupted(tmp_path, monkeypatch):
    """A reader lists `v001.partial`, then the run renames it to `v001` before the reader opens its manifest: the
    listing must not report the vanished folder as an interrupted run (seen once under load in the many-writers
    test above; `--resume auto` would take it)."""
    import os

    ws = Workspace(tmp_path)
    with ws.start(STAGE, {}) as run:
        partial = run.path
        real_read = workspace_module.read_manifest

        def read_manifest(folder):
            if Path(folder) == partial and partial.exists():
                os.replace(partial, partial.with_name("v001"))  # the writer finishes between list and read
            return real_read(folder)

        monkeypatch.setattr(workspace_module, "read_manifest", read_manifest)
        seen = [(v.path.name, v.status) for v in ws.versions(STAGE)]
        monkeypatch.setattr(workspace_module, "read_manifest", real_read)
        os.replace(partial.with_name("v001"), partial)  # hand the folder back to the run
    assert seen == []
    assert ws.latest(STAGE).version == "v001"
