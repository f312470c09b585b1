import pytest
import torch

from pafas_cli.model.config import ModelConfig, TextSizes
from pafas_cli.model.tiny import build_config, build_model, mrope_section, parameter_count


@pytest.mark.parametrize("head_dim", [8, 16, 32, 64, 128])
def test_mrope_sections_fill_half_the_head(head_dim):
    sections = mrope_section(head_dim)
    assert sum(sections) == head_dim // 2 and min(sections) > 0


def test_mrope_matches_qwen_for_its_head_size():
    assert mrope_section(128) == [16, 24, 24]


def test_tiny_config_uses_the_tokenizer_ids(built):
    tokenizer = built.processor.tokenizer
    config = build_config(ModelConfig(), tokenizer)
    assert config.image_token_id == tokenizer.image_token_id == 5
    assert config.vision_start_token_id == tokenizer.convert_tokens_to_ids("<|vision_start|>")
    assert config.text_config.eos_token_id == tokenizer.eos_token_id
    assert config.text_config.vocab_size % 64 == 0 and config.text_config.vocab_size >= len(tokenizer)
    assert config.vision_config.out_hidden_size == config.text_config.hidden_size


def test_3b_preset_has_the_released_architecture(built):
    """Numbers from Qwen/Qwen2.5-VL-3B-Instruct's config.json; token ids follow the local tokenizer."""
    config = build_config(ModelConfig(preset="qwen2.5-vl-3b", text=TextSizes(layers=1)), built.processor.tokenizer)
    text, vision = config.text_config, config.vision_config
    assert (text.hidden_size, text.intermediate_size, text.num_hidden_layers) == (2048, 11008, 36)
    assert (text.num_attention_heads, text.num_key_value_heads, text.vocab_size) == (16, 2, 151936)
    assert text.rope_parameters["mrope_section"] == [16, 24, 24]
    assert text.rope_parameters["rope_theta"] == 1_000_000.0
    assert config.tie_word_embeddings is True
    assert (vision.depth, vision.hidden_size, vision.intermediate_size, vision.num_heads) == (32, 1280, 3420, 16)
    assert (vision.out_hidden_size, vision.patch_size, vision.spatial_merge_size) == (2048, 14, 2)
    assert vision.fullatt_block_indexes == [7, 15, 23, 31]


def test_default_tiny_model_is_small(built):
    assert 100_000 < parameter_count(built.model) < 2_000_000


def test_same_seed_same_weights(built):
    tokenizer = built.processor.tokenizer
    again = build_model(ModelConfig(), tokenizer, seed=0)
    other = build_model(ModelConfig(), tokenizer, seed=1)
    first = next(iter(built.model.state_dict().values()))
    assert torch.equal(first, next(iter(again.state_dict().values())))
    assert not torch.equal(first, next(iter(other.state_dict().values())))


def test_forward_on_a_three_image_prompt(built, batch_for):
    batch = batch_for(built.processor)
    assert int((batch["input_ids"] == built.processor.tokenizer.image_token_id).sum()) == 12
    assert batch["image_grid_thw"].tolist() == [[1, 4, 4]] * 3
    with torch.no_grad():
        logits = built.model(**batch).logits
    assert logits.shape == (1, batch["input_ids"].shape[1], built.model.config.text_config.vocab_size)
    assert torch.isfinite(logits).all()


def test_greedy_generation_returns_text(built, batch_for):
    batch = batch_for(built.processor)
    specials = list(range(len(built.processor.tokenizer.all_special_ids) + 2))
    with torch.no_grad():
        out = built.model.generate(**batch, max_new_tokens=6, do_sample=False, suppress_tokens=specials)
    new = out[0, batch["input_ids"].shape[1]:]
    text = built.processor.tokenizer.decode(new, skip_special_tokens=True)
    assert len(new) == 6 and isinstance(text, str) and len(text) > 0


def test_3b_preset_has_the_released_parameter_count(built):
    """Built on the meta device (no memory); the model card of Qwen2.5-VL-3B-Instruct says 3.75 B parameters."""
    model = build_model(ModelConfig(preset="qwen2.5-vl-3b"), built.processor.tokenizer, seed=0, device="meta")
    assert parameter_count(model) == 3_754_622_976
