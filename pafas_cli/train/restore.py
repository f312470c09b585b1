"""Resume safety: load a checkpoint's weights so that every key lands, and stop a run that went non-finite.

The HF Trainer resumes a full-model checkpoint with `model.load_state_dict(state_dict, strict=False)`. Since
transformers 5, `save_pretrained` writes the checkpoint in the model's original key layout (Qwen2.5-VL's
`model.layers…` rather than the runtime `model.language_model.layers…`), so that load matched no key at all:
the weights silently restarted from the base model while the step, optimizer and scheduler resumed. Here the
weights go through `from_pretrained` (which knows the key conversion) and are copied with a check that no
key is missing or left over; a checkpoint that does not fit stops the run instead.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from pafas_cli.errors import PafasError


def restore_weights(model: Any, checkpoint: Path) -> None:
    """Copy the full-model weights saved in `checkpoint` into `model`; refuse a partial load."""
    fresh = type(model).from_pretrained(str(checkpoint), dtype=next(model.parameters()).dtype)
    result = model.load_state_dict(fresh.state_dict(), strict=False)
    del fresh
    if result.missing_keys or result.unexpected_keys:
        sample = (result.missing_keys or result.unexpected_keys)[:3]
        raise PafasError(
            f"{checkpoint}: its weights do not fit the model ({len(result.missing_keys)} keys missing, "
            f"{len(result.unexpected_keys)} unexpected, e.g. {sample}); refusing to continue from the base "
            "weights. Resume from another checkpoint, or start afresh with --resume never")


def verified_resume(trainer: Any) -> None:
    """Make `trainer.train(resume_from_checkpoint=...)` load full-model weights through `restore_weights`.

    LoRA checkpoints hold only the adapter, which PEFT loads by name; those keep the trainer's own loader.
    """
    from peft import PeftModel

    original = trainer._load_from_checkpoint

    def load(resume_from_checkpoint: str, model: Any = None) -> None:
        target = model if model is not None else trainer.model
        if isinstance(target, PeftModel):
            original(resume_from_checkpoint, model)
        else:
            restore_weights(target, Path(resume_from_checkpoint))

    trainer._load_from_checkpoint = load


def check_finite_weights(model: Any, where: str) -> None:
    """Raise when any parameter holds NaN or infinity (such a model must never be published)."""
    import torch

    broken = [name for name, p in model.named_parameters() if not torch.isfinite(p).all()]
    if broken:
        raise PafasError(f"{where}: {len(broken)} weight tensors are NaN or infinite (e.g. {broken[0]}); the "
                         "run diverged — lower the learning rate or check the data; nothing was published")


class StopOnNonFinite(TrainerCallback):
    """Stop training at the first logged loss or gradient norm that is NaN or infinite."""

    KEYS = ("loss", "grad_norm")

    def on_log(self, args, state, control, logs=None, **kwargs):
        for key in self.KEYS:
            value = (logs or {}).get(key)
            if isinstance(value, float) and not math.isfinite(value):
                raise PafasError(f"step {state.global_step}: the training {key} is {value}; the run diverged "
                                 "(lower the learning rate, check the data); the version is marked failed and "
                                 "never becomes latest")
