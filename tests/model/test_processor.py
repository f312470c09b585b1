import json
import shutil
from pathlib import Path

import pytest
import torch

from pafas_cli.errors import PafasError
from pafas_cli.model.processor import (
    STANDARD_CLASS,
    build_processor,
    chat_template,
    image_tokens,
    load_processor,
    pinned_side,
    save_portable,
)


def _same_encoding(a, b) -> None:
    assert torch.equal(a["input_ids"], b["input_ids"])
    assert torch.equal(a["image_grid_thw"], b["image_grid_thw"])
    assert torch.allclose(a["pixel_values"], b["pixel_values"])


@pytest.mark.parametrize("side,tokens", [(56, 4), (112, 16), (224, 64)])
def test_every_square_image_becomes_the_same_number_of_tokens(built, side, tokens):
    processor = build_processor(built.processor.tokenizer, side)
    assert image_tokens(processor, side) == tokens
    # Sides that are multiples of 56 (smart_resize floors a float: e.g. 300x300 at 56 gives 1 token, not 4).
    images = [_image(s, s) for s in (56, 224, 448)]
    grids = processor.image_processor(images=images, return_tensors="np")["image_grid_thw"]
    assert [int(g.prod()) // 4 for g in grids] == [tokens] * 3


def _image(w: int, h: int):
    from PIL import Image

    return Image.new("RGB", (w, h), (10, 200, 30))


def test_chat_template_is_trls_own_file(built):
    import trl

    trl_file = Path(trl.__file__).parent / "chat_templates" / "qwen2_5_vl.jinja"
    assert built.processor.chat_template == chat_template() == trl_file.read_text(encoding="utf-8")


def test_three_images_are_interleaved_with_their_names(built, batch_for):
    text = built.processor.tokenizer.decode(batch_for(built.processor)["input_ids"][0])
    assert "RGB image:<|vision_start|>" + "<|image_pad|>" * 4 + "<|vision_end|>Depth image:" in text
    assert text.endswith("<|im_start|>assistant\n")


def test_portable_folder_names_the_standard_classes(built):
    config = json.loads((built.folder / "processor_config.json").read_text())
    assert config["processor_class"] == STANDARD_CLASS
    assert config["video_processor"]["video_processor_type"] == "Qwen2VLVideoProcessor"
    assert config["image_processor"]["size"] == {"shortest_edge": 56 * 56, "longest_edge": 56 * 56}
    tokenizer_config = json.loads((built.folder / "tokenizer_config.json").read_text())
    assert tokenizer_config["processor_class"] == STANDARD_CLASS
    assert (built.folder / "chat_template.jinja").read_text() == chat_template()


def test_save_portable_repairs_a_trainer_save(built, tmp_path):
    built.processor.save_pretrained(tmp_path)  # what a trainer writes: the runtime class name, no video entry
    assert json.loads((tmp_path / "processor_config.json").read_text())["processor_class"] != STANDARD_CLASS
    save_portable(built.processor, tmp_path)
    config = json.loads((tmp_path / "processor_config.json").read_text())
    assert config["processor_class"] == STANDARD_CLASS and "video_processor" in config


def test_loads_without_torchvision(built, batch_for, monkeypatch):
    import transformers.utils

    monkeypatch.setattr(transformers.utils, "is_torchvision_available", lambda: False)
    processor = load_processor(built.folder)
    assert type(processor).__name__ == "Qwen2_5_VLImageOnlyProcessor"
    _same_encoding(batch_for(processor), batch_for(built.processor))


def test_autoprocessor_loads_it_with_torchvision(built, batch_for):
    pytest.importorskip("torchvision")
    processor = load_processor(built.folder)
    assert type(processor).__name__ == STANDARD_CLASS
    assert type(processor.video_processor).__name__ == "Qwen2VLVideoProcessor"
    _same_encoding(batch_for(processor), batch_for(built.processor))


def test_unknown_processor_class_is_an_error_not_a_bare_tokenizer(built, tmp_path):
    folder = tmp_path / "odd"
    shutil.copytree(built.folder, folder)
    for name in ("processor_config.json", "tokenizer_config.json"):
        data = json.loads((folder / name).read_text())
        data["processor_class"] = "MadeUpProcessor"
        (folder / name).write_text(json.dumps(data))
    with pytest.raises(PafasError, match="not a vision-language processor"):
        load_processor(folder)


def test_folder_without_processor_is_an_error(tmp_path):
    with pytest.raises(PafasError, match="no processor files"):
        load_processor(tmp_path)


def test_a_folder_saved_by_the_image_only_class_loads_without_repair(built, batch_for, tmp_path):
    built.processor.save_pretrained(tmp_path)  # e.g. a trainer checkpoint, before save_portable
    _same_encoding(batch_for(load_processor(tmp_path)), batch_for(built.processor))


@pytest.mark.fault
@pytest.mark.parametrize("text", ['{"processor_class": ', "\xff\xfe not json"])
def test_a_malformed_processor_config_is_one_clear_line(built, ws, tmp_path, text):
    """Invalid JSON used to escape as a JSONDecodeError traceback from `_declared_class`."""
    from pafas_cli.model.loader import load_model

    folder = tmp_path / "model"
    shutil.copytree(built.folder, folder)
    (folder / "processor_config.json").write_bytes(text.encode("latin-1"))
    for load in (lambda: load_processor(folder), lambda: load_model(folder, ws)):
        with pytest.raises(PafasError) as err:
            load()
        message = str(err.value)
        assert message.startswith(f"{folder / 'processor_config.json'}: not valid JSON") and "\n" not in message
        assert "restore the file" in message and "pafas init-model" in message


@pytest.mark.parametrize("side", [56, 112])
def test_pinned_side_reads_a_saved_processor_without_loading_it(built, tmp_path, side):
    folder = tmp_path / str(side)
    save_portable(build_processor(built.processor.tokenizer, side), folder)
    assert pinned_side(folder) == side


def test_a_processor_that_takes_a_range_of_sizes_is_not_pinned(tmp_path):
    """A hub Qwen2.5-VL's preprocessor_config.json: any size between min and max pixels."""
    (tmp_path / "preprocessor_config.json").write_text(json.dumps(
        {"min_pixels": 3136, "max_pixels": 12845056, "patch_size": 14, "merge_size": 2}))
    assert pinned_side(tmp_path) is None
    (tmp_path / "preprocessor_config.json").write_text(json.dumps({"size": {"shortest_edge": 50176,
                                                                             "longest_edge": 50176}}))
    assert pinned_side(tmp_path) == 224
    assert pinned_side(tmp_path / "nothing-here") is None
