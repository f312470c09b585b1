"""A model for inference and what its version says about how to read it (shared by eval, explain, bench).

`pafas eval` and `pafas explain` must read a model the way it was trained: at its image size, against
the taxonomy of its training data, expecting `<think>` or not. Those facts come from the model version's
spec (`pafas_cli/spec.py`); the recipe keys that restate them (`eval.require_think`) are null = inherit.
"""

from __future__ import annotations

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
