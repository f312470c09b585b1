"""The versioned workspace that passes artefacts between stages.

Layout::

    <workspace>/<stage>/v001/                 a complete version (immutable)
    <workspace>/<stage>/v002.partial/         running, failed or interrupted (status in its manifest)
    <workspace>/<stage>/.reserved/v00N        version numbers handed out (never removed)

A version number is reserved by an atomic `mkdir` under `.reserved/`, so two runs started at once
never share one. The `vNNN.partial/` folder appears (renamed from a hidden staging folder) only with its
`running` manifest already in it, so a reader never takes a run that is starting for an interrupted one.
Work is written into `vNNN.partial/` and renamed to `vNNN/` only when complete,
so readers never see half a version and `stage:latest` only ever resolves complete ones.
A failed or interrupted run keeps its `.partial` folder (and its checkpoints) for `--resume`.

Disk faults (full disk, quota, read-only file system, no permission) while the workspace writes become a
`PafasError` naming the path and what to do; the failure is recorded in the manifest where it can still be
written, and no temp file is left behind. A manifest that cannot be read (truncated JSON, not a mapping,
missing keys) makes that version `corrupt` (`VersionInfo.problem` says why); the others still list.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pafas_cli.errors import PafasError

STAGES = ("synth", "corpus", "paths", "model", "pretrain", "sft", "rl", "eval", "baseline")
VERSION_RE = re.compile(r"^v(\d{3,})(\.partial)?$")
MANIFEST = "manifest.json"
PARTIAL = ".partial"
STATUSES = ("running", "complete", "failed", "interrupted")
# OSErrors a user fixes on the disk, not in the code: turned into one-line PafasErrors.
DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM})
# Manifest keys every version has, and the types of the optional ones that readers use (None allowed).
REQUIRED_KEYS = {"stage": str, "version": str, "status": str}
TYPED_KEYS = {"created": str, "finished": str, "recipe": dict, "inputs": list, "metrics": dict, "error": str,
              "fingerprint": str, "argv": list}


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
    # Why the manifest cannot be used (names the file), or None; such a version's status is `corrupt`.
    problem: str | None = None

    @property
    def status(self) -> str:
        if self.problem:
            return "corrupt"
        if not self.path.name.endswith(PARTIAL):
            return self.manifest.get("status", "complete")
        status = self.manifest.get("status", "running")
        if status in ("running", "complete"):
            # "complete" in a .partial folder: the run was finishing (renaming) or died before the rename.
            return "running" if _pid_alive(self.manifest.get("pid")) else "interrupted"
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


# Tracked files whose local changes do not make a checkout "-dirty": prose, and the results the reproduction
# itself writes while it runs (a cell measured after the first page rewrite is still measured by clean code).
NOT_CODE = ("*.md", "docs", "bench/results")


def git_revision(repo: Path | None = None) -> str | None:
    """The short commit of the checkout this package runs from (`repo`), "-dirty" with local changes to its
    code, recipes or tests (not to NOT_CODE); None outside git."""
    repo = Path(repo) if repo is not None else Path(__file__).resolve().parent.parent
    try:
        # File names in git's output need not be UTF-8 (nor the locale's): read them leniently.
        out = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True,
                             encoding="utf-8", errors="replace", timeout=5)
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no", "--",
                                ".", *(f":(exclude){p}" for p in NOT_CODE)],
                               capture_output=True, encoding="utf-8", errors="replace", timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def disk_error(exc: OSError, path: str | Path, doing: str = "write") -> PafasError:
    """One line for an OSError met writing the workspace: what failed, where, and what to do about it."""
    where = exc.filename or path
    code = exc.errno
    if code == errno.ENOSPC:
        hint = "free space there, or point --workspace (PAFAS_WORKSPACE) at a disk with room"
    elif code == errno.EDQUOT:
        hint = "free space within the quota, or use a --workspace (PAFAS_WORKSPACE) outside it"
    elif code == errno.EROFS:
        hint = "the workspace must be writable: use another --workspace (PAFAS_WORKSPACE)"
    elif code in (errno.EACCES, errno.EPERM):
        hint = "give this user access there, or use another --workspace (PAFAS_WORKSPACE)"
    else:
        hint = "check the disk and the folder, or use another --workspace (PAFAS_WORKSPACE)"
    reason = exc.strerror or str(exc) or type(exc).__name__
    return PafasError(f"cannot {doing} {where}: {reason}; {hint}")


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (temp file + rename) so a crash never leaves half a file.

    An OSError (full disk, read-only, no permission) removes the temp file and raises a PafasError naming
    `path`; the previous file, if any, is left as it was.
    """
    text = json.dumps(data, indent=2, default=str) + "\n"
    tmp = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        _remove_quietly(tmp)
        raise disk_error(exc, path) from exc


class Workspace:
    """A folder of versioned stage outputs."""

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else default_root()

    def check(self) -> "Workspace":
        """This workspace, or a PafasError when its root exists and is no folder (a file, say)."""
        if self.root.exists() and not self.root.is_dir():
            raise PafasError(f"--workspace {self.root}: a file, not a folder; a workspace is a folder of stage "
                             "versions (it is created on the first run)")
        return self

    def count(self) -> int:
        """How many versions (of any status) the workspace holds."""
        return sum(len(self.versions(stage)) for stage in self.stages())

    # -- listing -------------------------------------------------------------------------
    def versions(self, stage: str, include_partial: bool = True) -> list[VersionInfo]:
        stage_dir = self.root / stage
        if not stage_dir.is_dir():
            return []
        found = []
        try:
            children = list(stage_dir.iterdir())
        except OSError as exc:
            raise disk_error(exc, stage_dir, "read") from exc
        for child in children:
            m = VERSION_RE.match(child.name)
            if not m or not child.is_dir() or (m.group(2) and not include_partial):
                continue
            manifest, problem = read_manifest(child)
            if m.group(2) and not manifest and not child.is_dir():
                continue  # renamed (finished) or removed since the listing: not an interrupted run
            if problem is None and not manifest and not m.group(2):
                problem = f"{child / MANIFEST}: missing (a complete version always has one)"
            if problem is None and manifest:
                problem = check_manifest(manifest, child / MANIFEST)
            found.append(VersionInfo(stage, f"v{m.group(1)}", child, {} if problem else manifest, problem))
        return sorted(found, key=lambda v: (v.number, v.path.name.endswith(PARTIAL)))

    def stages(self) -> list[str]:
        if not self.root.is_dir():
            return []
        known = [s for s in STAGES if (self.root / s).is_dir()]
        try:
            other = sorted(p.name for p in self.root.iterdir() if p.is_dir() and p.name not in STAGES)
        except OSError as exc:
            raise disk_error(exc, self.root, "read") from exc
        return known + [s for s in other if not s.startswith(".")]

    def latest(self, stage: str) -> VersionInfo | None:
        complete = [v for v in self.versions(stage, include_partial=False) if v.status == "complete"]
        return complete[-1] if complete else None

    def find(self, stage: str, settings: dict, inputs: Sequence[str | Path | Resolved] = (),
             accept: Callable[[VersionInfo], bool] | None = None) -> VersionInfo | None:
        """The newest complete version of `stage` made with these `settings` from these `inputs`, or None.

        `settings` are the recipe sections as the stage records them in its manifest (`recipe`: a stage plan's
        `recorded`, inherited values filled in); they match when they have the same keys and equal values.
        Each of `inputs` (a reference, resolved here, or a `Resolved`) must be among the version's recorded
        inputs with the same content fingerprint (an input without one: the same path or hub id). `accept`,
        when given, must also say yes (e.g. to a version's commit, or to what its files hold).
        """
        wanted = [i if isinstance(i, Resolved) else self.resolve(i, allow_hub=True) for i in inputs]
        want = _normalised(settings)
        for info in reversed(self.versions(stage, include_partial=False)):
            if info.status != "complete" or not _matches(want, info.manifest.get("recipe")):
                continue
            recorded = [r for r in info.manifest.get("inputs") or [] if isinstance(r, dict)]
            if all(any(_same_input(w, r) for r in recorded) for w in wanted) and (accept is None or accept(info)):
                return info
        return None

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
            manifest, problem = read_manifest(path) if path.is_dir() else ({}, None)
            if problem is None and manifest.get("stage") and manifest.get("version"):
                problem = check_manifest(manifest, path / MANIFEST)
            if problem:
                raise PafasError(f"'{text}': {_corrupt_hint(problem, path)}")
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
            if info.problem:
                raise PafasError(f"'{ref}': {_corrupt_hint(info.problem, info.path)}")
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
        """Atomically reserve the next version number for `stage`.

        The reservation is the `mkdir` of `.reserved/vNNN`: it either creates the folder or fails with
        FileExistsError, never both for two processes, so a number is handed out once; taken -> try the next.
        """
        reserved = self.root / stage / ".reserved"
        try:
            reserved.mkdir(parents=True, exist_ok=True)
            existing = [int(m.group(1)) for p in reserved.iterdir() if (m := VERSION_RE.match(p.name))]
        except OSError as exc:
            raise disk_error(exc, reserved, "reserve a version number in") from exc
        existing += [v.number for v in self.versions(stage)]
        number = max(existing, default=0) + 1
        while True:
            try:
                os.mkdir(reserved / f"v{number:03d}")
                return f"v{number:03d}"
            except FileExistsError:
                number += 1
            except OSError as exc:
                raise disk_error(exc, reserved, "reserve a version number in") from exc

    def start(self, stage: str, recipe: dict | None, inputs: list[dict] | None = None,
              seed: int | None = None, resume: VersionInfo | None = None) -> "VersionWriter":
        """Begin a new version (or reopen an unfinished one to resume it)."""
        if resume is not None:
            return VersionWriter(self, stage, resume.version, resume.path, resume.manifest, resumed=True)
        version = self.reserve(stage)
        path = self.root / stage / f"{version}{PARTIAL}"
        # Written in a hidden staging folder and renamed: `vNNN.partial` never exists without its manifest.
        staging = self.root / stage / f".{version}{PARTIAL}.new"
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
        try:
            os.mkdir(staging)
            write_json(staging / MANIFEST, manifest)
            os.rename(staging, path)
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise disk_error(exc, path, "create") from exc
        except PafasError:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return VersionWriter(self, stage, version, path, manifest)

    def unfinished(self, stage: str) -> list[VersionInfo]:
        """Versions that did not complete (candidates for `--resume`), oldest first; not running or corrupt ones."""
        return [v for v in self.versions(stage)
                if v.path.name.endswith(PARTIAL) and v.status not in ("running", "corrupt")]


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
            try:
                self._finish(elapsed)
            except PafasError as err:
                note = self._record_end("failed", elapsed, str(err))
                raise PafasError(f"{err}{note}") from err.__cause__
            return False
        status = "interrupted" if issubclass(exc_type, KeyboardInterrupt) else "failed"
        note = self._record_end(status, elapsed, f"{exc_type.__name__}: {exc}")
        if isinstance(exc, OSError) and exc.errno in DISK_ERRNOS:
            doing = "access" if exc.errno in (errno.EACCES, errno.EPERM) else "write"
            raise PafasError(f"{disk_error(exc, self.path, doing)}{note}") from exc
        return False

    def _finish(self, elapsed: float) -> None:
        """Fingerprint, write the complete manifest, rename `.partial` away (PafasError on a disk fault)."""
        # The pid stays until the rename: a `.partial` that says complete and whose process is alive is
        # still finishing (running), one whose process is gone died before the rename (interrupted).
        self.manifest.update(status="complete", finished=_now(), seconds=elapsed)
        try:
            self.manifest["fingerprint"] = fingerprint_dir(self.path)
        except OSError as exc:
            raise disk_error(exc, self.path, "read back") from exc
        write_json(self.path / MANIFEST, self.manifest)
        try:
            os.replace(self.path, self.final_path)
        except OSError as exc:
            raise disk_error(exc, self.final_path, f"rename {self.path.name} to") from exc
        self.path = self.final_path

    def _record_end(self, status: str, elapsed: float, error: str) -> str:
        """Write the failed/interrupted manifest if the disk still allows; the note to add to the error."""
        self.manifest.update(status=status, finished=_now(), seconds=elapsed, pid=None, error=error)
        self.manifest.pop("fingerprint", None)
        try:
            write_json(self.path / MANIFEST, self.manifest)
        except PafasError:
            return (f" ({self.ref} stays in {self.path}; its manifest could not be updated either, "
                    "so it reads as interrupted)")
        return f" ({self.ref} is kept as {status} in {self.path})"


def read_manifest(folder: Path) -> tuple[dict, str | None]:
    """(manifest, problem) of a folder: ({}, None) without a manifest; a problem (naming the file) when it
    cannot be read, is not JSON (e.g. truncated) or not a JSON object."""
    file = Path(folder) / MANIFEST
    if not file.is_file():
        return {}, None
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return {}, f"{file}: unreadable ({getattr(exc, 'strerror', None) or exc})"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        what = "empty" if not text.strip() else f"truncated or invalid JSON at line {exc.lineno} column {exc.colno}"
        return {}, f"{file}: {what} ({exc.msg})"
    if not isinstance(data, dict):
        return {}, f"{file}: a JSON {type(data).__name__}, not an object"
    return data, None


def check_manifest(manifest: dict, file: Path) -> str | None:
    """The problem with a workspace version's manifest (missing key, wrong type, unknown status), or None."""
    for key, tp in REQUIRED_KEYS.items():
        if key not in manifest:
            return f"{file}: missing key '{key}'"
        if not isinstance(manifest[key], tp):
            return f"{file}: '{key}' is a {type(manifest[key]).__name__}, not a {tp.__name__}"
    if manifest["status"] not in STATUSES:
        return f"{file}: unknown status '{manifest['status']}' (one of {', '.join(STATUSES)})"
    for key, tp in TYPED_KEYS.items():
        value = manifest.get(key)
        if value is not None and not isinstance(value, tp):
            return f"{file}: '{key}' is a {type(value).__name__}, not a {tp.__name__}"
    return None


def load_manifest(folder: Path) -> dict:
    """A version folder's manifest, checked; PafasError naming the file when it is missing or corrupt."""
    manifest, problem = read_manifest(folder)
    if problem is None and not manifest:
        raise PafasError(f"{Path(folder) / MANIFEST}: missing; {folder} is not a workspace version")
    problem = problem or check_manifest(manifest, Path(folder) / MANIFEST)
    if problem:
        raise PafasError(_corrupt_hint(problem, folder))
    return manifest


def _corrupt_hint(problem: str, folder: Path) -> str:
    return (f"corrupt manifest: {problem}; restore the file from a backup or delete {folder} "
            "(the other versions are unaffected)")


def _normalised(value: Any) -> Any:
    """`value` as it reads back from a manifest (JSON: tuples are lists, keys strings, paths text)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): _normalised(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalised(v) for v in value]
    return str(value)


def _matches(wanted: Any, recorded: Any) -> bool:
    if isinstance(wanted, dict):
        return isinstance(recorded, dict) and wanted.keys() == recorded.keys() and \
            all(_matches(v, recorded[k]) for k, v in wanted.items())
    if isinstance(wanted, list):
        return isinstance(recorded, list) and len(wanted) == len(recorded) and \
            all(_matches(w, r) for w, r in zip(wanted, recorded))
    if isinstance(wanted, bool) or isinstance(recorded, bool):  # JSON keeps true apart from 1
        return type(wanted) is type(recorded) and wanted == recorded
    return wanted == recorded


def _same_input(wanted: Resolved, recorded: dict) -> bool:
    if wanted.fingerprint:
        return recorded.get("fingerprint") == wanted.fingerprint
    if wanted.hub_id:
        return recorded.get("hub_id") == wanted.hub_id
    return recorded.get("path") == (str(wanted.path) if wanted.path else None)


def _quick_fingerprint(path: Path) -> str:
    """Cheap identity for an outside input: names, sizes and mtimes (not the bytes of a 6 GB model)."""
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files[:10000]:
        st = file.stat()
        digest.update(f"{file.name}:{st.st_size}:{int(st.st_mtime)}".encode())
    return digest.hexdigest()[:16]


def nearby_workspaces(near: Path, depth: int = 2, limit: int = 5) -> list[tuple[Path, int]]:
    """Folders within `depth` levels below `near` that hold versions, with their version counts (most first):
    where a user who ran `make demo` (workspace/demo) may have meant to look."""
    found: list[tuple[Path, int]] = []
    frontier = [near]
    for _ in range(depth):
        children = []
        for folder in frontier:
            try:
                children += sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
            except OSError:
                continue
        for child in children:
            if any((child / stage).is_dir() for stage in STAGES):
                count = Workspace(child).count()
                if count:
                    found.append((child, count))
        frontier = [c for c in children if c.name not in STAGES]
    return sorted(found, key=lambda f: -f[1])[:limit]


def _command_for(stage: str) -> str:
    return {"paths": "build-paths", "model": "init-model", "synth": "synth", "corpus": "pretrain"}.get(stage, stage)
