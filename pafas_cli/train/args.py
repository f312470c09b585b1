"""Recipe section -> keyword arguments for TRL's SFTConfig / GRPOConfig (the settings both share).

CPU runs need three TRL defaults overridden (feasibility.md §2): bf16 (TRL turns it on), gradient
checkpointing (on by default and slower; set under its new name, activation_checkpointing, where the
installed transformers has it, to avoid a deprecation warning) and tqdm printing (we show our own bar).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pafas_cli.train.config import TrainerSection


def precision_flags(precision: str) -> dict[str, bool]:
    """bf16/fp16 flags for the Trainer; `auto` = bf16 where the GPU supports it, else fp32."""
    import torch

    if precision == "auto":
        precision = "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "fp32"
    return {"bf16": precision == "bf16", "fp16": precision == "fp16"}


def checkpointing_key() -> str:
    """`activation_checkpointing` (transformers >= 5.18) or its older name on e.g. the GPU image's 5.17."""
    import inspect

    from transformers import TrainingArguments

    params = inspect.signature(TrainingArguments).parameters
    return "activation_checkpointing" if "activation_checkpointing" in params else "gradient_checkpointing"


def common_kwargs(cfg: TrainerSection, seed: int, output_dir: Path, tracking: dict[str, Any] | None = None
                  ) -> dict[str, Any]:
    """The shared TRL settings; `tracking` = report_to / run_name / project (train/tracking.py), default none."""
    import torch

    kwargs: dict[str, Any] = dict(
        output_dir=str(output_dir),
        seed=seed,
        learning_rate=cfg.learning_rate,
        lr_scheduler_type=cfg.lr_scheduler,
        warmup_steps=cfg.warmup_steps,
        per_device_train_batch_size=cfg.batch_size,
        gradient_accumulation_steps=cfg.grad_accum,
        max_steps=cfg.max_steps if cfg.max_steps > 0 else -1,
        num_train_epochs=cfg.epochs,
        weight_decay=cfg.weight_decay,
        max_grad_norm=cfg.max_grad_norm,
        logging_steps=cfg.logging_steps,
        logging_first_step=True,
        save_strategy="steps" if cfg.save_steps > 0 else "no",
        save_steps=cfg.save_steps if cfg.save_steps > 0 else 500,
        save_total_limit=cfg.save_total_limit or None,
        **{checkpointing_key(): cfg.gradient_checkpointing},
        **(tracking or {"report_to": "none"}),
        disable_tqdm=True,
        use_cpu=not torch.cuda.is_available(),
        **precision_flags(cfg.precision),
    )
    kwargs.update(cfg.trl_args)
    return kwargs


def peft_config(cfg: TrainerSection):
    """A peft LoraConfig when the recipe asks for adapters, else None (full fine-tuning)."""
    if not cfg.lora.enabled:
        return None
    from peft import LoraConfig

    targets = cfg.lora.target_modules
    return LoraConfig(r=cfg.lora.r, lora_alpha=cfg.lora.alpha, lora_dropout=cfg.lora.dropout,
                      target_modules="all-linear" if targets == ["all-linear"] else list(targets),
                      task_type="CAUSAL_LM")


def build_config(config_cls: type, kwargs: dict[str, Any], section: str):
    """Instantiate a TRL config, turning its ValueErrors (bad trl_args, bad combos) into recipe errors."""
    from pafas_cli.errors import PafasError

    try:
        return config_cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise PafasError(f"{section}: TRL rejected the settings: {exc}") from None
