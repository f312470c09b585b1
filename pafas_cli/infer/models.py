"""A model for inference and what its version says about how to read it (shared by eval, explain, bench).

`pafas eval` and `pafas explain` must read a model the way it was trained: at its image size, against
the taxonomy of its training data, expecting `<think>` or not. Those facts come from the model version's
spec (`pafas_cli/spec.py`); the recipe keys that restate them (`eval.require_think`) are null = inherit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pafas_cli.spec import inherit, model_spec


def load_for_inference(ref: str, ws: Any, recipe: Any) -> Any:
    """The model on the recipe's device/dtype, in eval mode, with a LoRA adapter merged (faster generation)."""
    from pafas_cli.model.loader import load_model

    m = recipe.model
    loaded = load_model(ref, ws, device=m.device, dtype=m.dtype, trust_remote_code=m.trust_remote_code)
    if hasattr(loaded.model, "merge_and_unload"):
        loaded.model = loaded.model.merge_and_unload().eval()
    return loaded


def model_require_think(resolved: Any, explicit: bool | None) -> bool:
    """Whether a model answers with `<think>`: eval.require_think when set, else the model's spec, else true."""
    spec = model_spec(resolved)
    found = inherit("eval.require_think", explicit, spec.require_think if spec else None, resolved.ref)
    return True if found is None else found


def model_taxonomy(resolved: Any, fallback: str = "") -> Any:
    """The taxonomy of the data the model was trained on (its paths version's copy), else the recipe's file."""
    from pafas_cli.paths.taxonomy import load_taxonomy, version_taxonomy

    spec = model_spec(resolved)
    if spec is not None and spec.paths and Path(spec.paths).is_dir():
        return version_taxonomy(Path(spec.paths))
    return load_taxonomy(fallback)


def model_image_size(resolved: Any) -> int | None:
    """The image side the model was trained at, from its spec (None for a model without one, e.g. a hub id)."""
    spec = model_spec(resolved)
    return spec.image_size if spec is not None else None


def model_tree(resolved: Any, taxonomy_file: str = "", tree_file: str = "") -> Any:
    """The reasoning tree of the data the model was trained on (its paths version's copy, which the clause reader
    reads its reasoning against), else the recipe's files (a model without a spec, e.g. a hub id)."""
    from pafas_cli.paths.taxonomy import load_taxonomy
    from pafas_cli.paths.tree import load_tree, version_tree

    spec = model_spec(resolved)
    if spec is not None and spec.paths and Path(spec.paths).is_dir():
        return version_tree(Path(spec.paths))
    return load_tree(tree_file, load_taxonomy(taxonomy_file))


@dataclass(frozen=True)
class DevThreshold:
    """A model's dev-set EER threshold as an eval version found it."""

    value: float
    eval_ref: str  # eval:vNNN
    model_name: str  # the model's name in that version's metrics.json


def model_dev_threshold(ws: Any, resolved: Any) -> DevThreshold | None:
    """The dev threshold of the newest complete eval version whose inputs include this model (the same
    folder, or hub id, with the same content fingerprint where both are known); None when none evaluated it.
    A matching version whose metrics.json cannot be read is an error naming it (never silently skipped)."""
    import json
    import math

    from pafas_cli.errors import PafasError

    for info in reversed(ws.versions("eval", include_partial=False)):
        if info.status != "complete":
            continue
        inputs = [i for i in info.manifest.get("inputs") or [] if isinstance(i, dict)
                  and re.fullmatch(r"model\d+", str(i.get("name", "")))]
        hit = next((i for i in inputs if _same_model(i, resolved)), None)
        if hit is None:
            continue
        where = info.path / "metrics.json"
        try:
            models = json.loads(where.read_text(encoding="utf-8"))["models"]
            name = f"{resolved.stage}:{resolved.version}" if resolved.stage else None
            if name not in models:
                name = list(models)[int(hit["name"][len("model"):])]
            value = float(models[name]["dev_threshold"])
        except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
            raise PafasError(f"eval:{info.version} evaluated {resolved.ref}, but its dev threshold cannot be read "
                             f"from {where} ({type(exc).__name__}: {exc}); pass --threshold, or rerun `pafas eval`"
                             ) from None
        if not math.isfinite(value):
            raise PafasError(f"eval:{info.version} recorded a non-finite dev threshold ({value}) for "
                             f"{resolved.ref} in {where}; pass --threshold, or rerun `pafas eval`")
        return DevThreshold(value, f"eval:{info.version}", name)
    return None


def _same_model(entry: dict, resolved: Any) -> bool:
    if resolved.path is not None:
        same = entry.get("path") is not None and Path(entry["path"]) == Path(resolved.path)
    else:
        same = entry.get("hub_id") == resolved.hub_id
    if same and entry.get("fingerprint") and resolved.fingerprint:
        same = entry["fingerprint"] == resolved.fingerprint
    return same
