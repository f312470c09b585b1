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


# The stages whose versions are trained models, newest preferred first (the default model to read).
MODEL_STAGES = ("rl", "sft")


def default_model(ws: Any) -> str:
    """The newest complete rl version, else the newest complete sft version."""
    from pafas_cli.errors import PafasError

    for stage in MODEL_STAGES:
        info = ws.latest(stage)
        if info is not None:
            return f"{stage}:{info.version}"
    raise PafasError(f"the workspace {ws.root} has no complete rl or sft model yet: run `pafas sft` (then `pafas rl`), "
                     "or pass --model REF (a workspace version, a model folder or a hub id)")


def model_name(resolved: Any, ref: str | None) -> str:
    """How reports name a model: `stage:vNNN` for a workspace version, else the reference as given."""
    if getattr(resolved, "stage", None):
        return f"{resolved.stage}:{resolved.version}"
    return ref or str(getattr(resolved, "path", ""))


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


def model_tree(resolved: Any, taxonomy_file: str = "", tree_file: str = "") -> Any:
    """The reasoning tree of the data the model was trained on (its paths version's copy, which the clause reader
    reads its reasoning against, with its taxonomy and modality names), else the recipe's files (a model without
    a spec, e.g. a hub id)."""
    from pafas_cli.paths.taxonomy import load_taxonomy
    from pafas_cli.paths.tree import load_tree, version_tree

    spec = model_spec(resolved)
    if spec is not None and spec.paths and Path(spec.paths).is_dir():
        return version_tree(Path(spec.paths))
    return load_tree(tree_file, load_taxonomy(taxonomy_file))


@dataclass(frozen=True)
class DevThreshold:
    """A model's dev-set EER threshold as an eval version found it, and the test-set HTER it gave there."""

    value: float
    eval_ref: str  # eval:vNNN
    model_name: str  # the model's name in that version's metrics.json
    hter: float | None = None  # on the `test` set at this threshold (None when that eval scored no test set)


@dataclass(frozen=True)
class ConditionThreshold:
    """The threshold an eval calibrated for faces missing some modalities (a Protocol-2 condition, e.g.
    `missing_ir`): the EER threshold of `dev_set`, and the HTER it gave on `test_set` (None if unmeasured)."""

    condition: str
    value: float
    eval_ref: str
    dev_set: str
    test_set: str
    hter: float | None


@dataclass(frozen=True)
class _Scored:
    """This model's entry in the newest complete eval version that evaluated it."""

    eval_ref: str
    where: Path  # its metrics.json
    name: str
    entry: dict


def model_dev_threshold(ws: Any, resolved: Any) -> DevThreshold | None:
    """The dev threshold of the newest complete eval version whose inputs include this model (the same
    folder, or hub id, with the same content fingerprint where both are known); None when none evaluated it.
    A matching version whose metrics.json cannot be read is an error naming it (never silently skipped)."""
    scored = _newest_eval(ws, resolved, "dev threshold", "--threshold")
    if scored is None:
        return None
    value = _number(scored, scored.entry.get("dev_threshold"), "dev threshold", "--threshold")
    hter = (((scored.entry.get("sets") or {}).get("test") or {}).get("honest") or {}).get("hter")
    return DevThreshold(value, scored.eval_ref, scored.name,
                        _optional_number(scored, hter, "test-set HTER", "--threshold"))


def model_condition_thresholds(ws: Any, resolved: Any) -> dict[str, ConditionThreshold]:
    """The per-condition thresholds (`conditions` of the model's metrics.json entry, written by a Protocol-2
    eval) of the same eval version `model_dev_threshold` reads: condition -> threshold; empty when that
    version measured none (or no eval evaluated the model). A malformed entry is an error naming the file."""
    option = "--condition-threshold CONDITION=T"
    scored = _newest_eval(ws, resolved, "per-condition thresholds", option)
    if scored is None:
        return {}
    conditions = scored.entry.get("conditions") or {}
    if not isinstance(conditions, dict):
        raise _unreadable(scored, "per-condition thresholds", "'conditions' is not a mapping", option)
    found = {}
    for name, entry in conditions.items():
        option = f"--condition-threshold {name}=T"
        if not isinstance(entry, dict) or "dev_threshold" not in entry:
            raise _unreadable(scored, f"{name} threshold", f"conditions.{name} has no dev_threshold", option)
        found[name] = ConditionThreshold(
            name, _number(scored, entry["dev_threshold"], f"{name} threshold", option), scored.eval_ref,
            str(entry.get("dev_set", "?")), str(entry.get("test_set", "?")),
            _optional_number(scored, entry.get("hter"), f"{name} HTER", option))
    return found


def _newest_eval(ws: Any, resolved: Any, what: str, option: str) -> _Scored | None:
    import json

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
            entry = models[name]
            if not isinstance(entry, dict):
                raise TypeError(f"models.{name} is not a mapping")
        except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
            raise _unreadable(_Scored(f"eval:{info.version}", where, resolved.ref, {}), what,
                              f"{type(exc).__name__}: {exc}", option) from None
        return _Scored(f"eval:{info.version}", where, name, entry)
    return None


def _unreadable(scored: _Scored, what: str, why: str, option: str) -> Exception:
    from pafas_cli.errors import PafasError

    return PafasError(f"{scored.eval_ref} evaluated {scored.name}, but its {what} cannot be read from "
                      f"{scored.where} ({why}); pass {option}, or rerun `pafas eval`")


def _number(scored: _Scored, value: Any, what: str, option: str) -> float:
    import math

    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _unreadable(scored, what, f"{value!r} is not a number", option) from None
    if not math.isfinite(number):
        raise _unreadable(scored, what, f"a non-finite value, {number}", option)
    return number


def _optional_number(scored: _Scored, value: Any, what: str, option: str) -> float | None:
    return None if value is None else _number(scored, value, what, option)


def _same_model(entry: dict, resolved: Any) -> bool:
    if resolved.path is not None:
        same = entry.get("path") is not None and Path(entry["path"]) == Path(resolved.path)
    else:
        same = entry.get("hub_id") == resolved.hub_id
    if same and entry.get("fingerprint") and resolved.fingerprint:
        same = entry["fingerprint"] == resolved.fingerprint
    return same
