"""TRL GRPOTrainer on the RL set (conversational `prompt` + three `images`, labels for the rewards).

Rewards come from the registry (`pafas_cli.train.rewards`) with the recipe's weights. The first
reward also records each completion's `id` and `label` through TRL's `log_extra`, so the sampled
completions in completions.jsonl show which sample and truth they were scored against.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pafas_cli.errors import PafasError
from pafas_cli.paths.taxonomy import Taxonomy
from pafas_cli.train import logprobs
from pafas_cli.train.args import build_config, common_kwargs, peft_config
from pafas_cli.train.config import RLSection
from pafas_cli.train.rewards import RewardFn, resolve_reward
from pafas_cli.train.session import RunDir
from pafas_cli.train.tracking import tracking_kwargs

def reward_functions(cfg: RLSection, taxonomy: Taxonomy | None = None) -> tuple[list[RewardFn], list[float]]:
    names = list(cfg.rewards)
    funcs = [resolve_reward(name, cfg.classification_mode, cfg.require_think, taxonomy) for name in names]
    funcs[0] = _with_row_info(funcs[0])
    return funcs, [float(cfg.rewards[name]) for name in names]


def _with_row_info(fn: RewardFn) -> RewardFn:
    def reward(completions: Sequence[Any], **columns: Any) -> list[float | None]:
        log_extra = columns.get("log_extra")
        if log_extra is not None:
            for name in ("id", "label"):
                if columns.get(name) is not None:
                    log_extra(name, list(columns[name]))
        return fn(completions, **columns)

    reward.__name__ = fn.__name__
    return reward


def columns(cfg: RLSection) -> list[str]:
    """The RL set's columns the trainer and the rewards read (the attack path only for hierarchical credit)."""
    return ["prompt", "images", "id", "label"] + (["attack"] if cfg.classification_mode == "hierarchical" else [])


def shown_metrics(cfg: RLSection) -> list[str]:
    """Progress-bar fields: total reward, the classification reward if used, and zero-std groups."""
    shown = ["reward"]
    if "classification" in cfg.rewards:
        shown.append("rewards/classification/mean")
    return shown + ["frac_reward_zero_std"]


# Per-class rates the rewards log (rewards.py: the template and valid-path shares of each class's completions).
PER_CLASS = ("format/live", "format/spoof", "path_valid/live", "path_valid/spoof")


def summary_keys(cfg: RLSection) -> list[str]:
    return (["reward"] + [f"rewards/{_logged_name(n)}/mean" for n in cfg.rewards]
            + ["frac_reward_zero_std", "completions/mean_length", "loss"] + (["kl"] if cfg.beta > 0 else [])
            + list(PER_CLASS))


def _logged_name(name: str) -> str:
    return name.partition(":")[2] or name


def balance_labels(dataset: Any, seed: int) -> Any:
    """The RL set with the rarer class oversampled (seeded) to the size of the commoner one.

    FAS data is spoof-heavy: a policy that always answers "spoof" already earns most of the binary
    classification reward, and GRPO finds that shortcut first. With balanced prompts the only way
    to raise the reward is to read the images.
    """
    import random

    by_label: dict[int, list[int]] = {}
    for index, label in enumerate(dataset["label"]):
        by_label.setdefault(int(label), []).append(index)
    if len(by_label) < 2:
        return dataset
    rng = random.Random(seed)
    size = max(len(indices) for indices in by_label.values())
    chosen = [i for indices in by_label.values() for i in indices + rng.choices(indices, k=size - len(indices))]
    rng.shuffle(chosen)
    return dataset.select(chosen)


# Tokens allowed beyond the longest SFT target (sampling may reword a clause a little longer).
COMPLETION_MARGIN = 16


def completion_budget(paths_dir: Path, tokenizer: Any) -> int:
    """The longest SFT target of a paths version in `tokenizer`'s tokens, plus its end token and a margin.

    Spoof reasoning is longer than live reasoning, so a budget shorter than the longest target cuts off
    (and, with masking, silences; without it, punishes) spoof answers first: GRPO would then learn to
    answer "live" rather than to read the images.
    """
    from pafas_cli.paths.store import sft_answers

    texts = list(set(sft_answers(paths_dir)))
    if not texts:
        raise PafasError(f"{paths_dir}: the paths version has no SFT rows to size rl.max_completion_length from")
    # The Rust tokenizer's lengths alone: the Python encodings of 40,000 answers cost more than the encoding.
    encode = getattr(tokenizer, "backend_tokenizer", None)
    lengths = ([len(e.ids) for e in encode.encode_batch(texts, add_special_tokens=False)] if encode is not None
               else [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]])
    return max(lengths) + 1 + COMPLETION_MARGIN


def build_trainer(cfg: RLSection, seed: int, model: Any, processor: Any, dataset: Any, run: RunDir,
                  taxonomy: Taxonomy | None = None) -> Any:
    """The GRPO trainer; `taxonomy` is the paths version's (answers are parsed against it), None = shipped."""
    from pafas_cli.model.image_cache import image_cache
    from pafas_cli.train.rollouts import trainer_class

    if cfg.balance_labels:
        dataset = balance_labels(dataset, seed)
    funcs, weights = reward_functions(cfg, taxonomy)
    cls = trainer_class(cfg.decoder, image_cache(cfg.image_cache_mib))
    trainer = cls(model=model, reward_funcs=funcs, args=grpo_args(cfg, seed, run, weights),
                  train_dataset=dataset, processing_class=processor, peft_config=peft_config(cfg))
    logprobs.apply(trainer, cfg.logprobs, "rl.logprobs")
    return trainer


def grpo_args(cfg: RLSection, seed: int, run: RunDir, weights: list[float]) -> Any:
    """TRL's GRPOConfig for the section (recipe errors for settings TRL rejects)."""
    from trl import GRPOConfig

    kwargs = common_kwargs(cfg, seed, run.checkpoints, tracking_kwargs(cfg.report_to, "rl", run.path))
    kwargs.update(
        num_generations=cfg.num_generations,
        # TRL counts micro-batches here: k optimiser steps are k x grad_accum of them.
        steps_per_generation=cfg.steps_per_generation * cfg.grad_accum,
        max_completion_length=cfg.max_completion_length,
        mask_truncated_completions=cfg.mask_truncated_completions,
        temperature=cfg.temperature,
        top_p=cfg.top_p,
        beta=cfg.beta,
        loss_type=cfg.loss_type,
        scale_rewards=cfg.scale_rewards,
        epsilon=cfg.epsilon,
        reward_weights=weights,
        log_completions=False,
        use_vllm=cfg.use_vllm,
    )
    if cfg.use_vllm:
        kwargs.update(vllm_mode=cfg.vllm_mode, vllm_gpu_memory_utilization=cfg.vllm_gpu_memory_utilization)
        if cfg.vllm_mode == "server":
            kwargs.update(vllm_server_base_url=cfg.vllm_server_base_url)
    kwargs.update(cfg.trl_args)
    return build_config(GRPOConfig, kwargs, "rl")
