"""Disk faults and corrupt manifests in the workspace: one clear line, a non-zero exit, nothing half-written.

Faults are injected by patching (deterministic, any user: we run as root, where chmod cannot make a folder
read-only) and, where a tmpfs can be mounted (root with CAP_SYS_ADMIN), for real on a tiny or read-only one.
"""

from __future__ import annotations

import builtins
import errno
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pafas_cli.errors import PafasError
from pafas_cli.workspace import Workspace

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
ENOSPC = "No space left on device"


class FullDisk:
    """`builtins.open` for files under `root`: writes fail with ENOSPC once `budget` bytes are used
    (the bytes that still fit are written first, as on a real disk). `budget=None` = room left."""

    def __init__(self, monkeypatch, root: Path, budget: int | None = 0):
        self.root, self.budget = str(root), budget
        real_open = builtins.open

        def fake_open(file, mode="r", *args, **kwargs):
            handle = real_open(file, mode, *args, **kwargs)
            if any(c in mode for c in "wax+") and str(file).startswith(self.root):
                return _Limited(handle, self)
            return handle

        monkeypatch.setattr(builtins, "open", fake_open)


class _Limited:
    def __init__(self, handle, disk: FullDisk):
        self._handle, self._disk = handle, disk

    def write(self, data):
        disk = self._disk
        if disk.budget is not None and len(data) > disk.budget:
            self._handle.write(data[: disk.budget])
            disk.budget = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        if disk.budget is not None:
            disk.budget -= len(data)
        return self._handle.write(data)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._handle.close()
        return False

    def __getattr__(self, name):
        return getattr(self._handle, name)


def leftovers(root: Path) -> list[str]:
    """Temp files and hidden staging folders the workspace must never leave behind."""
    return [str(p) for p in root.rglob("*") if p.name.endswith(".tmp") or p.name.endswith(".partial.new")]


def complete(ws: Workspace, stage: str = "paths", content: str = "x"):
    with ws.start(stage, {"seed": 0}, seed=0) as run:
        (run.path / "artefact.txt").write_text(content)
        run.set_metrics({"auc": 0.9})
    return run


# -- full disk, read-only workspace ------------------------------------------------------------------------

@pytest.mark.fault
def test_full_disk_at_start_is_one_error_and_leaves_nothing(tmp_path, monkeypatch):
    ws = Workspace(tmp_path / "ws")
    FullDisk(monkeypatch, tmp_path, budget=0)
    with pytest.raises(PafasError) as caught:
        ws.start("paths", {"seed": 0})
    message = str(caught.value)
    assert ENOSPC in message and "free space" in message and str(tmp_path / "ws" / "paths") in message
    assert "\n" not in message
    assert leftovers(tmp_path) == []
    assert ws.versions("paths") == [] and not list((tmp_path / "ws" / "paths").glob("v*"))


@pytest.mark.fault
def test_full_disk_in_the_middle_of_a_version(tmp_path, monkeypatch):
    ws = Workspace(tmp_path / "ws")
    disk = FullDisk(monkeypatch, tmp_path, budget=None)
    with pytest.raises(PafasError) as caught:
        with ws.start("paths", {"seed": 0}) as run:
            with open(run.path / "images.bin", "wb") as fh:
                fh.write(b"x" * 1000)
            disk.budget = 100  # the disk fills up while the stage writes its output
            with open(run.path / "rows.bin", "wb") as fh:
                fh.write(b"y" * 1000)
    message = str(caught.value)
    assert ENOSPC in message and "free space" in message and str(run.path) in message
    assert "\n" not in message
    assert leftovers(tmp_path) == []
    # The failure could not be written (the disk is still full): the last manifest stays whole and
    # readable, says running with this process's pid, and so reads as interrupted once the process is gone.
    manifest = json.loads((run.path / "manifest.json").read_text())
    assert manifest["status"] == "running" and manifest["pid"] == os.getpid()
    assert "manifest could not be updated" in message
    assert ws.latest("paths") is None


@pytest.mark.fault
def test_failure_is_recorded_when_the_manifest_can_still_be_written(tmp_path, monkeypatch):
    ws = Workspace(tmp_path / "ws")
    disk = FullDisk(monkeypatch, tmp_path, budget=None)
    with pytest.raises(PafasError, match=ENOSPC) as caught:
        with ws.start("paths", {"seed": 0}) as run:
            disk.budget = 10  # a full disk for this manifest write only: the run frees space as it fails
            try:
                run.set_metrics({"rows": 5})
            finally:
                disk.budget = None
    assert str(run.path / "manifest.json") in str(caught.value)
    assert leftovers(tmp_path) == []
    (info,) = ws.versions("paths")
    assert info.status == "failed" and ENOSPC in info.manifest["error"]
    assert [v.version for v in ws.unfinished("paths")] == ["v001"]


@pytest.mark.fault
def test_body_disk_error_is_one_line_and_recorded(tmp_path):
    ws = Workspace(tmp_path / "ws")
    with pytest.raises(PafasError) as caught:
        with ws.start("sft", {}) as run:
            raise OSError(errno.EDQUOT, os.strerror(errno.EDQUOT), str(run.path / "model.safetensors"))
    message = str(caught.value)
    assert "quota" in message and "model.safetensors" in message and "kept as failed" in message
    assert message.startswith(f"cannot write {run.path / 'model.safetensors'}: Disk quota exceeded")
    (info,) = ws.versions("sft")
    assert info.status == "failed" and "Disk quota" in info.manifest["error"]


@pytest.mark.fault
def test_rename_refused_at_finish_marks_the_version_failed(tmp_path, monkeypatch):
    ws = Workspace(tmp_path / "ws")
    real_replace = os.replace

    def replace(src, dst, *args, **kwargs):
        if str(src).endswith(".partial"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(src))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(PafasError) as caught:
        complete(ws)
    message = str(caught.value)
    assert "Permission denied" in message and "rename v001.partial" in message and "\n" not in message
    (info,) = ws.versions("paths")
    assert info.path.name == "v001.partial" and info.status == "failed"
    assert "Permission denied" in info.manifest["error"]
    assert ws.latest("paths") is None and leftovers(tmp_path) == []


@pytest.mark.fault
@pytest.mark.parametrize("code, words", [(errno.EROFS, "Read-only file system"), (errno.EACCES, "Permission denied")])
def test_read_only_or_unwritable_workspace(tmp_path, monkeypatch, code, words):
    ws = Workspace(tmp_path / "ws")
    complete(ws)
    real_mkdir = os.mkdir

    def mkdir(path, *args, **kwargs):
        if str(path).startswith(str(tmp_path)):
            raise OSError(code, os.strerror(code), str(path))
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", mkdir)
    with pytest.raises(PafasError) as caught:
        ws.start("paths", {})
    message = str(caught.value)
    assert words in message and "--workspace" in message and str(tmp_path / "ws" / "paths") in message
    assert [v.version for v in ws.versions("paths")] == ["v001"] and leftovers(tmp_path) == []


def _mount_tmpfs(where: Path, options: str) -> None:
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip() or 'not root'})")


@pytest.fixture
def tmpfs(tmp_path):
    """A mount point for a real tmpfs; unmounted afterwards. Skips where mounting is not allowed."""
    where = tmp_path / "mnt"
    yield where
    subprocess.run(["umount", str(where)], capture_output=True)


def pafas(*args: str, code: str = "") -> subprocess.CompletedProcess:
    """The CLI in a child process, `code` run first (e.g. a fault patched in)."""
    prog = f"{code}\nimport sys\nfrom pafas_cli.cli import main\nsys.argv = ['pafas', *{list(args)!r}]\nmain()\n"
    return subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True, env=ENV, timeout=180)


def one_line_error(out: subprocess.CompletedProcess) -> str:
    assert out.returncode == 2, out.stderr + out.stdout
    assert "Traceback" not in out.stderr + out.stdout
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), out.stderr
    return lines[0]


@pytest.mark.fault
def test_cli_full_tmpfs_is_one_line(tmpfs):
    _mount_tmpfs(tmpfs, "size=200k")
    ws = tmpfs / "ws"
    line = one_line_error(pafas("--workspace", str(ws), "synth", "--set", "data.synth.per_domain=20"))
    assert ENOSPC in line and "synth:v001" in line
    assert leftovers(tmpfs) == []
    (info,) = Workspace(ws).versions("synth")
    json.loads((info.path / "manifest.json").read_text())  # whole, not half-written
    # Whether the failed manifest still fits depends on how full the disk was when the write failed
    # (machines differ); either way the version is never `running` forever nor latest, and the error
    # line says which of the two it is.
    assert info.status in ("failed", "interrupted")
    assert f"as {info.status}" in line
    assert Workspace(ws).latest("synth") is None


@pytest.mark.fault
def test_cli_read_only_tmpfs_is_one_line(tmpfs):
    _mount_tmpfs(tmpfs, "size=4m")
    ws = tmpfs / "ws"
    assert pafas("--workspace", str(ws), "synth", "--set", "data.synth.per_domain=20").returncode == 0
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    line = one_line_error(pafas("--workspace", str(ws), "synth", "--set", "data.synth.per_domain=21"))
    assert "Read-only file system" in line and "writable" in line and str(ws / "synth") in line
    listed = pafas("--workspace", str(ws), "ls")
    assert listed.returncode == 0 and "synth:v001" in listed.stdout


@pytest.mark.fault
def test_cli_disk_full_on_the_manifest_is_one_line(tmp_path):
    """Any user: ENOSPC injected into the second manifest write (the one that records the metrics)."""
    fault = textwrap.dedent("""
        import errno, os
        real_replace, calls = os.replace, []
        def replace(src, dst, *a, **k):
            if str(dst).endswith("manifest.json"):
                calls.append(dst)
                if len(calls) >= 2:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return real_replace(src, dst, *a, **k)
        os.replace = replace
    """)
    ws = tmp_path / "ws"
    line = one_line_error(pafas("--workspace", str(ws), "synth", "--set", "data.synth.per_domain=20", code=fault))
    assert ENOSPC in line and "manifest.json" in line and "free space" in line
    assert leftovers(tmp_path) == []
    (info,) = Workspace(ws).versions("synth")
    assert info.status == "interrupted" and info.path.name == "v001.partial"


# -- corrupt manifests: show and ls ------------------------------------------------------------------------

CORRUPTIONS = {
    "truncated": lambda text: text[: len(text) // 2],
    "empty": lambda text: "",
    "not a dict": lambda text: json.dumps([1, 2, 3]),
    "missing status": lambda text: json.dumps({k: v for k, v in json.loads(text).items() if k != "status"}),
    "metrics not a mapping": lambda text: json.dumps({**json.loads(text), "metrics": "auc=0.9"}),
}
EXPECTED = {"truncated": "truncated or invalid JSON", "empty": "empty", "not a dict": "not an object",
            "missing status": "missing key 'status'", "metrics not a mapping": "'metrics' is a str"}


def three_versions(root: Path, kind: str) -> Path:
    ws = Workspace(root)
    for content in "abc":
        complete(ws, content=content)
    file = root / "paths" / "v002" / "manifest.json"
    file.write_text(CORRUPTIONS[kind](file.read_text()))
    return file


@pytest.mark.fault
@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
def test_corrupt_manifest_reads_as_corrupt(tmp_path, kind):
    file = three_versions(tmp_path, kind)
    ws = Workspace(tmp_path)
    statuses = {v.version: v.status for v in ws.versions("paths")}
    assert statuses == {"v001": "complete", "v002": "corrupt", "v003": "complete"}
    broken = ws.get("paths", "v002")
    assert str(file) in broken.problem and EXPECTED[kind] in broken.problem
    assert ws.latest("paths").version == "v003"
    with pytest.raises(PafasError, match="corrupt manifest") as caught:
        ws.resolve("paths:v002")
    assert str(file) in str(caught.value)
    with pytest.raises(PafasError, match="corrupt manifest"):
        ws.resolve(str(file.parent))


@pytest.mark.fault
@pytest.mark.parametrize("kind", ["truncated", "not a dict", "missing status"])
def test_cli_ls_marks_the_corrupt_version_and_lists_the_rest(tmp_path, kind):
    file = three_versions(tmp_path, kind)
    out = pafas("--workspace", str(tmp_path), "ls")
    line = one_line_error(out)
    assert str(file) in line and EXPECTED[kind] in line
    rows = {r.split("│")[1].strip(): r for r in out.stdout.splitlines() if "paths:v" in r}
    assert set(rows) == {"paths:v001", "paths:v002", "paths:v003"}
    assert "corrupt" in rows["paths:v002"] and "complete" in rows["paths:v001"] and "complete" in rows["paths:v003"]


@pytest.mark.fault
@pytest.mark.parametrize("kind", ["truncated", "not a dict", "metrics not a mapping"])
def test_cli_show_corrupt_manifest_is_one_line(tmp_path, kind):
    file = three_versions(tmp_path, kind)
    for ref in ("paths:v002", str(file.parent)):
        line = one_line_error(pafas("--workspace", str(tmp_path), "show", ref))
        assert str(file) in line and EXPECTED[kind] in line
    shown = pafas("--workspace", str(tmp_path), "show", "paths:v001")
    assert shown.returncode == 0 and '"version": "v001"' in shown.stdout
