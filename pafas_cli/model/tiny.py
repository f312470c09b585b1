"""Qwen2.5-VL models built from a config with random weights: the tiny default and the real 3B shape.

The tiny model runs the same code as a hub checkpoint (same class, processor and chat template),
small enough that SFT takes ~0.05 s/step on 2 CPU cores. The `qwen2.5-vl-3b` preset copies the
architecture numbers of `Qwen/Qwen2.5-VL-3B-Instruct`'s config.json, so memory and speed at real
scale can be measured on a GPU without downloading weights. Both use the locally trained tokenizer:
the model's multimodal token ids must equal the tokenizer's, and for the 3B preset the embedding
table keeps the real vocabulary size (151,936 rows, most never used) so its memory is real too.
"""

from __future__ import annotations

from typing import Any

from pafas_cli.model.config import MERGE_SIZE, PATCH_SIZE, ModelConfig

# Qwen/Qwen2.5-VL-3B-Instruct config.json (text part; vision part below), ids excepted.
QWEN25_VL_3B_TEXT = {
    "vocab_size": 151936,
    "hidden_size": 2048,
    "intermediate_size": 11008,
    "num_hidden_layers": 36,
    "num_attention_heads": 16,
    "num_key_value_heads": 2,
    "max_position_embeddings": 128000,
    "rms_norm_eps": 1e-6,
    "rope_theta": 1000000.0,
    "mrope_section": [16, 24, 24],
    "tie_word_embeddings": True,
}
QWEN25_VL_3B_VISION = {
    "depth": 32,
    "hidden_size": 1280,
    "intermediate_size": 3420,
    "num_heads": 16,
    "out_hidden_size": 2048,
    "fullatt_block_indexes": [7, 15, 23, 31],
    "window_size": 112,
    "tokens_per_second": 2,
}


def mrope_section(head_dim: int) -> list[int]:
    """Split the rotary half of a head into time/height/width sections in Qwen's 1/4 : 3/8 : 3/8 ratio.

    The sections must sum to head_dim / 2, else the first forward pass fails (Qwen's default
    [16, 24, 24] only fits head_dim 128).
    """
    half = head_dim // 2
    time = half // 4
    height = (half - time) // 2
    return [time, height, half - time - height]


def build_config(cfg: ModelConfig, tokenizer: Any) -> Any:
    """A `Qwen2_5_VLConfig` for `cfg.preset` whose special token ids are those of `tokenizer`."""
    from transformers import Qwen2_5_VLConfig

    if cfg.preset == "qwen2.5-vl-3b":
        text = dict(QWEN25_VL_3B_TEXT)
        vision = dict(QWEN25_VL_3B_VISION)
        if len(tokenizer) > text["vocab_size"]:
            raise ValueError(f"vocab_size: the tokenizer has {len(tokenizer)} tokens, more than the 3B model's "
                             f"{text['vocab_size']}")
    else:
        text = {
            "vocab_size": (len(tokenizer) + 63) // 64 * 64,
            "hidden_size": cfg.text.hidden_size,
            "intermediate_size": cfg.text.intermediate_size,
            "num_hidden_layers": cfg.text.layers,
            "num_attention_heads": cfg.text.heads,
            "num_key_value_heads": cfg.text.kv_heads,
            "max_position_embeddings": 4096,
            "rms_norm_eps": 1e-6,
            "rope_theta": 10000.0,
            "mrope_section": mrope_section(cfg.text.hidden_size // cfg.text.heads),
            "tie_word_embeddings": True,
        }
        vision = {
            "depth": cfg.vision.depth,
            "hidden_size": cfg.vision.hidden_size,
            "intermediate_size": cfg.vision.intermediate_size,
            "num_heads": cfg.vision.heads,
            "out_hidden_size": cfg.text.hidden_size,
            "fullatt_block_indexes": [cfg.vision.depth - 1],
            "window_size": 112,
            "tokens_per_second": 2,
        }
    ids = tokenizer.convert_tokens_to_ids
    pad_id, eos_id = tokenizer.pad_token_id, tokenizer.eos_token_id
    tie = text.pop("tie_word_embeddings")
    rope = {"rope_type": "default", "rope_theta": text.pop("rope_theta"), "mrope_section": text.pop("mrope_section")}
    return Qwen2_5_VLConfig(
        text_config={**text, "rope_parameters": rope, "bos_token_id": None, "eos_token_id": eos_id,
                     "pad_token_id": pad_id, "tie_word_embeddings": tie},
        vision_config={**vision, "in_channels": 3, "patch_size": PATCH_SIZE, "spatial_merge_size": MERGE_SIZE,
                       "temporal_patch_size": 2},
        image_token_id=ids(tokenizer.image_token),
        video_token_id=ids(tokenizer.video_token),
        vision_start_token_id=ids(tokenizer.vision_bos_token),
        vision_end_token_id=ids(tokenizer.vision_eos_token),
        tie_word_embeddings=tie,
    )


def build_model(cfg: ModelConfig, tokenizer: Any, seed: int, dtype: Any = None, device: Any = "cpu") -> Any:
    """A randomly initialised `Qwen2_5_VLForConditionalGeneration` (seeded), in `dtype` (default float32).

    The weights are created on `device` (a GPU initialises the 3B preset in seconds); the same seed
    gives the same weights only on the same kind of device.
    """
    import torch
    from transformers import Qwen2_5_VLForConditionalGeneration

    config = build_config(cfg, tokenizer)
    torch.manual_seed(seed)
    with torch.device(device):
        model = Qwen2_5_VLForConditionalGeneration._from_config(config, dtype=dtype or torch.float32)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.bos_token_id = None
    return model.eval()


def parameter_count(model: Any) -> int:
    """Number of distinct parameters (tied embeddings counted once)."""
    return sum(p.numel() for p in model.parameters())
