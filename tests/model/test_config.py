import pytest

from pafas_cli.config import load_recipe
from pafas_cli.errors import PafasError
from pafas_cli.model.config import ModelConfig, TextSizes, VisionSizes


def test_defaults_are_valid():
    ModelConfig().validate()


@pytest.mark.parametrize("cfg,key", [
    (ModelConfig(image_size=60), "image_size"),
    (ModelConfig(vocab_size=100), "vocab_size"),
    (ModelConfig(device="tpu"), "device"),
    (ModelConfig(text=TextSizes(hidden_size=128, heads=3)), "text.heads"),
    (ModelConfig(text=TextSizes(hidden_size=80, heads=4)), "text.heads"),
    (ModelConfig(text=TextSizes(heads=4, kv_heads=3)), "text.kv_heads"),
    (ModelConfig(text=TextSizes(layers=0)), "text.layers"),
    (ModelConfig(vision=VisionSizes(hidden_size=64, heads=32)), "vision.heads"),
])
def test_bad_values_name_their_key(cfg, key):
    with pytest.raises(ValueError, match=f"^{key}: "):
        cfg.validate()


def test_overrides_reach_nested_sizes():
    recipe = load_recipe("quickstart/model.yaml", ["model.text.layers=4", "model.preset=qwen2.5-vl-3b"])
    assert recipe.model.text.layers == 4 and recipe.model.preset == "qwen2.5-vl-3b"


def test_recipe_errors_name_file_and_key():
    with pytest.raises(PafasError, match=r"model\.text\.heads"):
        load_recipe("quickstart/model.yaml", ["model.text.heads=3"])
    with pytest.raises(PafasError, match="must be one of tiny, qwen2.5-vl-3b"):
        load_recipe("quickstart/model.yaml", ["model.preset=qwen2.5-vl-7b"])


def test_shipped_model_recipes():
    assert load_recipe("quickstart/model.yaml").model.preset == "tiny"
    paper = load_recipe("paper/model.yaml").model
    assert (paper.preset, paper.image_size, paper.trust_remote_code) == ("qwen2.5-vl-3b", None, False)
