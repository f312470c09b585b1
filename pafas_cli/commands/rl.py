"""`pafas rl`: GRPO on the RL set with registry rewards (TRL GRPOTrainer), from `sft:latest` by default.

One process:  pafas rl --recipe quickstart/grpo.yaml
N processes:  pafas rl --num-processes N   (torchrun; or `accelerate launch --config_file
              recipes/accelerate/zero2.yaml -m pafas_cli rl --recipe paper/grpo.yaml` on GPUs)
Writes rl/vNNN: model/, metrics.jsonl (per-reward means, frac_reward_zero_std, lengths),
completions.jsonl (sampled completions per logging step), rewards.png, manifest.json.
"""

from __future__ import annotations

from functools import partial

from rich.text import Text

from pafas_cli.config import Recipe
from pafas_cli.console import console
from pafas_cli.errors import PafasError
from pafas_cli.spec import inherit, read_spec
from pafas_cli.train import distributed, launch
from pafas_cli.workspace import Workspace

# Fewer prompts per optimiser step than this made GRPO collapse on the tiny model (feasibility.md §3).
MIN_PROMPTS_PER_STEP = 8


def run(recipe: Recipe, ws: Workspace, resume: str = "auto", num_processes: int = 1) -> None:
    cfg = recipe.rl
    processes = num_processes if launch.needs_relaunch(num_processes) else distributed.world_size()
    try:
        cfg.check_batch(processes)
    except ValueError as exc:
        raise PafasError(f"rl.{exc}") from None
    if cfg.prompts_per_step(processes) < MIN_PROMPTS_PER_STEP:
        console.print(f"[yellow]warning:[/] {cfg.prompts_per_step(processes)} prompts per optimiser step; GRPO "
                      f"tends to collapse below {MIN_PROMPTS_PER_STEP} (raise rl.batch_size or rl.grad_accum)")
    if processes > 1 and distributed.world_size() == 1:
        launch.relaunch("rl", recipe, ws.root, resume, num_processes)
        return
    from pafas_cli.paths.store import load_rl
    from pafas_cli.paths.taxonomy import version_taxonomy
    from pafas_cli.train import grpo
    from pafas_cli.train.rewards import resolve_reward
    from pafas_cli.train.stage import StageSpec, train_stage

    for name in cfg.rewards:
        resolve_reward(name, cfg.classification_mode)
    paths_ref = ws.resolve(cfg.paths, stage="paths")
    paths_dir = paths_ref.path
    taxonomy = version_taxonomy(paths_dir)
    upstream = read_spec(paths_dir)
    found = inherit("rl.require_think", cfg.require_think, upstream.require_think if upstream else None, paths_ref.ref)
    cfg.require_think = True if found is None else found
    if cfg.max_completion_length is None:
        cfg.max_completion_length = _completion_budget(cfg.model, paths_dir, ws)
        console.print(Text(f"rl.max_completion_length: {cfg.max_completion_length} tokens (the longest SFT target "
                           f"of {cfg.paths} + {grpo.COMPLETION_MARGIN})"))
    columns = ["prompt", "images", "id", "label"] + (["attack"] if cfg.classification_mode == "hierarchical" else [])
    keys = grpo.summary_keys(cfg)
    spec = StageSpec(
        name="rl",
        load_dataset=load_rl,
        columns=columns,
        conversation_column="prompt",
        build_trainer=partial(grpo.build_trainer, taxonomy=taxonomy),
        shown=grpo.shown_metrics(cfg),
        summary_keys=keys,
        plot_keys=keys,
        plot_file="rewards.png",
        completions=cfg.log_completions,
    )
    train_stage(spec, cfg, recipe, ws, resume)


def _completion_budget(model_ref: str, paths_dir, ws: Workspace) -> int:
    """`grpo.completion_budget` in the tokenizer of the model GRPO starts from (no weights loaded)."""
    from pafas_cli.model.loader import load_processor_of
    from pafas_cli.train import grpo

    return grpo.completion_budget(paths_dir, load_processor_of(model_ref, ws).tokenizer)
