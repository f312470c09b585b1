"""The eval recipe section: shipped recipes load, bad values name their key."""

from __future__ import annotations

import pytest

from pafas_cli.config import RECIPES_DIR, load_recipe
from pafas_cli.errors import PafasError


@pytest.mark.parametrize("name", ["quickstart/eval.yaml", "paper/eval.yaml"])
def test_shipped_eval_recipes_load(name):
    recipe = load_recipe(RECIPES_DIR / name)
    assert recipe.eval.batch_size > 1 and recipe.eval.max_new_tokens >= 256


@pytest.mark.parametrize("override, message", [
    ("eval.batch_size=0", "eval.batch_size: must be >= 1"),
    ("eval.fpr_targets=[0.01, 1.5]", "eval.fpr_targets: each must be between 0 and 1"),
    ("eval.max_samples=0", "eval.max_samples: must be >= 1 or null"),
    ("eval.max_new_token=5", "unknown key 'eval.max_new_token' \\(did you mean 'eval.max_new_tokens'"),
])
def test_bad_values_name_the_key(override, message):
    with pytest.raises(PafasError, match=message):
        load_recipe(None, [override])
