"""How a trained model is read (`Reading`), and `pafas eval`'s plan: settled before any image is decoded.

A model is read the way it was trained: at the image side of its spec, against the taxonomy of its training
data, expecting `<think>` or not. `resolve_model` works that out once, for eval, explain and serve alike,
from the model's spec and its saved processor (read as JSON, without loading transformers): a model whose
spec and processor disagree on the side is refused, so the images are decoded once, at the one side the
processor, the spec and every reader agree on. A model without a spec (a hub id, a plain folder) is read at
its processor's pinned side, else at the recipe's `paths.image_size`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from pafas_cli.config import Recipe
from pafas_cli.errors import PafasError
from pafas_cli.plan import Plan
from pafas_cli.workspace import Resolved, Workspace

DEV = "dev"
PROTOCOLS = ("P1", "P2", "P3")


@dataclass(frozen=True)
class Reading:
    """How a model reads a face: its input side, answer format, and the reasoning tree of its paths version (its
    taxonomy, the names of its modalities, and the clause reader its reasoning is read with)."""

    side: int
    require_think: bool
    max_new_tokens: int
    tree: Any  # pafas_cli.paths.tree.ReasoningTree
    # Who decodes: pafas' own loop (infer/decode.py, where it applies) or transformers' generate (`eval.decoder`).
    decoder: str = "pafas"

    @property
    def taxonomy(self) -> Any:
        return self.tree.taxonomy

    @property
    def modality_names(self) -> dict[str, str]:
        return dict(self.tree.modality_names)

    @cached_property
    def reader(self) -> Any:
        from pafas_cli.paths.clauses import ClauseReader

        return ClauseReader(self.tree)


@dataclass(frozen=True)
class ModelPlan:
    """One model to run inference with: the reference as given, what it resolved to, its name, its reading."""

    ref: str
    resolved: Resolved
    name: str
    reading: Reading


def resolve_model(ref: str | None, ws: Workspace, recipe: Recipe, fallback_side: int | None = None) -> ModelPlan:
    """The model `ref` names (default: the newest rl, else sft, version) and how to read it.

    `fallback_side` is the side for a model that says none (eval: its paths version's; else the recipe's
    `paths.image_size`)."""
    from pafas_cli.infer import models

    ref = ref or models.default_model(ws)
    resolved = ws.resolve(ref, allow_hub=True)
    think = models.model_require_think(resolved, recipe.eval.require_think)
    side = model_side(resolved, ws, fallback_side or recipe.paths.image_size)
    reading = Reading(side=side, require_think=think, max_new_tokens=recipe.eval.max_new_tokens,
                      tree=models.model_tree(resolved, recipe.paths.taxonomy, recipe.paths.tree),
                      decoder=recipe.eval.decoder)
    return ModelPlan(ref, resolved, models.model_name(resolved, ref), reading)


def model_side(resolved: Resolved, ws: Workspace, fallback: int) -> int:
    """The one image side a model reads: its spec's, checked against its saved processor's pinned side."""
    from pafas_cli.model.loader import processor_folder
    from pafas_cli.model.processor import pinned_side
    from pafas_cli.spec import model_spec

    spec = model_spec(resolved)
    folder = processor_folder(resolved, ws)
    pinned = pinned_side(folder)
    stated = spec.image_size if spec is not None else None
    if stated is not None and pinned is not None and stated != pinned:
        raise PafasError(f"{resolved.ref}: its spec says {stated}-px images, but its processor ({folder}) resizes "
                         f"every image to {pinned} px; the folder is inconsistent: rebuild it (pafas init-model, "
                         "then train again) rather than read it at either size")
    return stated or pinned or fallback


@dataclass(frozen=True)
class EvalPlan(Plan):
    # The models, in the order given, each with how it is read.
    models: tuple[ModelPlan, ...] = ()
    # The sets reported (the dev set is always scored too, for the threshold).
    sets: tuple[str, ...] = ()
    # Every set scored: dev, the Protocol-2 dev copies the paths version has (each condition's threshold), the sets.
    scored: tuple[str, ...] = ()
    split: str = "test"
    protocol: str | None = None

    @property
    def paths(self) -> Resolved:
        return dict(self.inputs)["paths"]


def eval_set_names(split: str, protocol: str | None) -> list[str]:
    """The sets a run reports on (the dev set is always scored too, for the threshold)."""
    from pafas_cli.data.config import P2_TEST_SETS

    if split not in (DEV, "test"):
        raise PafasError(f"--split must be dev or test, got '{split}'")
    if protocol is not None and protocol not in PROTOCOLS:
        raise PafasError(f"--protocol must be one of {', '.join(PROTOCOLS)}, got '{protocol}'")
    if protocol == "P2" and split == DEV:
        raise PafasError("--protocol P2 evaluates the missing-modality test sets; use it with --split test")
    return [split] + (list(P2_TEST_SETS.values()) if protocol == "P2" else [])


def resolve_eval(recipe: Recipe, ws: Workspace, models: list[str], paths: str = "paths:latest",
                 protocol: str | None = None, split: str = "test") -> EvalPlan:
    """The models and the paths version's sets, checked: every set exists, every model reads the sets' image size."""
    from pafas_cli.data.config import P2_DEV_SETS
    from pafas_cli.paths.store import eval_sets
    from pafas_cli.spec import read_spec

    protocol = protocol.upper() if protocol else None
    if not models:
        raise PafasError("eval needs at least one model: --model rl:latest (repeat --model to compare several)")
    names = eval_set_names(split, protocol)
    paths_ref = ws.resolve(paths, stage="paths")
    data = read_spec(Path(paths_ref.path))
    planned = tuple(resolve_model(ref, ws, recipe, data.image_size if data else None) for ref in models)
    twice = sorted({m.name for m in planned if [p.name for p in planned].count(m.name) > 1})
    if twice:
        raise PafasError(f"model {twice[0]} given twice; pass each model once")
    available = set(eval_sets(paths_ref.path))
    for needed in [DEV, *names]:
        if needed not in available:
            raise PafasError(f"{paths_ref.ref} ({paths_ref.path}) has no eval set '{needed}' "
                             f"(it has: {', '.join(sorted(available)) or 'none'}); rebuild it with `pafas build-paths"
                             f"{' --set data.protocol=P2' if needed not in (DEV, split) else ''}`")
    for model in planned:
        if data is not None and data.image_size is not None and model.reading.side != data.image_size:
            raise PafasError(f"{model.name} reads {model.reading.side}-px images, but {paths_ref.ref} holds "
                             f"{data.image_size}-px images; evaluate it on a paths version of its size")
    inputs = (("paths", paths_ref), *((f"model{i}", m.resolved) for i, m in enumerate(planned)))
    conditions = [s for s in P2_DEV_SETS.values() if s in available] if protocol == "P2" else []
    return EvalPlan("eval", ws, recipe, inputs, models=planned, sets=tuple(names),
                    scored=tuple(dict.fromkeys([DEV, *conditions, *names])), split=split, protocol=protocol)


@dataclass(frozen=True)
class ExplainPlan:
    """`pafas explain`: the faces asked for, where the results go, and the model with its reading."""

    request: Any  # infer.explain_io.FaceInputs
    model: ModelPlan
    recipe: Recipe
    workspace: Workspace
    out: Path | None
    html: Path | None
    json_out: bool
    # The command line as given, for the HTML page's subtitle.
    inputs: tuple[str, ...] = ()
    # Modalities a face may lack (--allow-missing; RGB never).
    allow_missing: tuple[str, ...] = ()

    @property
    def single(self) -> bool:
        return self.request.folder is None


def resolve_explain(recipe: Recipe, ws: Workspace, inputs: list[str], model: str | None = None,
                    json_out: bool = False, html: Path | None = None, out: Path | None = None,
                    allow_missing: Sequence[str] = ()) -> ExplainPlan:
    """The faces and output paths checked, then the model (a mistyped --model fails here, before any image is read)."""
    from pafas_cli.infer.explain_io import check_outputs, faces_from_args
    from pafas_cli.infer.modalities import parse_allow_missing

    allowed = parse_allow_missing(allow_missing)
    request = faces_from_args(inputs)
    target = out if out is not None or request.folder is None else Path(f"explain_{request.folder.name}.jsonl")
    check_outputs({"--out": target, "--html": html}, request.faces)
    return ExplainPlan(request, resolve_model(model, ws, recipe), recipe, ws, target, html, json_out, tuple(inputs),
                       allowed)
