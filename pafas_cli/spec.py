"""What a version is, written beside it (`spec.json`), so that later stages learn it from their inputs.

A stage used to restate in its own recipe what its inputs already fixed (image size, answer format,
taxonomy), and a mismatch went unnoticed: a model trained on 224-px images was explained at 56 px. Now

    paths   writes image_size, answer_format (think | answer), augmentation, shuffle, and copies the
            taxonomy and reasoning tree it used into the version (so editing recipes/ never changes
            how an old version is read);
    model   (init-model) writes image_size, answer_format and the paths version it was built from;
    sft/rl  write the same for the model they trained, plus their base model;

and a recipe key that restates one of these is `null` = inherit from the input. An explicit value
that contradicts the input is an error naming both (`inherit`). Versions made before specs existed
get one derived from their manifest, and say so.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pafas_cli.errors import PafasError

SPEC_FILE = "spec.json"
# The taxonomy and tree copies a paths version keeps (what its answers are parsed against).
TAXONOMY_COPY = "taxonomy.yaml"
TREE_COPY = "reasoning_tree.yaml"
ANSWER_FORMATS = ("think", "answer")
# The stages whose versions hold a model (init-model, pretrain, sft, rl).
MODEL_STAGES = ("model", "pretrain", "sft", "rl")


@dataclass(frozen=True)
class Spec:
    """The facts later stages inherit. `paths` is the paths version folder the data came from (None for a
    paths version itself), `base` the model a trained version started from."""

    stage: str
    image_size: int | None = None
    answer_format: str | None = None
    paths: str | None = None
    base: str | None = None
    details: dict = field(default_factory=dict)
    derived: bool = False  # True when read back from an older version's manifest, not from spec.json

    @property
    def require_think(self) -> bool | None:
        return None if self.answer_format is None else self.answer_format == "think"


def answer_format(augmentation: str) -> str:
    """`raw` builds answer-only SFT rows; every other variant writes `<think>` reasoning."""
    return "answer" if augmentation == "raw" else "think"


def write_spec(folder: Path, spec: Spec) -> None:
    data = {k: v for k, v in asdict(spec).items() if k != "derived"}
    (Path(folder) / SPEC_FILE).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def read_spec(folder: Path) -> Spec | None:
    """The spec of a version folder; derived from its manifest for versions older than spec.json; None when
    the folder is no pafas version (a plain model folder, a hub download)."""
    folder = Path(folder)
    file = folder / SPEC_FILE
    if file.is_file():
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
            return Spec(**data)
        except (ValueError, TypeError) as exc:
            raise PafasError(f"{file}: not a valid version spec ({exc}); restore it or rebuild the version") from None
    return _derived(folder)


def _derived(folder: Path) -> Spec | None:
    manifest_file = folder / "manifest.json"
    if not manifest_file.is_file():
        return None
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    except ValueError:
        return None
    recipe = manifest.get("recipe") or {}
    stage = manifest.get("stage")
    inputs = {i.get("name"): i for i in manifest.get("inputs") or [] if isinstance(i, dict)}
    if stage == "paths":
        paths = recipe.get("paths") or {}
        return Spec("paths", paths.get("image_size"), answer_format(paths.get("augmentation", "path")),
                    details={"taxonomy": paths.get("taxonomy", "")}, derived=True)
    source = (inputs.get("paths") or {}).get("path")
    upstream = read_spec(Path(source)) if source and Path(source).is_dir() else None
    if stage == "model":
        size = (recipe.get("model") or {}).get("image_size")
        return Spec("model", size, upstream.answer_format if upstream else None, source, derived=True)
    if stage in ("pretrain", "sft", "rl"):
        base = (inputs.get("model") or {}).get("path")
        return Spec(stage, upstream.image_size if upstream else None, upstream.answer_format if upstream else None,
                    source, base, derived=True)
    return None


def model_spec(resolved: Any) -> Spec | None:
    """The spec behind a resolved model reference: its version's, or a folder's own / its parent's."""
    if resolved.path is None:
        return None
    for folder in (resolved.path, resolved.path.parent):
        spec = read_spec(folder)
        if spec is not None and spec.stage in MODEL_STAGES:
            return spec
    return None


def inherit(key: str, explicit: Any, inherited: Any, source: str) -> Any:
    """`explicit` when given, else `inherited`; both given and different is an error naming both."""
    if explicit is None:
        return inherited
    if inherited is not None and explicit != inherited:
        raise PafasError(f"{key}: the recipe says {explicit!r}, but {source} was made with {inherited!r}; "
                         f"drop the key (null inherits it) or use an input made with {explicit!r}")
    return explicit
