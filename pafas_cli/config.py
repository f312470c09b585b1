"""Typed recipes: YAML files read into dataclasses with defaults in code.

One `Recipe` holds one section per concern (`data`, `paths`, `model`, `sft`, `rl`, `eval`, `baseline`); each
section's dataclass lives next to the code it configures. A recipe file sets only what differs
from the defaults. Unknown keys are errors that name the key, the file and the closest valid key;
`--set a.b=value` overrides are parsed as YAML scalars and checked the same way. All validation
happens here, in `load_recipe`, before any heavy work starts.

An error names where the bad value came from: the recipe file, or the `--set KEY=VALUE` that set
the key (an override is checked as part of the merged recipe, so without this a mistyped `--set`
key would be blamed on the recipe file). Numbers must be finite: YAML reads `.inf` and `.nan` as
floats, and a NaN learning rate or an infinite threshold only shows up hours later as a NaN loss.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import yaml

from pafas_cli.baseline.config import BaselineSection
from pafas_cli.data.config import DataConfig
from pafas_cli.errors import PafasError
from pafas_cli.infer.config import EvalConfig
from pafas_cli.model.config import ModelConfig
from pafas_cli.paths.config import PathsConfig
from pafas_cli.pretrain.config import PretrainSection
from pafas_cli.recipe_files import RECIPES_DIR
from pafas_cli.train.config import RLSection, SFTSection



@dataclass
class Recipe:
    """Everything one stage needs; each command reads the sections it uses."""

    # Global seed: data subsampling, path sampling, model init and training all derive from it.
    seed: int = 0
    # CPU threads per process; null = OMP_NUM_THREADS if set, else half the cores (1 on a 2-core machine), which
    # does not collapse when the machine is busy. Recorded in every version: it changes float rounding.
    threads: int | None = None
    data: DataConfig = field(default_factory=DataConfig)
    paths: PathsConfig = field(default_factory=PathsConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    sft: SFTSection = field(default_factory=SFTSection)
    rl: RLSection = field(default_factory=RLSection)
    eval: EvalConfig = field(default_factory=EvalConfig)
    baseline: BaselineSection = field(default_factory=BaselineSection)
    pretrain: PretrainSection = field(default_factory=PretrainSection)

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
        loaded = _read_yaml(path)
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise PafasError(f"{path}: a recipe must be a mapping of sections, got {type(loaded).__name__}")
        raw = loaded
    origin = Origin(source, raw)
    for item in overrides:
        apply_override(raw, item)
        origin.add(item)
    result = build(Recipe, raw, where="", source=origin)
    validate_recipe(result, origin)
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


def _read_yaml(path: Path) -> Any:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PafasError(f"{path}: cannot read the recipe: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PafasError(f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); "
                         "save the recipe as UTF-8") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PafasError(f"{path}: not valid YAML: {_yaml_problem(exc)}") from None


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """PyYAML's multi-line message as one line: the problem and where it is."""
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None)
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if problem and mark is not None:
        return f"{problem} at line {mark.line + 1}, column {mark.column + 1}"
    return " ".join(str(exc).split())


class Origin:
    """Where each key of the merged recipe came from: the recipe file, or the `--set` that set it.

    `str(origin)` is the file (or `<defaults>`); `origin.of("a.b")` is `--set a.b=...` when an
    override set that key, a section around it, or created the section it sits in.
    """

    def __init__(self, source: str, file_raw: dict):
        self.source = source
        self._file_keys = _dotted_keys(file_raw)
        self._sets: list[tuple[str, str]] = []  # (dotted key, the --set item), in command-line order

    def add(self, item: str) -> None:
        key = item.partition("=")[0].strip()
        self._sets.append((key, item))

    def of(self, dotted: str) -> str:
        base = dotted.split("[", 1)[0]
        for key, item in reversed(self._sets):  # the last override of a key wins
            if base == key or base.startswith(key + "."):
                return f"--set {item}"
        if base not in self._file_keys:
            for key, item in reversed(self._sets):
                if key.startswith(base + "."):
                    return f"--set {item}"
        return self.source

    def __str__(self) -> str:
        return self.source


def _dotted_keys(raw: Any, prefix: str = "") -> set[str]:
    if not isinstance(raw, dict):
        return set()
    out = set()
    for key, value in raw.items():
        dotted = f"{prefix}.{key}" if prefix else str(key)
        out.add(dotted)
        out |= _dotted_keys(value, dotted)
    return out


def _source_of(source: Origin | str, where: str) -> str:
    return source.of(where) if isinstance(source, Origin) else str(source)


def build(cls: type, raw: Any, where: str, source: Origin | str) -> Any:
    """Turn a mapping into dataclass `cls`, checking every key and value type."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise PafasError(f"{_source_of(source, where)}: '{where or '<top>'}' must be a mapping, got {raw!r}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key, value in raw.items():
        dotted = f"{where}.{key}" if where else str(key)
        if key not in names:
            close = difflib.get_close_matches(str(key), names, n=1, cutoff=0.5)
            hint = f" (did you mean '{f'{where}.{close[0]}' if where else close[0]}'?)" if close else ""
            raise PafasError(f"{_source_of(source, dotted)}: unknown key '{dotted}'{hint}")
        kwargs[key] = coerce(hints[key], value, dotted, source)
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise PafasError(f"{_source_of(source, where)}: {where or 'recipe'}: {exc}") from None


def coerce(tp: Any, value: Any, where: str, source: Origin | str) -> Any:
    """Check `value` against the annotation `tp` (dataclass, Literal, Optional, list, scalars)."""
    origin = get_origin(tp)
    src = _source_of(source, where)
    if dataclasses.is_dataclass(tp):
        return build(tp, value, where, source)
    if origin is Literal:
        choices = get_args(tp)
        if value not in choices:
            raise PafasError(f"{src}: '{where}' must be one of {', '.join(map(str, choices))}; got {value!r}")
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
        raise PafasError(errors[0] if len(errors) == 1 else f"{src}: '{where}' has an invalid value {value!r}")
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise PafasError(f"{src}: '{where}' must be a list, got {value!r}")
        (item_tp, *_) = get_args(tp) or (Any,)
        items = [coerce(item_tp, v, f"{where}[{i}]", source) for i, v in enumerate(value)]
        return items if origin is list else tuple(items)
    if origin is dict:
        if not isinstance(value, dict):
            raise PafasError(f"{src}: '{where}' must be a mapping, got {value!r}")
        _check_finite(value, where, source)
        return dict(value)
    if tp is Any or tp is dict:  # a bare `dict` field: its section's validate() checks the shape
        _check_finite(value, where, source)
        return value
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise PafasError(f"{src}: '{where}' must be true or false, got {value!r}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise PafasError(f"{src}: '{where}' must be an integer, got {value!r}")
    if tp is float:
        number = None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                pass
        if number is None:
            raise PafasError(f"{src}: '{where}' must be a number, got {value!r}")
        _check_finite(number, where, source)
        return number
    if tp is str:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        raise PafasError(f"{src}: '{where}' must be a string, got {value!r}")
    return value


def _check_finite(value: Any, where: str, source: Origin | str) -> None:
    """Reject inf/nan anywhere in a value (also inside `dict` fields), naming the key."""
    if isinstance(value, float) and not math.isfinite(value):
        raise PafasError(f"{_source_of(source, where)}: '{where}' must be a finite number, got {value}; "
                         "give a finite value (YAML reads .inf and .nan as numbers)")
    if isinstance(value, dict):
        for key, item in value.items():
            _check_finite(item, f"{where}.{key}", source)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_finite(item, f"{where}[{i}]", source)


def validate_recipe(recipe: Recipe, source: Origin | str) -> None:
    """Run every section's `validate()`; each raises ValueError naming its key ("key: message")."""
    if recipe.threads is not None and recipe.threads < 1:
        raise PafasError(f"{_source_of(source, 'threads')}: threads: must be >= 1 or null (auto), got {recipe.threads}")
    for f in dataclasses.fields(recipe):
        section = getattr(recipe, f.name)
        check = getattr(section, "validate", None)
        if check is None:
            continue
        try:
            check()
        except ValueError as exc:
            key = str(exc).split(":", 1)[0].strip()
            raise PafasError(f"{_source_of(source, f'{f.name}.{key}')}: {f.name}.{exc}") from None
