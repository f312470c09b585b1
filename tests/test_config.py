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


@pytest.mark.fault
@pytest.mark.parametrize("item,shown", [("sft.learning_rate=.inf", "inf"), ("sft.learning_rate=nan", "nan"),
                                        ("sft.learning_rate=-.inf", "-inf"), ("rl.rewards.format=.nan", "nan"),
                                        ("eval.fpr_targets=[0.01, .inf]", "inf")])
def test_non_finite_set_values_are_rejected_naming_the_key(item, shown):
    with pytest.raises(PafasError) as err:
        load_recipe(None, [item])
    key = item.partition("=")[0] + ("[1]" if item.startswith("eval.") else "")
    assert str(err.value).startswith(f"--set {item}: '{key}' must be a finite number, got {shown}")


@pytest.mark.fault
@pytest.mark.parametrize("text,key", [("sft:\n  lora:\n    dropout: .nan\n", "sft.lora.dropout"),
                                      ("rl:\n  rewards:\n    format: .inf\n", "rl.rewards.format"),
                                      ("paths:\n  alpha: .inf\n", "paths.alpha")])
def test_non_finite_values_in_files_and_nested_sections_name_file_and_key(tmp_path, text, key):
    path = write(tmp_path, text)
    with pytest.raises(PafasError) as err:
        load_recipe(path)
    assert str(err.value).startswith(f"{path}: '{key}' must be a finite number")


@pytest.mark.fault
def test_a_non_utf8_recipe_names_the_file(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("seed: 1\n# r\xe9glage\n".encode("latin-1"))
    with pytest.raises(PafasError) as err:
        load_recipe(path)
    assert str(err.value) == f"{path}: not UTF-8 text (byte 0xe9 on line 2); save the recipe as UTF-8"


@pytest.mark.fault
def test_errors_name_the_set_that_caused_them_and_the_file_for_its_own_keys(tmp_path):
    path = write(tmp_path, "paths:\n  n_paths: 7\n")
    with pytest.raises(PafasError) as err:
        load_recipe(path, ["paths.n_path=3"])
    assert str(err.value).startswith("--set paths.n_path=3: unknown key 'paths.n_path'") and str(path) not in str(err.value)
    with pytest.raises(PafasError) as err:  # a section's validate() naming an overridden key
        load_recipe(path, ["sft.learning_rate=-1"])
    assert str(err.value).startswith("--set sft.learning_rate=-1: sft.learning_rate")
    bad = write(tmp_path, "paths:\n  n_path: 7\n", name="bad.yaml")
    with pytest.raises(PafasError) as err:  # the file's own mistake is still the file's, next to a --set
        load_recipe(bad, ["paths.n_paths=3"])
    assert str(err.value).startswith(f"{bad}: unknown key 'paths.n_path'")
    with pytest.raises(PafasError, match="^--set no.such.key=1: unknown key 'no'"):
        load_recipe(path, ["no.such.key=1"])


@pytest.mark.fault
def test_invalid_yaml_is_one_line():
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = write(Path(tmp), "a: [1,\n")
        with pytest.raises(PafasError) as err:
            load_recipe(path)
    assert "\n" not in str(err.value) and "line 2, column 1" in str(err.value)
