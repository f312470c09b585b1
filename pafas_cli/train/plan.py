"""`pafas sft` and `pafas rl`: what a training run will be, settled before any weights load.

`resolve_sft` / `resolve_rl` read the paths version and the starting model once: the image size the data
was built at must be the model's, the answer format comes from the paths version (`rl.require_think`), and
the GRPO completion budget (`rl.max_completion_length`) is measured in the starting model's tokenizer,
which is loaded here, once, and handed to the run with the plan. Every inherited value is checked by the
section's own `validate()`, and the recipe in the plan is what the manifest records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pafas_cli.config import Recipe
from pafas_cli.console import console
from pafas_cli.errors import PafasError
from pafas_cli.plan import Plan, settle
from pafas_cli.spec import Spec, inherit, model_spec, read_spec
from pafas_cli.train import distributed, launch
from pafas_cli.train.config import TrainerSection, TrainSection
from pafas_cli.workspace import Resolved, Workspace

# Fewer prompts per optimiser step than this made GRPO collapse on the tiny model (feasibility notes, §3).
MIN_PROMPTS_PER_STEP = 8


@dataclass(frozen=True)
class TrainPlan(Plan):
    # --resume: auto, never, or a checkpoint folder.
    resume: str = "auto"
    # Processes asked for (--num-processes); > 1 from a single process = re-launch under torchrun.
    processes: int = 1
    # The starting model's processor when the plan needed its tokenizer (rl's budget), else None (loaded with it).
    processor: Any = None
    # The taxonomy the answers are parsed against (the paths version's copy; rl's rewards).
    taxonomy: Any = None

    @property
    def section(self) -> TrainerSection:
        return getattr(self.recipe, self.stage)

    @property
    def paths(self) -> Resolved:
        """The paths version trained on (sft, rl; pretrain trains on a corpus)."""
        return dict(self.inputs)["paths"]

    @property
    def model(self) -> Resolved:
        return dict(self.inputs)["model"]

    @property
    def relaunch(self) -> bool:
        """True when this process should start `processes` ranks under torchrun instead of training itself."""
        return launch.needs_relaunch(self.processes)


def resolve_sft(recipe: Recipe, ws: Workspace, resume: str = "auto", num_processes: int = 1) -> TrainPlan:
    paths, model, spec = _inputs("sft", recipe, ws, num_processes)
    return TrainPlan("sft", ws, recipe, (("paths", paths), ("model", model)), spec, resume=resume,
                     processes=num_processes)


def resolve_rl(recipe: Recipe, ws: Workspace, resume: str = "auto", num_processes: int = 1) -> TrainPlan:
    from pafas_cli.paths.taxonomy import version_taxonomy
    from pafas_cli.train.rewards import resolve_reward

    cfg = recipe.rl
    processes = num_processes if launch.needs_relaunch(num_processes) else distributed.world_size()
    try:
        cfg.check_batch(processes)
    except ValueError as exc:
        raise PafasError(f"rl.{exc}") from None
    if cfg.prompts_per_step(processes) < MIN_PROMPTS_PER_STEP:
        console.print(f"[yellow]warning:[/] {cfg.prompts_per_step(processes)} prompts per optimiser step; GRPO "
                      f"tends to collapse below {MIN_PROMPTS_PER_STEP} (raise rl.batch_size or rl.grad_accum)")
    for name in cfg.rewards:
        resolve_reward(name, cfg.classification_mode)
    paths, model, spec = _inputs("rl", recipe, ws, num_processes)
    if cfg.select.every:
        from pafas_cli.paths.store import eval_sets

        if "dev" not in eval_sets(paths.path):
            raise PafasError(f"rl.select: {paths.ref} ({paths.path}) has no dev set to choose the step on; rebuild it "
                             "with `pafas build-paths` or set rl.select.every=0")
    found = inherit("rl.require_think", cfg.require_think, spec.require_think, paths.ref)
    settled = settle(recipe, "rl", paths.ref, require_think=True if found is None else found)
    processor = None
    if cfg.max_completion_length is None:
        from pafas_cli.model.loader import load_processor_of
        from pafas_cli.train.grpo import COMPLETION_MARGIN, completion_budget

        processor = load_processor_of(model.ref, ws, recipe.model.trust_remote_code)
        budget = completion_budget(paths.path, processor.tokenizer)
        settled = settle(settled, "rl", f"{paths.ref}'s longest SFT target + {COMPLETION_MARGIN}",
                         max_completion_length=budget)
        console.print(f"rl.max_completion_length: {budget} tokens (the longest SFT target of {paths.ref} in "
                      f"{model.ref}'s tokens + {COMPLETION_MARGIN})", highlight=False)
    return TrainPlan("rl", ws, settled, (("paths", paths), ("model", model)), spec, resume=resume,
                     processes=num_processes, processor=processor, taxonomy=version_taxonomy(paths.path))


def resolve_pretrain(recipe: Recipe, ws: Workspace, resume: str = "auto", num_processes: int = 1) -> TrainPlan:
    """Next-token training on the corpus from a model whose tokenizer covers it; the pretrained version carries
    its start's spec (image size, the paths version behind it), so sft and rl accept it as their model."""
    from pafas_cli.train.tracking import check_trackers

    cfg = recipe.pretrain
    launch.needs_relaunch(num_processes)
    check_trackers("pretrain", cfg.report_to)
    model = ws.resolve(cfg.model, allow_hub=True)
    base = model_spec(model)
    if base is not None and base.stage == "model" and not base.details.get("corpus"):
        raise PafasError(f"pretrain.model: {model.ref}'s tokenizer was trained on the FAS reasoning corpus only, so "
                         "the pretraining texts would be spelled out byte by byte; build the start with `pafas "
                         "init-model --set model.corpus=true` (the same model then serves as the scratch baseline)")
    spec = Spec("pretrain", base.image_size if base else None, base.answer_format if base else None,
                base.paths if base else None, str(model.path) if model.path else model.ref)
    return TrainPlan("pretrain", ws, recipe, (("model", model),), spec, resume=resume, processes=num_processes)


def _inputs(stage: str, recipe: Recipe, ws: Workspace, num_processes: int) -> tuple[Resolved, Resolved, Spec]:
    """The paths version and the starting model, and the spec the trained version will carry."""
    from pafas_cli.train.tracking import check_trackers

    cfg: TrainSection = getattr(recipe, stage)
    launch.needs_relaunch(num_processes)  # refuses a count below 1 before anything is read
    check_trackers(stage, cfg.report_to)
    paths = ws.resolve(cfg.paths, stage="paths")
    model = ws.resolve(cfg.model, allow_hub=True)
    return paths, model, trained_spec(stage, paths, model)


def trained_spec(stage: str, paths: Resolved, model: Resolved) -> Spec:
    """What the trained version will be: the data's image size and answer format, checked against the model's.

    A model initialised for another image size than the data's would train on images its processor
    resizes again: that mismatch is refused here, naming both, before any training."""
    data, base = read_spec(paths.path), model_spec(model)
    model_size, data_size = (base.image_size if base else None), (data.image_size if data else None)
    if model_size is not None and data_size is not None and model_size != data_size:
        raise PafasError(f"{stage}.model: {model.ref} was built for {model_size}-px images, but {paths.ref} holds "
                         f"{data_size}-px images; use a model made from that paths version (pafas init-model) "
                         "or a paths version of its size")
    return Spec(stage, model_size or data_size, data.answer_format if data else None, str(paths.path),
                str(model.path) if model.path else model.ref)
