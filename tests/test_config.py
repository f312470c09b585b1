"""Recipe parsing, overrides and the errors a user sees."""

import pytest

from pafas_cli.config import Recipe, apply_override, load_recipe
from pafas_cli.errors import PafasError


def write(tmp_path, text, name="r.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_defaults_without_a_file():
    recipe = load_recipe(None)
    assert isinstance(recipe, Recipe)
    assert recipe.seed == 0


def test_file_values_and_overrides_apply(tmp_path):
    path = write(tmp_path, "seed: 3\npaths:\n  n_paths: 7\n")
    recipe = load_recipe(path, ["paths.n_paths=9", "seed=4"])
    assert recipe.paths.n_paths == 9
    assert recipe.seed == 4


def test_misspelled_key_names_key_file_and_suggestion(tmp_path):
    path = write(tmp_path, "paths:\n  n_path: 7\n")
    with pytest.raises(PafasError) as err:
        load_recipe(path)
    message = str(err.value)
    assert "paths.n_path" in message and str(path) in message and "paths.n_paths" in message


def test_unknown_section_from_set_is_an_error():
    with pytest.raises(PafasError, match="no.such.key|'no'"):
        load_recipe(None, ["no.such.key=1"])


def test_wrong_type_names_the_key(tmp_path):
    path = write(tmp_path, "paths:\n  n_paths: many\n")
    with pytest.raises(PafasError, match="paths.n_paths.*integer"):
        load_recipe(path)


def test_override_values_parse_as_yaml():
    raw: dict = {}
    apply_override(raw, "sft.lr=0.5")
    apply_override(raw, "a.flag=true")
    apply_override(raw, "a.items=[1, 2]")
    assert raw == {"sft": {"lr": 0.5}, "a": {"flag": True, "items": [1, 2]}}


def test_override_without_equals_is_an_error():
    with pytest.raises(PafasError, match="KEY=VALUE"):
        apply_override({}, "sft.lr")


def test_not_a_mapping_and_bad_yaml(tmp_path):
    with pytest.raises(PafasError, match="mapping"):
        load_recipe(write(tmp_path, "- a\n- b\n"))
    with pytest.raises(PafasError, match="not valid YAML"):
        load_recipe(write(tmp_path, "a: [1,\n", name="bad.yaml"))


def test_missing_recipe_file():
    with pytest.raises(PafasError, match="recipe not found"):
        load_recipe("does-not-exist.yaml")
