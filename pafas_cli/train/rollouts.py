"""TRL's GRPOTrainer with pafas' rollouts: the pafas decoder and the per-image processor cache.

Two hooks, both on private methods of TRL 1.16's GRPOTrainer (hence the version pin below):
- `_generate_single_turn` (TRL's generation call, after it tokenised the prompts and padded them):
  with `rl.decoder: pafas`, the unwrapped model's `generate` answers from `infer/decode.py` for the
  length of the call: same inputs, same generation config (TRL's, merged over the model's), the
  same sequences layout back (prompt + new tokens, padded after the end token), so TRL's own
  bookkeeping (end-token masks, lengths, rewards) runs unchanged. vLLM, transformers' paged
  generation and tool calls keep TRL's own paths, and so does a model the loop does not cover.
- `_generate_and_score_completions` (every processor call of a step: generation and the forward
  pass): runs inside `caching_images`, so each distinct image of the step is processed once, and
  an image seen in an earlier step not again (`rl.image_cache_mib`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# TRL versions whose GRPOTrainer has the hooked methods with the signatures used here.
SUPPORTED_TRL = ("1.16.",)


def unsupported_trl(decoder: str, image_cache_mib: int, version: str | None = None) -> str | None:
    """Why these settings cannot run on the installed TRL (`version`: that of the installed trl), or None."""
    if decoder != "pafas" and image_cache_mib == 0:
        return None
    if version is None:
        from importlib.metadata import version as installed

        version = installed("trl")
    if version.startswith(SUPPORTED_TRL):
        return None
    return (f"pafas' rollouts (decoder: pafas, image_cache_mib > 0) hook GRPOTrainer of TRL "
            f"{', '.join(v + 'x' for v in SUPPORTED_TRL)}, and trl {version} is installed; set decoder: hf and "
            "image_cache_mib: 0 (TRL's own generation), or install trl 1.16")


def trainer_class(decoder: str, image_cache: Any) -> type:
    """GRPOTrainer, or its subclass with pafas' rollouts (`decoder` "pafas" and/or an `ImageCache`)."""
    from trl import GRPOTrainer

    if decoder != "pafas" and image_cache is None:
        return GRPOTrainer

    class PafasGRPOTrainer(GRPOTrainer):
        """GRPOTrainer whose rollouts use pafas' decoder and image cache (module docstring)."""

        def _generate_and_score_completions(self, inputs):
            from pafas_cli.model.image_cache import caching_images

            with caching_images(self.processing_class, image_cache):
                return super()._generate_and_score_completions(inputs)

        def _generate_single_turn(self, *args, **kwargs):
            if decoder != "pafas":
                return super()._generate_single_turn(*args, **kwargs)
            with pafas_generate(self.accelerator.unwrap_model(self.model_wrapped)):
                return super()._generate_single_turn(*args, **kwargs)

    return PafasGRPOTrainer


@contextmanager
def pafas_generate(model: Any) -> Iterator[None]:
    """Inside the block, `model.generate(**inputs, generation_config=...)` decodes with `infer/decode.py` where
    it applies (else with transformers), returning the same sequences."""
    import torch

    from pafas_cli.infer.decode import decode, generation_config, use_pafas_decoder

    original, had_own = model.generate, "generate" in vars(model)

    def generate(*args, **inputs):
        requested = inputs.pop("generation_config", None)
        config = generation_config(model, requested)
        if args or not use_pafas_decoder(model, config, inputs, "rl.decoder"):
            return original(*args, generation_config=requested, **inputs)
        return torch.cat([inputs["input_ids"], decode(model, inputs, config).tokens], dim=1)

    model.generate = generate
    try:
        yield
    finally:
        if had_own:
            model.generate = original
        else:
            del model.generate
