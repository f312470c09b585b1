"""Errors that must stop a run before training starts, with a message that says what to fix."""

from types import SimpleNamespace

import pytest

from pafas_cli.config import load_recipe
from pafas_cli.errors import PafasError
from pafas_cli.train.checks import check_dataset, check_model
from pafas_cli.train.plan import resolve_rl

USER = {"role": "user", "content": [{"type": "text", "text": "RGB:"}, {"type": "image"}, {"type": "image"},
                                    {"type": "image"}, {"type": "text", "text": "live or spoof?"}]}


def dataset(rows):
    from datasets import Dataset

    return Dataset.from_list(rows)


def row(images=3, label=1):
    return {"prompt": [USER], "images": ["a.png"] * images, "id": "s1", "label": label}


def test_empty_dataset():
    with pytest.raises(PafasError, match="rl.paths: the training set is empty"):
        check_dataset(dataset([]), ["prompt", "images"], "prompt", "rl.paths")


def test_missing_column():
    with pytest.raises(PafasError, match=r"lacks column\(s\) \['label'\]"):
        check_dataset(dataset([{"prompt": [USER], "images": ["a.png"] * 3}]), ["prompt", "images", "label"],
                      "prompt", "rl.paths")


def test_image_placeholders_must_match_images():
    with pytest.raises(PafasError, match="row 1 .* 3 image placeholders in 'prompt' but 2 images"):
        check_dataset(dataset([row(), row(images=2)]), ["prompt", "images"], "prompt", "rl.paths")


def test_labels_must_be_binary():
    with pytest.raises(PafasError, match=r"1 \(live\) or 0 \(spoof\); found \[2\]"):
        check_dataset(dataset([row(), row(label=2)]), ["prompt", "images", "label"], "prompt", "rl.paths")


def fake(model_image_id=5, processor_image_id=5, vocab=640, tokens=600):
    text = SimpleNamespace(vocab_size=vocab)
    config = SimpleNamespace(image_token_id=model_image_id, get_text_config=lambda: text)
    tokenizer = type("Tok", (), {"__len__": lambda self: tokens})()
    processor = SimpleNamespace(tokenizer=tokenizer, image_processor=object(), image_token_id=processor_image_id)
    return SimpleNamespace(config=config), processor


def test_model_and_processor_must_agree_on_the_image_token():
    check_model(*fake(), "sft.model")
    with pytest.raises(PafasError, match="image_token_id is 5 but the processor's is 7"):
        check_model(*fake(processor_image_id=7), "sft.model")


def test_tokenizer_must_fit_the_vocabulary():
    with pytest.raises(PafasError, match="700 tokens but the model's vocabulary only 640"):
        check_model(*fake(tokens=700), "sft.model")


def test_bare_tokenizer_is_not_a_processor():
    model, _ = fake()
    with pytest.raises(PafasError, match="not a vision processor"):
        check_model(model, SimpleNamespace(), "sft.model")


def test_rl_batch_not_divisible_fails_before_loading_anything(tmp_path):
    from pafas_cli.commands import rl
    from pafas_cli.workspace import Workspace

    recipe = load_recipe(None, ["rl.batch_size=6", "rl.num_generations=4"])
    with pytest.raises(PafasError, match="rl.batch_size: 1 process"):
        rl.run(resolve_rl(recipe, Workspace(tmp_path)))
    assert not any(tmp_path.iterdir())
