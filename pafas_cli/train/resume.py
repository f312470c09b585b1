"""`--resume auto|never|PATH`: which unfinished version and checkpoint a training run continues.

Checkpoints live in `<stage>/vNNN.partial/checkpoints/checkpoint-<step>/` (HF Trainer layout: weights,
optimizer, scheduler, RNG state per rank, trainer_state.json with the step). Resuming reopens that same
version and passes the checkpoint to `trainer.train(resume_from_checkpoint=...)`, the only place TRL
honours it. Every decision is printed: a run never silently starts again at step 0.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from pafas_cli.errors import PafasError
from pafas_cli.workspace import MANIFEST, VersionInfo, Workspace

CHECKPOINTS = "checkpoints"
CHECKPOINT_RE = re.compile(r"^checkpoint-(\d+)$")
# Keys that --resume auto does not compare: the trackers change how a run is watched, not what it trains; the
# thread count changes only float rounding (a run may be continued on a machine with other cores).
UNTRAINED_KEYS = frozenset({"report_to", "threads"})


@dataclass(frozen=True)
class ResumePlan:
    """Where to write (`version` None = a new version) and which checkpoint to load (None = step 0)."""

    version: VersionInfo | None
    checkpoint: Path | None
    message: str

    @property
    def step(self) -> int:
        return checkpoint_step(self.checkpoint) if self.checkpoint else 0


def checkpoint_step(path: Path) -> int:
    state = path / "trainer_state.json"
    if state.is_file():
        return int(json.loads(state.read_text(encoding="utf-8")).get("global_step", 0))
    m = CHECKPOINT_RE.match(path.name)
    return int(m.group(1)) if m else 0


def last_checkpoint(version_dir: Path) -> Path | None:
    """The complete checkpoint with the highest step (one with trainer_state.json; a save cut short has none)."""
    folder = version_dir / CHECKPOINTS
    if not folder.is_dir():
        return None
    found = [(int(m.group(1)), p) for p in folder.iterdir()
             if (m := CHECKPOINT_RE.match(p.name)) and (p / "trainer_state.json").is_file()]
    return max(found)[1] if found else None


def plan_resume(ws: Workspace, stage: str, resume: str, recipe: dict) -> ResumePlan:
    """Decide from `--resume`; `recipe` holds the sections that must match for `auto` (e.g. seed + sft)."""
    if resume == "never":
        return ResumePlan(None, None, "starting a new run (--resume never)")
    if resume == "auto":
        return _auto(ws, stage, recipe)
    return _from_path(ws, stage, Path(resume).expanduser())


def _auto(ws: Workspace, stage: str, recipe: dict) -> ResumePlan:
    notes = []
    for info in reversed(ws.unfinished(stage)):
        checkpoint = last_checkpoint(info.path)
        if checkpoint is None:
            notes.append(f"{stage}:{info.version} ({info.status}) has no checkpoint")
            continue
        old = {key: (info.manifest.get("recipe") or {}).get(key) for key in recipe}
        changed = sorted(key for key in recipe if key not in UNTRAINED_KEYS
                         and _training(old.get(key)) != _training(recipe[key]))
        if changed:
            notes.append(f"{stage}:{info.version} ({info.status}) was started with a different recipe "
                         f"({', '.join(changed)}); continue it anyway with --resume {info.path}")
            continue
        return ResumePlan(info, checkpoint,
                          f"resuming {stage}:{info.version} ({info.status}) from step {checkpoint_step(checkpoint)} "
                          f"({checkpoint})")
    detail = "; ".join(notes) if notes else "no unfinished run"
    return ResumePlan(None, None, f"starting a new run from step 0 ({detail})")


def _training(section: object) -> object:
    """A recipe section without the keys that do not change what is trained (report_to: the trackers), so a
    run can be resumed with tracking turned on or off."""
    if isinstance(section, dict):
        return {k: v for k, v in section.items() if k not in UNTRAINED_KEYS}
    return section


def _from_path(ws: Workspace, stage: str, path: Path) -> ResumePlan:
    if not path.exists():
        raise PafasError(f"--resume {path}: no such checkpoint or version folder "
                         "(use auto, never, a vNNN.partial folder or one of its checkpoints/checkpoint-N)")
    path = path.resolve()
    if (path / MANIFEST).is_file():
        version_dir, checkpoint = path, last_checkpoint(path)
        if checkpoint is None:
            raise PafasError(f"--resume {path}: this version has no checkpoint to resume from")
    elif CHECKPOINT_RE.match(path.name) and (path / "trainer_state.json").is_file():
        version_dir, checkpoint = path.parent.parent, path
    else:
        raise PafasError(f"--resume {path}: not a version folder or a checkpoint-N folder with trainer_state.json")
    info = next((v for v in ws.unfinished(stage) if v.path.resolve() == version_dir), None)
    step = checkpoint_step(checkpoint)
    if info is None:
        return ResumePlan(None, checkpoint, f"starting a new {stage} version from step {step} of {checkpoint}")
    return ResumePlan(info, checkpoint, f"resuming {stage}:{info.version} from step {step} ({checkpoint})")
