"""Batched greedy generation for a vision-language model: left padding, KV cache, no sampling.

Left padding keeps every row's last prompt token at the same position, so one call decodes the whole
batch with the KV cache; the new tokens are cut off after the prompt width. The decoder is pafas' own
loop (`infer/decode.py`: finished rows leave the batch) or transformers' `model.generate`, which it
falls back to for models and settings the loop does not cover; both give the same greedy tokens.
Generation can also keep, at every decoding step, the log-probabilities of a few token ids (the
answer branches' first tokens) from the raw logits, so the liveness score can be read from the
generation pass itself instead of a second forward pass (`infer/score.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any


@dataclass
class Generation:
    """One batch's completions: decoded text, the generated ids (special tokens kept), and per step the
    watched ids' log-probabilities (steps x rows x watched; None when nothing was watched)."""

    texts: list[str]
    token_ids: list[list[int]]
    watched: Any = None


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


@contextmanager
def _watching(model: Any, ids: Sequence[int], steps: list):
    """Record log_softmax(logits)[:, ids] of every call of the output layer (one call per decoding step).

    The output layer's own output is the raw logits, before any logits processor the model's generation
    config may add (a repetition penalty, say): exactly what a teacher-forced pass would compute.
    """
    import torch

    index = torch.tensor(list(ids), device=model.device)

    def hook(_module, _inputs, logits):
        last = logits[:, -1].float()
        steps.append(last[:, index] - torch.logsumexp(last, dim=-1, keepdim=True))

    handle = model.get_output_embeddings().register_forward_hook(hook)
    try:
        yield
    finally:
        handle.remove()


def generate(model: Any, processor: Any, chats: Sequence[str], images: Sequence[Sequence[Any]],
             max_new_tokens: int, watch_ids: Sequence[int] = (), decoder: str = "pafas") -> Generation:
    """Greedy completions for one batch of templated prompts (`chat_texts`); `watch_ids`: token ids whose
    log-probabilities to keep; `decoder`: "pafas" (`infer/decode.py`, where it applies) or "hf"."""
    import torch

    from pafas_cli.infer.decode import decode, generation_config, use_pafas_decoder

    batch = encode(processor, chats, images, model.device)
    tokenizer = processor.tokenizer
    settings = dict(max_new_tokens=max_new_tokens, do_sample=False, use_cache=True,
                    pad_token_id=tokenizer.pad_token_id,
                    eos_token_id=model.generation_config.eos_token_id or tokenizer.eos_token_id)
    if decoder == "pafas":
        config = generation_config(model, **settings)
        if use_pafas_decoder(model, config, batch, "eval.decoder"):
            with torch.inference_mode():
                out = decode(model, batch, config, watch_ids)
            watched = out.watched.cpu() if out.watched is not None else None
            return Generation(tokenizer.batch_decode(out.tokens, skip_special_tokens=True), out.tokens.tolist(),
                              watched)
    steps: list = []
    with torch.inference_mode(), (_watching(model, watch_ids, steps) if watch_ids else nullcontext()):
        out = model.generate(**batch, **settings)
    new_tokens = out[:, batch["input_ids"].shape[1]:]
    # One output-layer call per generated token; any other count means something else called it, and
    # the steps cannot be matched to tokens (the score then takes the teacher-forced pass).
    watched = torch.stack(steps).cpu() if steps and len(steps) == new_tokens.shape[1] else None
    return Generation(tokenizer.batch_decode(new_tokens, skip_special_tokens=True), new_tokens.tolist(), watched)
