"""Save the trained model into `<version>/model/`: an ordinary HF folder that `load_model` reads back.

Full fine-tuning saves the weights. LoRA saves the adapter (`<version>/adapter/`) and, with
`lora.merge`, merges it into a fresh copy of the base loaded from disk, which also works when the
training weights were sharded by ZeRO-3; without merge, `model/` holds the adapter, whose
`adapter_config.json` names the base (the version's spec.json and manifest record it too). The
processor is re-saved in the portable layout each time,
because the trainer writes it under its runtime class name.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pafas_cli.model.loader import MODEL_SUBDIR
from pafas_cli.train.config import TrainerSection

ADAPTER_DIR = "adapter"
# The trainer pickles its arguments next to the weights; a model folder should hold no pickles.
TRAINING_ARGS = "training_args.bin"


def save_trained(trainer: Any, cfg: TrainerSection, out: Path, is_main: bool, processor: Any,
                 load_base: Callable[[], Any]) -> Path:
    """Call on every rank (saving gathers sharded weights); only rank 0 writes the extra files."""
    from pafas_cli.model.processor import save_portable
    from pafas_cli.train.restore import check_finite_weights

    check_finite_weights(trainer.model, str(out))
    model_dir = out / MODEL_SUBDIR
    target = (out / ADAPTER_DIR) if cfg.lora.enabled and cfg.lora.merge else model_dir
    trainer.save_model(str(target))
    if is_main:
        if cfg.lora.enabled:
            save_portable(processor, target)
        if cfg.lora.enabled and cfg.lora.merge:
            from peft import PeftModel

            merged = PeftModel.from_pretrained(load_base(), str(target)).merge_and_unload()
            merged.save_pretrained(str(model_dir))
        save_portable(processor, model_dir)
        for folder in {target, model_dir}:
            (folder / TRAINING_ARGS).unlink(missing_ok=True)
    trainer.accelerator.wait_for_everyone()
    return model_dir
