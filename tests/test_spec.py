"""Version specs: written, read back, derived for versions made before spec.json, and inherited."""

import json

import pytest

from pafas_cli.errors import PafasError
from pafas_cli.spec import Spec, inherit, read_spec, write_spec


def _manifest(folder, **fields):
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps(fields))


def test_a_spec_round_trips(tmp_path):
    write_spec(tmp_path, Spec("rl", 112, "think", "/ws/paths/v001", "/ws/sft/v001", {"k": 1}))
    assert read_spec(tmp_path) == Spec("rl", 112, "think", "/ws/paths/v001", "/ws/sft/v001", {"k": 1})


def test_versions_older_than_spec_files_get_one_from_their_manifest(tmp_path):
    paths, sft = tmp_path / "paths" / "v001", tmp_path / "sft" / "v001"
    _manifest(paths, stage="paths", recipe={"paths": {"image_size": 112, "augmentation": "raw"}})
    _manifest(sft, stage="sft", recipe={}, inputs=[{"name": "paths", "path": str(paths)},
                                                   {"name": "model", "path": "/m"}])
    old = read_spec(paths)
    assert (old.stage, old.image_size, old.answer_format, old.derived) == ("paths", 112, "answer", True)
    trained = read_spec(sft)
    assert (trained.image_size, trained.require_think, trained.paths, trained.base) == (112, False, str(paths), "/m")
    assert read_spec(tmp_path / "nothing-here") is None


def test_a_broken_spec_file_names_itself(tmp_path):
    (tmp_path / "spec.json").write_text("{not json")
    with pytest.raises(PafasError, match="spec.json: not a valid version spec"):
        read_spec(tmp_path)


def test_inherit_takes_the_input_unless_told_and_refuses_a_contradiction():
    assert inherit("k", None, 56, "paths:v001") == 56
    assert inherit("k", 56, 56, "paths:v001") == 56 and inherit("k", 112, None, "x") == 112
    with pytest.raises(PafasError, match="k: the recipe says 112, but paths:v001 was made with 56"):
        inherit("k", 112, 56, "paths:v001")


def test_training_refuses_a_model_built_for_another_image_size(tmp_path):
    from pafas_cli.train.plan import trained_spec
    from pafas_cli.workspace import Resolved

    paths, model = tmp_path / "paths", tmp_path / "model"
    for folder, spec in ((paths, Spec("paths", 56, "think")), (model, Spec("model", 112, "think"))):
        folder.mkdir()
        write_spec(folder, spec)
    with pytest.raises(PafasError, match=r"sft.model: model:v009 was built for 112-px images, but paths:v003 holds 56"):
        trained_spec("sft", Resolved("paths:v003", paths), Resolved("model:v009", model))
    write_spec(model, Spec("model", 56, "think"))
    made = trained_spec("sft", Resolved("paths:v003", paths), Resolved("model:v009", model))
    assert (made.stage, made.image_size, made.answer_format, made.paths) == ("sft", 56, "think", str(paths))
