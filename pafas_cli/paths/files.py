"""Reading the user-editable YAML data files (taxonomy, reasoning tree) with errors that name the file."""

from __future__ import annotations

from pathlib import Path

import yaml

from pafas_cli.errors import PafasError
from pafas_cli.recipe_files import RECIPES_DIR, shipped


def locate(value: str, default_name: str) -> Path:
    """`value` as a path (absolute, relative to the working folder, or under recipes/); empty = the default file."""
    if not value:
        return shipped(default_name)
    path = Path(value).expanduser()
    if path.is_file() or path.is_absolute():
        return path
    return RECIPES_DIR / path if (RECIPES_DIR / path).is_file() else path


def read_mapping(path: Path) -> dict:
    """The YAML mapping in `path`, or a PafasError naming the file."""
    if not path.is_file():
        raise PafasError(f"{path}: file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PafasError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise PafasError(f"{path}: expected a mapping at the top level")
    return data
