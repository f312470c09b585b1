"""The one place that knows where the shipped recipes, taxonomy and reasoning tree are.

They live in the repository's top-level `recipes/` folder, where users look for them. The package reaches
them as `pafas_cli/recipes`: in a checkout (and an editable install) that is a link to `../recipes`, and a
wheel built from the checkout copies the files behind the link into the package (package data in
pyproject.toml), so a non-editable install carries them too.
"""

from __future__ import annotations

from pathlib import Path

from pafas_cli.errors import PafasError

RECIPES_DIR = (Path(__file__).resolve().parent / "recipes").resolve()


def shipped(name: str) -> Path:
    """The shipped file `name` (relative to recipes/), or an error saying the installation is incomplete."""
    path = RECIPES_DIR / name
    if not path.is_file():
        raise PafasError(f"{path}: the shipped file '{name}' is missing from this installation of pafas; "
                         "reinstall it (pip install --force-reinstall pafas, or `make install` in a checkout)")
    return path
