"""The shipped-file locator fails loudly instead of falling back to code defaults."""

import pytest

from pafas_cli import recipe_files
from pafas_cli.errors import PafasError


def test_every_default_recipe_of_the_cli_is_shipped():
    from pafas_cli.cli import DEFAULT_RECIPE

    for name in DEFAULT_RECIPE.values():
        assert recipe_files.shipped(name).is_file()
    assert recipe_files.shipped("taxonomy.yaml").is_file() and recipe_files.shipped("reasoning_tree.yaml").is_file()


@pytest.mark.fault
def test_a_missing_shipped_file_names_it_and_says_to_reinstall(tmp_path, monkeypatch):
    monkeypatch.setattr(recipe_files, "RECIPES_DIR", tmp_path)
    with pytest.raises(PafasError, match=r"quickstart/sft.yaml.*missing from this installation.*reinstall"):
        recipe_files.shipped("quickstart/sft.yaml")
