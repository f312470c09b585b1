"""Typed recipes: YAML files read into dataclasses with defaults in code.

One `Recipe` holds one section per concern (`data`, `paths`, `model`, `sft`, `rl`, `eval`); each
section's dataclass lives next to the code it configures. A recipe file sets only what differs
from the defaults. Unknown keys are errors that name the key, the file and the closest valid key;
`--set a.b=value` overrides are parsed as YAML scalars and checked the same way. All validation
happens here, in `load_recipe`, before any heavy work starts.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import yaml

from pafas_cli.data.config import DataConfig
from pafas_cli.errors import PafasError
from pafas_cli.infer.config import EvalConfig
from pafas_cli.model.config import ModelConfig
from pafas_cli.paths.config import PathsConfig
from pafas_cli.train.config import RLConfig, SFTConfig

REPO_ROOT = Path(__file__).resolve().parent.parent
RECIPES_DIR = REPO_ROOT / "recipes"


@dataclass
class Recipe:
    """Everything one stage needs; each command reads the sections it uses."""

    # Global seed: data subsampling, path sampling, model init and training all derive from it.
    seed: int = 0
    data: DataConfig = field(default_factory=DataConfig)
    paths: PathsConfig = field(default_factory=PathsConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    sft: SFTConfig = field(default_factory=SFTConfig)
    rl: RLConfig = field(default_factory=RLConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def find_recipe(name: str | Path) -> Path:
    """A recipe path as given, else looked up under `recipes/` and `recipes/quickstart/`."""
    path = Path(name)
    candidates = [path]
    if not path.is_absolute():
        candidates += [RECIPES_DIR / path, RECIPES_DIR / "quickstart" / path]
        if path.suffix == "":
            candidates += [c.with_suffix(".yaml") for c in candidates]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise PafasError(f"recipe not found: {name} (looked in ., {RECIPES_DIR}, {RECIPES_DIR / 'quickstart'})")


def load_recipe(recipe: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()) -> Recipe:
    """Read a recipe file (or the defaults), apply `--set key=value` overrides, validate."""
    raw: dict = {}
    source = "<defaults>"
    if recipe is not None:
        path = find_recipe(recipe)
        source = str(path)
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise PafasError(f"{path}: not valid YAML: {exc}") from None
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise PafasError(f"{path}: a recipe must be a mapping of sections, got {type(loaded).__name__}")
        raw = loaded
    for item in overrides:
        apply_override(raw, item)
    result = build(Recipe, raw, where="", source=source)
    validate_recipe(result, source)
    return result


def apply_override(raw: dict, item: str) -> None:
    """Apply one `a.b.c=value` override in place; the value is parsed as YAML (`1e-3`, `true`, `[a, b]`)."""
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise PafasError(f"--set {item!r}: expected KEY=VALUE, e.g. --set sft.max_steps=100")
    try:
        parsed = yaml.safe_load(value) if value != "" else ""
    except yaml.YAMLError:
        parsed = value
    parts = key.strip().split(".")
    node = raw
    for i, part in enumerate(parts[:-1]):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise PafasError(f"--set {item!r}: '{'.'.join(parts[: i + 1])}' is a value, not a section")
        node = child
    node[parts[-1]] = parsed


def build(cls: type, raw: Any, where: str, source: str) -> Any:
    """Turn a mapping into dataclass `cls`, checking every key and value type."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise PafasError(f"{source}: '{where or '<top>'}' must be a mapping, got {raw!r}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key, value in raw.items():
        dotted = f"{where}.{key}" if where else str(key)
        if key not in names:
            close = difflib.get_close_matches(str(key), names, n=1, cutoff=0.5)
            hint = f" (did you mean '{f'{where}.{close[0]}' if where else close[0]}'?)" if close else ""
            raise PafasError(f"{source}: unknown key '{dotted}'{hint}")
        kwargs[key] = coerce(hints[key], value, dotted, source)
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise PafasError(f"{source}: {where or 'recipe'}: {exc}") from None


def coerce(tp: Any, value: Any, where: str, source: str) -> Any:
    """Check `value` against the annotation `tp` (dataclass, Literal, Optional, list, scalars)."""
    origin = get_origin(tp)
    if dataclasses.is_dataclass(tp):
        return build(tp, value, where, source)
    if origin is Literal:
        choices = get_args(tp)
        if value not in choices:
            raise PafasError(f"{source}: '{where}' must be one of {', '.join(map(str, choices))}; got {value!r}")
        return value
    if origin in (typing.Union, types.UnionType):
        args = get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return coerce(arg, value, where, source)
            except PafasError as exc:
                errors.append(str(exc))
        raise PafasError(errors[0] if len(errors) == 1 else f"{source}: '{where}' has an invalid value {value!r}")
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise PafasError(f"{source}: '{where}' must be a list, got {value!r}")
        (item_tp, *_) = get_args(tp) or (Any,)
        items = [coerce(item_tp, v, f"{where}[{i}]", source) for i, v in enumerate(value)]
        return items if origin is list else tuple(items)
    if origin is dict:
        if not isinstance(value, dict):
            raise PafasError(f"{source}: '{where}' must be a mapping, got {value!r}")
        return dict(value)
    if tp is Any:
        return value
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise PafasError(f"{source}: '{where}' must be true or false, got {value!r}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise PafasError(f"{source}: '{where}' must be an integer, got {value!r}")
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        raise PafasError(f"{source}: '{where}' must be a number, got {value!r}")
    if tp is str:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        raise PafasError(f"{source}: '{where}' must be a string, got {value!r}")
    return value


def validate_recipe(recipe: Recipe, source: str) -> None:
    """Run every section's `validate()`; each raises ValueError naming its key."""
    for f in dataclasses.fields(recipe):
        section = getattr(recipe, f.name)
        check = getattr(section, "validate", None)
        if check is None:
            continue
        try:
            check()
        except ValueError as exc:
            raise PafasError(f"{source}: {f.name}.{exc}") from None
