"""`pafas build-paths`'s plan: the checked recipe and the taxonomy and reasoning tree the paths are walked on.

The samples themselves are read by the run (reading a dataset, or drawing the synthetic benchmark, is the
stage's work); the run records their sources (the synth version, or each dataset root with its lists'
fingerprints) as the version's inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pafas_cli.config import Recipe
from pafas_cli.plan import Plan
from pafas_cli.workspace import Workspace


@dataclass(frozen=True)
class PathsPlan(Plan):
    # The taxonomy and reasoning tree the recipe names, loaded and checked (paths.tree.ReasoningTree).
    tree: Any = None


def resolve(recipe: Recipe, ws: Workspace) -> PathsPlan:
    """Check the taxonomy and the tree before any data is read."""
    from pafas_cli.paths.build import load_reasoning

    return PathsPlan("paths", ws, recipe, tree=load_reasoning(recipe.paths))
