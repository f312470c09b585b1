"""Batched greedy generation for a vision-language model: left padding, KV cache, no sampling.

Left padding keeps every row's last prompt token at the same position, so one `generate` call
decodes the whole batch with the KV cache; the new tokens are cut off after the prompt width.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _clean(messages: Sequence[dict]) -> list[dict]:
    """Drop the None fields a `datasets` struct column adds (an `image: None` key would read as an image)."""
    out = []
    for message in messages:
        content = message["content"]
        if isinstance(content, list):
            content = [{k: v for k, v in part.items() if v is not None} for part in content]
        out.append({"role": message["role"], "content": content})
    return out


def chat_texts(processor: Any, prompts: Sequence[list[dict]]) -> list[str]:
    """The model's chat template applied to each prompt (a list of messages), ready for the assistant turn."""
    return [processor.apply_chat_template(_clean(p), add_generation_prompt=True, tokenize=False) for p in prompts]


def encode(processor: Any, texts: Sequence[str], images: Sequence[Sequence[Any]], device: Any) -> Any:
    """Tokenize texts with their images, left-padded, as tensors on `device`."""
    tokenizer = processor.tokenizer
    previous = tokenizer.padding_side
    tokenizer.padding_side = "left"
    try:
        batch = processor(text=list(texts), images=[list(i) for i in images], padding=True, return_tensors="pt")
    finally:
        tokenizer.padding_side = previous
    return batch.to(device)


def generate_batch(model: Any, processor: Any, prompts: Sequence[list[dict]], images: Sequence[Sequence[Any]],
                   max_new_tokens: int) -> list[str]:
    """Greedy completions (special tokens removed) for one batch of prompts."""
    import torch

    batch = encode(processor, chat_texts(processor, prompts), images, model.device)
    tokenizer = processor.tokenizer
    with torch.inference_mode():
        out = model.generate(
            **batch,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            use_cache=True,
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=model.generation_config.eos_token_id or tokenizer.eos_token_id,
        )
    new_tokens = out[:, batch["input_ids"].shape[1]:]
    return tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
