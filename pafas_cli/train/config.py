"""The `sft` and `rl` recipe sections: the TRL trainer settings the toolkit exposes.

Both sections share `TrainSection` (model, data, optimiser, schedule, checkpoints, LoRA); `RLSection`
adds GRPO sampling and the reward mix. Anything TRL offers beyond these goes through `trl_args`. The
classes are named `...Section`, not `...Config`, so that they never read as TRL's `SFTConfig` /
`GRPOConfig` or peft's `LoraConfig`, which the trainer code builds from them.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Literal

Schedule = Literal["constant", "constant_with_warmup", "linear", "cosine", "cosine_with_min_lr"]
Precision = Literal["auto", "fp32", "bf16", "fp16"]


@dataclass
class LoraSection:
    # Train low-rank adapters instead of all weights (for real checkpoints; the random tiny model needs full FT).
    enabled: bool = False
    # Adapter rank.
    r: int = 16
    # Adapter scaling numerator (effective scale alpha / r).
    alpha: int = 32
    # Dropout on the adapter input.
    dropout: float = 0.05
    # Modules to adapt: ["all-linear"] or module names such as [q_proj, v_proj].
    target_modules: list[str] = field(default_factory=lambda: ["all-linear"])
    # On save, merge the adapters into a plain HF model folder; false keeps adapter + base reference.
    merge: bool = True

    def validate(self) -> None:
        if self.r < 1:
            raise ValueError("lora.r: must be >= 1")
        if self.alpha < 1:
            raise ValueError("lora.alpha: must be >= 1")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError("lora.dropout: must be in [0, 1)")
        if not self.target_modules:
            raise ValueError("lora.target_modules: list at least one module name, or [all-linear]")


@dataclass
class TrainerSection:
    """What every training stage gives TRL's trainer: the model, optimiser, schedule, checkpoints, LoRA, tracking."""

    # Model to train: a workspace ref (model:latest, pretrain:latest, sft:v002), a folder, or a hub id.
    model: str = "model:latest"
    # Peak learning rate.
    learning_rate: float = 1e-3
    # Learning-rate schedule (transformers names).
    lr_scheduler: Schedule = "constant_with_warmup"
    # Linear warm-up steps before the schedule.
    warmup_steps: int = 10
    # Rows per device per micro-step (for rl: completions, i.e. prompts x num_generations).
    batch_size: int = 8
    # Micro-steps accumulated per optimiser step.
    grad_accum: int = 1
    # Optimiser steps; 0 = train for `epochs` instead.
    max_steps: int = 300
    # Passes over the data when max_steps is 0.
    epochs: float = 1.0
    # AdamW weight decay.
    weight_decay: float = 0.0
    # Gradient clipping norm (0 = off).
    max_grad_norm: float = 1.0
    # Log (metrics.jsonl, progress bar) every this many steps.
    logging_steps: int = 10
    # Checkpoint every this many steps (0 = never; a killed run then cannot resume).
    save_steps: int = 50
    # Checkpoints kept in the unfinished version (older ones are deleted; 0 = keep all).
    save_total_limit: int = 2
    # Keep checkpoints/ in the finished version (normally removed once the model is saved).
    keep_checkpoints: bool = False
    # auto = bf16 on a GPU that supports it, fp32 on CPU.
    precision: Precision = "auto"
    # Recompute activations in the backward pass (saves GPU memory, costs time).
    gradient_checkpointing: bool = False
    # Low-rank adapters.
    lora: LoraSection = field(default_factory=LoraSection)
    # Experiment trackers TRL reports to, e.g. [tensorboard] (or trackio, wandb, mlflow, ...); [] = none.
    # Runs are named after the version (sft:v003); TensorBoard and W&B write into <version>/runs/.
    report_to: list[str] = field(default_factory=list)
    # Extra TRL config fields passed through unchanged (e.g. {dataloader_num_workers: 2}).
    trl_args: dict = field(default_factory=dict)
    # Keep the image processor's output per distinct image (pixel values + grid) up to this many MiB, so an
    # image repeated across rows and steps is processed once; identical tensors (pafas_cli/model/image_cache.py).
    # 0 = off. The tiny quickstart's training images need ~180 MiB; the 3B model's 224-px ones ~1.2 MiB each.
    image_cache_mib: int = 1024
    # Who computes the loss's per-token log-probabilities: trl = TRL's fused LM head (on a CPU it scores every
    # position, prompt and padding too), pafas = the label positions only with a plain log-softmax (equal to float
    # rounding; holds those positions' logits: pafas_cli/train/logprobs.py), auto = pafas on a CPU, trl on CUDA/XPU.
    logprobs: Literal["auto", "trl", "pafas"] = "auto"

    def validate(self) -> None:
        positive = {"learning_rate": self.learning_rate, "batch_size": self.batch_size,
                    "grad_accum": self.grad_accum, "logging_steps": self.logging_steps}
        for key, value in positive.items():
            if value <= 0:
                raise ValueError(f"{key}: must be > 0, got {value}")
        for key in ("max_steps", "warmup_steps", "save_steps", "save_total_limit", "image_cache_mib"):
            if getattr(self, key) < 0:
                raise ValueError(f"{key}: must be >= 0, got {getattr(self, key)}")
        if self.max_steps == 0 and self.epochs <= 0:
            raise ValueError("epochs: must be > 0 when max_steps is 0")
        if self.max_grad_norm < 0:
            raise ValueError(f"max_grad_norm: must be >= 0, got {self.max_grad_norm}")
        reserved = set(self.trl_args) & RESERVED_TRL_ARGS
        if reserved:
            raise ValueError(f"trl_args: {sorted(reserved)} are set by pafas; use the recipe keys instead"
                             + (" (report_to: the section's own report_to key)" if "report_to" in reserved else ""))
        for name in self.report_to:
            if name not in TRACKERS:
                close = difflib.get_close_matches(str(name), TRACKERS, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                raise ValueError(f"report_to: unknown tracker '{name}' (known: {', '.join(TRACKERS)}; "
                                 f"[] = none){hint}")
        if len(set(self.report_to)) != len(self.report_to):
            raise ValueError(f"report_to: a tracker is listed twice: {self.report_to}")
        self.lora.validate()


@dataclass
class TrainSection(TrainerSection):
    """A stage that trains on a paths version (sft, rl)."""

    # Paths version holding the training set.
    paths: str = "paths:latest"


# TRL fields pafas owns (output folder, resume, logging); trl_args may not override them.
RESERVED_TRL_ARGS = {"output_dir", "resume_from_checkpoint", "report_to", "disable_tqdm", "logging_dir",
                     "save_strategy", "log_completions", "max_length", "run_name"}
# TRL generation back-ends that drop the images of a vision-language prompt.
IMAGE_BLIND_GENERATION = ("use_transformers_continuous_batching", "use_transformers_paged")
# The experiment trackers transformers integrates (`report_to` values; "all" and "none" are not accepted:
# list the trackers, or leave the list empty).
TRACKERS = ("azure_ml", "clearml", "codecarbon", "comet_ml", "dagshub", "dvclive", "flyte", "mlflow", "swanlab",
            "tensorboard", "trackio", "wandb")


@dataclass
class SFTSection(TrainSection):
    # Loss on the completion (the assistant answer) only, TRL's `completion_only_loss`; false also trains on the
    # prompt. (Named after what it feeds: TRL's own `assistant_only_loss` is another mechanism.)
    completion_only_loss: bool = True


@dataclass
class SelectSection:
    """GRPO step selection on the source-domain dev set (train/select.py): the test domain never chooses."""

    # Score the policy at the start and every this many optimiser steps (0 = off: the last step is the model).
    every: int = 0
    # Dev faces scored: a fixed stratified subset (label, domain, attack type) of the paths version's dev set.
    faces: int = 64
    # Stop once the dev reward has not improved for this many evaluations in a row.
    patience: int = 2

    def validate(self) -> None:
        for key in ("every", "faces", "patience"):
            if getattr(self, key) < (0 if key == "every" else 1):
                raise ValueError(f"{key}: must be >= {0 if key == 'every' else 1}, got {getattr(self, key)}")


@dataclass
class RLSection(TrainSection):
    # Model to start GRPO from.
    model: str = "sft:latest"
    # Peak learning rate (paper: constant 1e-6).
    learning_rate: float = 5e-4
    # Completions per device per micro-step; must be divisible into groups of num_generations.
    batch_size: int = 32
    # Optimiser steps (paper: 500).
    max_steps: int = 150
    # Completions sampled per prompt (the GRPO group size G).
    num_generations: int = 4
    # Optimiser steps fed by one generation call (TRL's steps_per_generation): 1 = generate every step; k > 1
    # samples k steps' completions in one larger batch (cheaper per completion where generation is
    # latency-bound, e.g. on a GPU) and trains on them over the next k steps, the later ones slightly
    # off-policy (TRL's clipped importance ratio corrects for it). docs/training.md has the measured costs.
    steps_per_generation: int = 1
    # Longest completion in tokens; null = from the paths version: its longest SFT target in the model's
    # tokens plus COMPLETION_MARGIN (a fixed number shorter than the spoof targets rewards only live answers).
    max_completion_length: int | None = None
    # Leave completions cut at max_completion_length out of the loss (DAPO's overlong filtering): a cut-off
    # falls on the longer answers, so punishing it teaches "give the short answer", not "give the right one".
    mask_truncated_completions: bool = True
    # Sampling temperature for the rollouts.
    temperature: float = 1.0
    # Nucleus sampling for the rollouts.
    top_p: float = 1.0
    # KL weight to the starting model (paper: 0; > 0 keeps the reasoning text fluent, loads a reference model).
    beta: float = 0.04
    # GRPO loss normalisation (TRL names).
    loss_type: Literal["grpo", "dapo", "dr_grpo", "bnpo"] = "dapo"
    # Advantage scaling: per group, per batch, or none.
    scale_rewards: Literal["group", "batch", "none"] = "group"
    # PPO clip range epsilon.
    epsilon: float = 0.2
    # Reward name (from pafas_cli.train.rewards, or module:function) -> weight.
    rewards: dict = field(default_factory=lambda: {"format": 1.0, "classification": 1.0})
    # binary = live/spoof (paper); hierarchical = partial credit for each correct level of the attack path.
    classification_mode: Literal["binary", "hierarchical"] = "binary"
    # false for answer-only models (paths.augmentation raw): rewards accept `<answer>[...]</answer>` without `<think>`.
    # null = from the paths version's answer format.
    require_think: bool | None = None
    # Oversample the rarer class so live and spoof prompts are equally frequent (off in the paper recipe).
    balance_labels: bool = False
    # Completions written to completions.jsonl per logging step (0 = none).
    log_completions: int = 4
    # Who decodes the rollouts: pafas = pafas_cli/infer/decode.py (finished rows leave the batch; TRL 1.16
    # only), hf = TRL's call of transformers' generate. Same per-token distribution; docs/training.md has the costs.
    decoder: Literal["pafas", "hf"] = "pafas"
    # Keep the step whose greedy answers earn the most reward on the dev set, stop when it stops rising.
    select: SelectSection = field(default_factory=SelectSection)
    # Generate rollouts with vLLM (GPU only; pip install vllm).
    use_vllm: bool = False
    # colocate = vLLM inside each training process; server = a separate `trl vllm-serve` process.
    vllm_mode: Literal["colocate", "server"] = "colocate"
    # GPU memory share vLLM may take in colocate mode.
    vllm_gpu_memory_utilization: float = 0.3
    # URL of the vLLM server in server mode.
    vllm_server_base_url: str = "http://localhost:8000"

    def validate(self) -> None:
        super().validate()
        if self.num_generations < 2:
            raise ValueError(f"num_generations: must be >= 2 (GRPO compares completions within a group), "
                             f"got {self.num_generations}")
        if self.steps_per_generation < 1:
            raise ValueError(f"steps_per_generation: must be >= 1, got {self.steps_per_generation}")
        owned = {"steps_per_generation", "generation_batch_size"} & set(self.trl_args)
        if owned:
            raise ValueError(f"trl_args: {sorted(owned)} are set by pafas; use rl.steps_per_generation instead")
        blind = [k for k in IMAGE_BLIND_GENERATION if self.trl_args.get(k)]
        if blind:
            raise ValueError(f"trl_args: {blind[0]} generates from the prompt token ids alone (TRL 1.16 passes no "
                             "pixel values to transformers' continuous batching), so the policy would answer "
                             "without seeing the faces; leave it off (docs/training.md, generation speed)")
        from pafas_cli.train.rollouts import unsupported_trl

        problem = unsupported_trl(self.decoder, self.image_cache_mib)
        if problem:
            raise ValueError(f"decoder: {problem}")
        if self.max_completion_length is not None and self.max_completion_length < 1:
            raise ValueError("max_completion_length: must be >= 1 or null (from the paths version)")
        if self.temperature <= 0:
            raise ValueError("temperature: must be > 0")
        if not 0 < self.top_p <= 1:
            raise ValueError("top_p: must be in (0, 1]")
        if self.beta < 0:
            raise ValueError("beta: must be >= 0")
        if self.log_completions < 0:
            raise ValueError("log_completions: must be >= 0")
        try:
            self.select.validate()
        except ValueError as exc:
            raise ValueError(f"select.{exc}") from None
        if not self.rewards:
            raise ValueError("rewards: name at least one reward, e.g. {format: 1.0, classification: 1.0}")
        from pafas_cli.train.rewards import REWARDS

        for name, weight in self.rewards.items():
            if ":" not in str(name) and name not in REWARDS:
                raise ValueError(f"rewards: unknown reward '{name}' (known: {', '.join(sorted(REWARDS))}; "
                                 "or give module:function)")
            if isinstance(weight, bool) or not isinstance(weight, (int, float)):
                raise ValueError(f"rewards.{name}: the weight must be a number, got {weight!r}")

    def check_batch(self, num_processes: int) -> None:
        """TRL needs whole groups per generation batch: processes x batch x grad_accum divisible by G."""
        total = num_processes * self.batch_size * self.grad_accum
        if total % self.num_generations:
            raise ValueError(
                f"batch_size: {num_processes} process(es) x batch_size {self.batch_size} x grad_accum "
                f"{self.grad_accum} = {total} completions is not divisible by num_generations "
                f"{self.num_generations}")

    def prompts_per_step(self, num_processes: int) -> int:
        return num_processes * self.batch_size * self.grad_accum // self.num_generations
