"""TRL SFTTrainer on the path-augmented SFT set.

Loss only on the assistant turn: the rows are prompt-completion conversations and TRL's completion-only
loss masks the prompt (portable across transformers versions, unlike its assistant-only loss on image
data, which needs >= 5.18). `max_length=None` because truncation can cut image tokens. The processor
is always passed explicitly (without torchvision AutoProcessor can silently return a bare tokenizer,
which makes TRL treat the model as text-only).
"""

from __future__ import annotations

from typing import Any

from pafas_cli.model.image_cache import CachedCalls, image_cache
from pafas_cli.train import logprobs
from pafas_cli.train.args import build_config, common_kwargs, peft_config
from pafas_cli.train.config import SFTSection
from pafas_cli.train.session import RunDir
from pafas_cli.train.tracking import tracking_kwargs

SFT_COLUMNS = ("prompt", "completion", "images")
SHOWN = ("loss",)
SUMMARY_KEYS = ("loss", "grad_norm")


def build_trainer(cfg: SFTSection, seed: int, model: Any, processor: Any, dataset: Any, run: RunDir) -> Any:
    from trl import SFTConfig, SFTTrainer

    kwargs = common_kwargs(cfg, seed, run.checkpoints, tracking_kwargs(cfg.report_to, "sft", run.path))
    kwargs.update(max_length=None, completion_only_loss=cfg.completion_only_loss)
    args = build_config(SFTConfig, kwargs, "sft")
    trainer = SFTTrainer(model=model, args=args, train_dataset=dataset, processing_class=processor,
                         peft_config=peft_config(cfg))
    cache = image_cache(cfg.image_cache_mib)
    if cache is not None:  # TRL's collator, each distinct image processed once (model/image_cache.py)
        trainer.data_collator = CachedCalls(trainer.data_collator, processor, cache)
    logprobs.apply(trainer, cfg.logprobs, "sft.logprobs")
    return trainer
