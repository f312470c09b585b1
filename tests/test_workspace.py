"""Versions, manifests, references, and the guarantees around concurrency and crashes."""

import json
import sys
import threading

import pytest

from pafas_cli.errors import PafasError
from pafas_cli.workspace import Workspace


def complete(ws, stage, content="x"):
    with ws.start(stage, {"seed": 0}, seed=0) as run:
        (run.path / "artefact.txt").write_text(content)
        run.set_metrics({"auc": 0.9})
    return run


def test_versions_count_up_and_manifest_has_contract_fields(tmp_path):
    ws = Workspace(tmp_path)
    first, second = complete(ws, "paths"), complete(ws, "paths", "y")
    assert (first.version, second.version) == ("v001", "v002")
    manifest = json.loads((tmp_path / "paths" / "v002" / "manifest.json").read_text())
    for key in ("stage", "version", "status", "created", "recipe", "inputs", "seed", "packages",
                "git_revision", "metrics", "fingerprint"):
        assert key in manifest
    assert manifest["status"] == "complete"
    assert manifest["metrics"] == {"auc": 0.9}


def test_version_is_invisible_until_complete(tmp_path):
    ws = Workspace(tmp_path)
    with ws.start("sft", {}) as run:
        assert ws.latest("sft") is None
        assert run.path.name.endswith(".partial")
    assert ws.latest("sft").version == "v001"


def test_crashed_run_is_kept_marked_and_never_latest(tmp_path):
    ws = Workspace(tmp_path)
    complete(ws, "sft")
    with pytest.raises(RuntimeError):
        with ws.start("sft", {}):
            raise RuntimeError("boom")
    assert ws.latest("sft").version == "v001"
    failed = [v for v in ws.versions("sft") if v.version == "v002"][0]
    assert failed.status == "failed"
    assert "boom" in failed.manifest["error"]
    assert [v.version for v in ws.unfinished("sft")] == ["v002"]
    with pytest.raises(PafasError, match="failed"):
        ws.resolve("sft:v002")


def test_killed_run_reads_as_interrupted(tmp_path):
    ws = Workspace(tmp_path)
    run = ws.start("rl", {})
    run.update(pid=2**22 + 12345)  # a pid that is not alive: the process was killed
    assert ws.versions("rl")[0].status == "interrupted"
    assert ws.latest("rl") is None


def test_references_resolve(tmp_path):
    ws = Workspace(tmp_path)
    complete(ws, "model")
    complete(ws, "model")
    assert ws.resolve("model:latest").version == "v002"
    assert ws.resolve("model:v001").version == "v001"
    assert ws.resolve("model:1").version == "v001"
    assert ws.resolve("latest", stage="model").version == "v002"
    by_path = ws.resolve(str(tmp_path / "model" / "v001"))
    assert (by_path.stage, by_path.version) == ("model", "v001")
    assert by_path.fingerprint == ws.resolve("model:v001").fingerprint
    plain = tmp_path / "folder"
    plain.mkdir()
    (plain / "a.txt").write_text("a")
    assert ws.resolve(str(plain)).path == plain.resolve()
    assert ws.resolve("Qwen/Qwen2.5-VL-3B-Instruct", allow_hub=True).hub_id == "Qwen/Qwen2.5-VL-3B-Instruct"
    with pytest.raises(PafasError, match="no complete 'sft' version"):
        ws.resolve("sft:latest")
    with pytest.raises(PafasError, match="cannot resolve"):
        ws.resolve("Qwen/Qwen2.5-VL-3B-Instruct")


def test_fingerprint_changes_with_content(tmp_path):
    ws = Workspace(tmp_path)
    assert complete(ws, "paths", "a").manifest["fingerprint"] != complete(ws, "paths", "b").manifest["fingerprint"]


def test_threads_released_together_never_share_a_version(tmp_path):
    """16 threads wait on one barrier, then each reserves 8 numbers at once; a switch interval of a microsecond
    makes the interpreter interleave them between any two steps, so a check-then-create reservation collides."""
    ws, threads, n = Workspace(tmp_path), 16, 8
    barrier, got, lock = threading.Barrier(threads), [], threading.Lock()

    def reserve():
        barrier.wait(timeout=30)
        mine = [ws.reserve("sft") for _ in range(n)]
        with lock:
            got.extend(mine)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        workers = [threading.Thread(target=reserve) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
    finally:
        sys.setswitchinterval(interval)
    assert len(got) == threads * n and len(set(got)) == threads * n
    assert sorted(got) == [f"v{k:03d}" for k in range(1, threads * n + 1)]


def test_resume_reopens_the_same_version(tmp_path):
    ws = Workspace(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        with ws.start("sft", {}) as run:
            (run.path / "checkpoint").write_text("step 5")
            raise KeyboardInterrupt
    (info,) = ws.unfinished("sft")
    assert info.status == "interrupted"
    with ws.start("sft", {}, resume=info) as again:
        assert (again.path / "checkpoint").read_text() == "step 5"
    assert ws.latest("sft").version == "v001"
