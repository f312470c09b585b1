"""Decoding owned by pafas: a KV-cached loop for Qwen2.5-VL that drops finished rows from the batch.

Why not `model.generate`: on a CPU the tiny model's decoding is bound by per-token work that does not
shrink as rows finish (every row runs to the batch's longest answer) plus generate's bookkeeping. This
loop prefills the prompts with their images once, then steps one token at a time on the rows still
running: a row that wrote an end token leaves the batch and its KV cache (`batch_select_indices`).
It computes what `generate` computes, for the same models and settings:

- the generation config is merged the way `generate` merges it (the model's own config under the
  caller's) and the logits processors and warpers are `generate`'s own (`_get_logits_processor`:
  suppressed tokens, temperature, top-k, top-p, a repetition penalty, ...), applied to the float32
  logits of the last position;
- greedy picks the argmax; sampling draws from softmax(scores) with the exponential race
  (argmax of p / E, E ~ Exp(1), one draw per vocabulary entry), which picks token i with probability
  p_i exactly, as `torch.multinomial` does, and costs less per token on a CPU (bench/bench_decode.py);
- positions are Qwen2.5-VL's 3D rope positions: the prefill computes them from the images (the model
  keeps each row's offset, `rope_deltas`), and a row's next text token sits at its count of real
  tokens plus that offset.

Greedy output is token-for-token `generate`'s (tests/infer/test_decode.py); sampled tokens have the same
per-token distribution (a chi-square test there) but not the same draws, since the random stream is
consumed differently. The loop can also keep, at every step, the raw log-probabilities of a few token
ids (the liveness score's branch tokens, `infer/score.py`).

`unsupported(model, config, inputs)` says why a model, setting or input needs `generate` instead (another
architecture, a transformers version the loop was not checked on, beam search, stop strings, a prompt
without images, ...); callers then fall back to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Model types this loop knows the positions of.
SUPPORTED_MODEL_TYPES = ("qwen2_5_vl",)
# transformers versions on which the loop was checked token for token against `generate` (it uses the model's
# rope offsets and generate's config merging and logits processors); on others `generate` decodes.
CHECKED_TRANSFORMERS = ("5.24.",)


@dataclass
class Decoded:
    """One batch's new tokens, [rows, steps] with the pad id after a row's end token (as `generate` returns
    them), and per step the watched ids' raw log-probabilities ([steps, rows, watched]; NaN once a row has
    finished; None when nothing was watched)."""

    tokens: Any
    watched: Any = None


def base_model(model: Any) -> Any:
    """The transformers model under a PEFT wrapper (or the model itself)."""
    return model.get_base_model() if hasattr(model, "get_base_model") else model


def generation_config(model: Any, overrides: Any = None, **kwargs: Any) -> Any:
    """The generation config `generate` would use: the model's own, then `overrides` (a GenerationConfig),
    then `kwargs`."""
    config, _ = base_model(model)._prepare_generation_config(overrides, **kwargs)
    return config


def unsupported(model: Any, config: Any, inputs: Mapping[str, Any]) -> str | None:
    """Why this loop cannot stand in for `generate` for these inputs and settings (None: it can)."""
    import transformers

    if not transformers.__version__.startswith(CHECKED_TRANSFORMERS):
        return (f"transformers {transformers.__version__}; it was checked against generate on "
                f"{', '.join(v + 'x' for v in CHECKED_TRANSFORMERS)} (tests/infer/test_decode.py)")
    if inputs.get("image_grid_thw") is None:
        return "a prompt without images (its positions are not computed here)"
    base = base_model(model)
    model_type = getattr(base.config, "model_type", None)
    if model_type not in SUPPORTED_MODEL_TYPES:
        return f"model type {model_type!r} (the pafas decoder knows {', '.join(SUPPORTED_MODEL_TYPES)})"
    if not hasattr(base, "model") or not hasattr(base.model, "rope_deltas"):
        return "the model keeps no rope_deltas (an unexpected transformers version)"
    if (config.num_beams or 1) > 1:
        return "beam search"
    if getattr(config, "assistant_model", None) is not None or getattr(config, "prompt_lookup_num_tokens", None):
        return "assisted decoding"
    if getattr(config, "stop_strings", None):
        return "stop strings"
    if getattr(config, "max_new_tokens", None) is None:
        return "no max_new_tokens"
    return None


_NOTED: set[str] = set()


def use_pafas_decoder(model: Any, config: Any, inputs: Mapping[str, Any], key: str) -> bool:
    """Whether the pafas loop can decode `inputs` for `model` under `config`; if not, say once (naming the
    recipe `key` that chose it) that `generate` does instead."""
    reason = unsupported(model, config, inputs)
    if reason is None:
        return True
    note = f"{key}: pafas cannot decode this ({reason}); transformers' generate decodes instead"
    if note not in _NOTED:
        from pafas_cli.console import console

        _NOTED.add(note)
        console.print(f"[yellow]note:[/] {note}")
    return False


def _growing_layer_class() -> type:
    """A DynamicLayer that writes each step's keys and values into a buffer with room for the whole
    completion, instead of concatenating (which copies the whole cache every step)."""
    from transformers.cache_utils import DynamicLayer

    class GrowingLayer(DynamicLayer):
        def __init__(self, room: int):
            super().__init__()
            self.room, self.length = room, 0

        def update(self, key_states, value_states, *args, **kwargs):
            import torch

            n = key_states.shape[-2]
            if not self.is_initialized:
                self.device, self.is_initialized = key_states.device, True
                shape = (*key_states.shape[:-2], n + self.room, key_states.shape[-1])
                self.key_buffer = torch.empty(shape, dtype=key_states.dtype, device=self.device)
                self.value_buffer = torch.empty(shape, dtype=value_states.dtype, device=self.device)
            self.key_buffer[..., self.length:self.length + n, :] = key_states
            self.value_buffer[..., self.length:self.length + n, :] = value_states
            self.length += n
            self.keys = self.key_buffer[..., :self.length, :]
            self.values = self.value_buffer[..., :self.length, :]
            return self.keys, self.values

        def get_seq_length(self) -> int:
            return self.length

        def batch_select_indices(self, indices) -> None:
            if self.length:
                self.key_buffer = self._select(self.key_buffer, indices)
                self.value_buffer = self._select(self.value_buffer, indices)
                self.keys = self.key_buffer[..., :self.length, :]
                self.values = self.value_buffer[..., :self.length, :]

        def _select(self, buffer, indices):
            """The kept rows in a new buffer of the same room, copying only the filled positions."""
            kept = buffer.new_empty((len(indices), *buffer.shape[1:]))
            kept[..., :self.length, :] = buffer[..., :self.length, :][indices]
            return kept

    return GrowingLayer


def _cache(base: Any, room: int) -> Any:
    """A DynamicCache for `base` whose plain layers grow in place (sliding-window layers stay as they are)."""
    from transformers import DynamicCache
    from transformers.cache_utils import DynamicLayer

    cache = DynamicCache(config=base.config)
    growing = _growing_layer_class()
    cache.layers = [growing(room) if type(layer) is DynamicLayer else layer for layer in cache.layers]
    return cache


def decode(model: Any, inputs: Mapping[str, Any], config: Any, watch_ids: Sequence[int] = ()) -> Decoded:
    """Complete each row of `inputs` (left-padded `input_ids`, `attention_mask` and the processor's image
    tensors) under generation config `config` (`generation_config(...)`; check `unsupported` first). Sampling
    draws from torch's global random generator, as `generate` does, so the trainer's seed governs it."""
    import torch

    base = base_model(model)
    input_ids, mask = inputs["input_ids"], inputs["attention_mask"]
    rows, width = input_ids.shape
    device = input_ids.device
    max_new = int(config.max_new_tokens)
    eos = config.eos_token_id
    eos_ids = torch.tensor([eos] if isinstance(eos, int) else list(eos or ()), device=device)
    pad_id = config.pad_token_id if config.pad_token_id is not None else (int(eos_ids[0]) if len(eos_ids) else 0)
    processors = base._get_logits_processor(generation_config=config, input_ids_seq_length=width, device=device,
                                            model_kwargs=dict(inputs))
    cache = _cache(base, max_new)

    # Per running row: its row in the output, the ids so far (for processors that read them), the mask.
    alive = torch.arange(rows, device=device)
    sequences = torch.full((rows, width + max_new), pad_id, dtype=input_ids.dtype, device=device)
    sequences[:, :width] = input_ids
    tokens = torch.full((rows, max_new), pad_id, dtype=input_ids.dtype, device=device)
    watch = torch.tensor(list(watch_ids), device=device) if watch_ids else None
    watched = torch.full((max_new, rows, len(watch_ids)), float("nan"), device=device) if watch_ids else None

    base.model.rope_deltas = None  # computed afresh from this batch's images by the prefill
    out = model(**inputs, cache=cache, use_cache=True, logits_to_keep=1)
    # The prefill stored each row's rope offset; the next text position is then real tokens + offset.
    offset = base.model.rope_deltas.to(device).reshape(rows, 1)
    next_pos = mask.sum(dim=1, keepdim=True)
    steps = 0
    for step in range(max_new):
        logits = out.logits[:, -1].to(copy=True, dtype=torch.float32)
        del out
        if watch is not None:
            watched[step, alive] = logits[:, watch] - torch.logsumexp(logits, dim=-1, keepdim=True)
        scores = processors(sequences[:, :width + step], logits) if processors else logits
        if config.do_sample:
            probs = torch.softmax(scores, dim=-1)
            race = torch.empty_like(probs).exponential_()
            chosen = torch.argmax(probs / race, dim=-1)
        else:
            chosen = torch.argmax(scores, dim=-1)
        tokens[alive, step] = chosen
        sequences[:, width + step] = chosen
        steps = step + 1
        running = ~torch.isin(chosen, eos_ids)
        if step + 1 == max_new or not bool(running.any()):
            break
        if not bool(running.all()):
            keep = running.nonzero().squeeze(1)
            alive, chosen, sequences = alive[keep], chosen[keep], sequences[keep]
            mask, offset, next_pos = mask[keep], offset[keep], next_pos[keep]
            cache.batch_select_indices(keep)
        mask = torch.cat([mask, mask.new_ones((mask.shape[0], 1))], dim=1)
        position = (next_pos + offset).unsqueeze(0).expand(3, -1, -1)
        out = model(input_ids=chosen[:, None], attention_mask=mask, position_ids=position, cache=cache,
                    use_cache=True)
        next_pos = next_pos + 1
    return Decoded(tokens[:, :steps], watched[:steps] if watched is not None else None)
