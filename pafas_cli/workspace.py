"""The versioned workspace that passes artefacts between stages.

Layout::

    <workspace>/<stage>/v001/                 a complete version (immutable)
    <workspace>/<stage>/v002.partial/         running, failed or interrupted (status in its manifest)
    <workspace>/<stage>/.reserved/v00N        version numbers handed out (never removed)

A version number is reserved by an atomic `mkdir` under `.reserved/`, so two runs started at once
never share one. Work is written into `vNNN.partial/` and renamed to `vNNN/` only when complete,
so readers never see half a version and `stage:latest` only ever resolves complete ones.
A failed or interrupted run keeps its `.partial` folder (and its checkpoints) for `--resume`.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pafas_cli.errors import PafasError

STAGES = ("synth", "paths", "model", "sft", "rl", "eval")
VERSION_RE = re.compile(r"^v(\d{3,})(\.partial)?$")
MANIFEST = "manifest.json"
PARTIAL = ".partial"


def default_root() -> Path:
    return Path(os.environ.get("PAFAS_WORKSPACE", "workspace"))


@dataclass(frozen=True)
class Resolved:
    """What a reference points at: a workspace version, a plain folder or file, or a hub id."""

    ref: str
    path: Path | None
    stage: str | None = None
    version: str | None = None
    fingerprint: str | None = None
    hub_id: str | None = None

    def as_input(self, name: str) -> dict:
        """The manifest entry recording this input."""
        return {
            "name": name,
            "ref": self.ref,
            "path": str(self.path) if self.path else None,
            "stage": self.stage,
            "version": self.version,
            "fingerprint": self.fingerprint,
            "hub_id": self.hub_id,
        }


@dataclass
class VersionInfo:
    stage: str
    version: str
    path: Path
    manifest: dict = field(default_factory=dict)

    @property
    def status(self) -> str:
        if not self.path.name.endswith(PARTIAL):
            return self.manifest.get("status", "complete")
        status = self.manifest.get("status", "running")
        if status == "running" and not _pid_alive(self.manifest.get("pid")):
            return "interrupted"
        return status

    @property
    def number(self) -> int:
        return int(self.version[1:])


def _pid_alive(pid: Any) -> bool:
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def fingerprint_dir(path: Path) -> str:
    """A content hash of every file under `path` (names and bytes), for manifests of later stages."""
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        rel = file.relative_to(path).as_posix()
        if rel == MANIFEST or rel.startswith("checkpoints/"):
            continue
        digest.update(rel.encode())
        with file.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()[:16]


def package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("pafas", "torch", "transformers", "trl", "peft", "accelerate", "datasets", "tokenizers"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_revision() -> str | None:
    repo = Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5
        )
        dirty = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (temp file + rename) so a crash never leaves half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


class Workspace:
    """A folder of versioned stage outputs."""

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else default_root()

    # -- listing -------------------------------------------------------------------------
    def versions(self, stage: str, include_partial: bool = True) -> list[VersionInfo]:
        stage_dir = self.root / stage
        if not stage_dir.is_dir():
            return []
        found = []
        for child in stage_dir.iterdir():
            m = VERSION_RE.match(child.name)
            if not m or not child.is_dir() or (m.group(2) and not include_partial):
                continue
            manifest = _read_manifest(child)
            found.append(VersionInfo(stage, f"v{m.group(1)}", child, manifest))
        return sorted(found, key=lambda v: (v.number, v.path.name.endswith(PARTIAL)))

    def stages(self) -> list[str]:
        if not self.root.is_dir():
            return []
        known = [s for s in STAGES if (self.root / s).is_dir()]
        other = sorted(p.name for p in self.root.iterdir() if p.is_dir() and p.name not in STAGES)
        return known + [s for s in other if not s.startswith(".")]

    def latest(self, stage: str) -> VersionInfo | None:
        complete = [v for v in self.versions(stage, include_partial=False) if v.status == "complete"]
        return complete[-1] if complete else None

    # -- references ----------------------------------------------------------------------
    def resolve(self, ref: str | Path, stage: str | None = None, allow_hub: bool = False) -> Resolved:
        """Resolve `stage:latest`, `stage:vNNN`, a bare `latest`/`vNNN` (needs `stage`), a path, or a hub id."""
        text = str(ref).strip()
        name, sep, tag = text.partition(":")
        if sep and name in STAGES and not Path(text).exists():
            return self._resolve_tag(name, tag, text)
        if stage and (text == "latest" or VERSION_RE.match(text)):
            return self._resolve_tag(stage, text, text)
        path = Path(text).expanduser()
        if path.exists():
            manifest = _read_manifest(path) if path.is_dir() else {}
            if manifest.get("stage") and manifest.get("version"):
                if manifest.get("status") != "complete":
                    raise PafasError(f"{path} is a {manifest.get('status')} version; only complete ones can be used")
                return Resolved(text, path.resolve(), manifest["stage"], manifest["version"],
                                manifest.get("fingerprint"))
            return Resolved(text, path.resolve(), fingerprint=_quick_fingerprint(path))
        if allow_hub and re.fullmatch(r"[\w.-]+/[\w.-]+", text):
            return Resolved(text, None, hub_id=text)
        hint = f" (workspace references look like '{stage or 'paths'}:latest')" if stage else ""
        raise PafasError(f"cannot resolve '{text}': no such file, folder or workspace version{hint}")

    def _resolve_tag(self, stage: str, tag: str, ref: str) -> Resolved:
        if tag in ("", "latest"):
            info = self.latest(stage)
            if info is None:
                raise PafasError(
                    f"'{ref}': the workspace {self.root} has no complete '{stage}' version yet "
                    f"(run `pafas {_command_for(stage)}` first, or pass a folder)"
                )
        else:
            info = self.get(stage, tag)
            if info.status != "complete":
                raise PafasError(f"'{ref}' is {info.status}, not complete; it cannot be used as an input")
        return Resolved(ref, info.path.resolve(), stage, info.version, info.manifest.get("fingerprint"))

    def get(self, stage: str, tag: str) -> VersionInfo:
        """One version by tag (`v003`, `3`), whatever its status."""
        version = tag if tag.startswith("v") else f"v{int(tag):03d}" if tag.isdigit() else tag
        matches = [v for v in self.versions(stage) if v.version == version]
        if not matches:
            raise PafasError(f"'{stage}:{tag}': no version {version} under {self.root / stage}")
        return matches[-1]

    # -- writing -------------------------------------------------------------------------
    def reserve(self, stage: str) -> str:
        """Atomically reserve the next version number for `stage`."""
        reserved = self.root / stage / ".reserved"
        reserved.mkdir(parents=True, exist_ok=True)
        existing = [int(m.group(1)) for p in reserved.iterdir() if (m := VERSION_RE.match(p.name))]
        existing += [v.number for v in self.versions(stage)]
        number = max(existing, default=0) + 1
        while True:
            try:
                (reserved / f"v{number:03d}").mkdir()
                return f"v{number:03d}"
            except FileExistsError:
                number += 1

    def start(self, stage: str, recipe: dict | None, inputs: list[dict] | None = None,
              seed: int | None = None, resume: VersionInfo | None = None) -> "VersionWriter":
        """Begin a new version (or reopen an unfinished one to resume it)."""
        if resume is not None:
            return VersionWriter(self, stage, resume.version, resume.path, resume.manifest, resumed=True)
        version = self.reserve(stage)
        path = self.root / stage / f"{version}{PARTIAL}"
        path.mkdir(parents=True)
        manifest = {
            "stage": stage,
            "version": version,
            "status": "running",
            "created": _now(),
            "finished": None,
            "pid": os.getpid(),
            "argv": sys.argv,
            "recipe": recipe,
            "inputs": inputs or [],
            "seed": seed,
            "packages": package_versions(),
            "git_revision": git_revision(),
            "metrics": {},
        }
        write_json(path / MANIFEST, manifest)
        return VersionWriter(self, stage, version, path, manifest)

    def unfinished(self, stage: str) -> list[VersionInfo]:
        """Versions that did not complete (candidates for `--resume`), oldest first."""
        return [v for v in self.versions(stage) if v.path.name.endswith(PARTIAL) and v.status != "running"]


class VersionWriter:
    """Context manager around one version being written; marks it complete, failed or interrupted."""

    def __init__(self, ws: Workspace, stage: str, version: str, path: Path, manifest: dict, resumed: bool = False):
        self.ws, self.stage, self.version, self.path, self.manifest = ws, stage, version, path, manifest
        self.resumed = resumed
        self.final_path = ws.root / stage / version
        self._t0 = time.time()

    @property
    def ref(self) -> str:
        return f"{self.stage}:{self.version}"

    def update(self, **fields: Any) -> None:
        """Merge fields into the manifest (e.g. counts) and write it."""
        self.manifest.update(fields)
        write_json(self.path / MANIFEST, self.manifest)

    def set_metrics(self, metrics: dict) -> None:
        self.manifest.setdefault("metrics", {}).update(metrics)
        write_json(self.path / MANIFEST, self.manifest)

    def __enter__(self) -> "VersionWriter":
        if self.resumed:
            self.update(status="running", pid=os.getpid(), resumed_at=_now())
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        elapsed = round(time.time() - self._t0, 2)
        if exc_type is None:
            self.manifest.update(status="complete", finished=_now(), seconds=elapsed, pid=None)
            self.manifest["fingerprint"] = fingerprint_dir(self.path)
            write_json(self.path / MANIFEST, self.manifest)
            os.replace(self.path, self.final_path)
            self.path = self.final_path
        else:
            status = "interrupted" if issubclass(exc_type, KeyboardInterrupt) else "failed"
            self.manifest.update(status=status, finished=_now(), seconds=elapsed, pid=None,
                                 error=f"{exc_type.__name__}: {exc}")
            write_json(self.path / MANIFEST, self.manifest)
        return False


def _read_manifest(path: Path) -> dict:
    file = path / MANIFEST
    if not file.is_file():
        return {}
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {"status": "corrupt"}


def _quick_fingerprint(path: Path) -> str:
    """Cheap identity for an outside input: names, sizes and mtimes (not the bytes of a 6 GB model)."""
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files[:10000]:
        st = file.stat()
        digest.update(f"{file.name}:{st.st_size}:{int(st.st_mtime)}".encode())
    return digest.hexdigest()[:16]


def _command_for(stage: str) -> str:
    return {"paths": "build-paths", "model": "init-model", "synth": "synth"}.get(stage, stage)
