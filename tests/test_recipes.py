"""Every shipped recipe parses against the real schema, so recipes cannot rot."""

from pathlib import Path

import pytest

from pafas_cli.config import RECIPES_DIR, Recipe, load_recipe

# Data files under recipes/ that are not stage recipes (the reproduction's grid and the paper's numbers, checked
# by tests/reproduce/; its GRPO recipe is a stage recipe).
NOT_RECIPES = {"taxonomy.yaml", "reasoning_tree.yaml", "grid.yaml", "paper_numbers.yaml"}
SHIPPED = sorted(p for p in RECIPES_DIR.rglob("*.yaml") if p.name not in NOT_RECIPES and "accelerate" not in p.parts)


def test_recipes_are_shipped():
    families = {p.parent.name for p in SHIPPED}
    assert {"quickstart", "paper"} <= families


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(RECIPES_DIR)))
def test_shipped_recipe_parses(path: Path):
    assert isinstance(load_recipe(path), Recipe)
