"""`pafas eval`: score models on a paths version's eval sets and report FAS metrics side by side.

For each model: greedy reasoning + answer and the teacher-forced liveness score on the dev set
(source domains) and the evaluated sets. The dev EER threshold is applied to the test sets (the
honest number); each set's own EER threshold is reported too, labelled "oracle" (the MMDG-family
convention). P2 adds the three missing-modality test sets. Writes `eval/vNNN/` with `metrics.json`,
`predictions.jsonl` (one line per model x set x face, enough to recompute every number),
`roc.png` and `confusion.png`.
"""

from __future__ import annotations

import gc
from dataclasses import replace
from typing import Any

from pafas_cli.config import Recipe
from pafas_cli.data.config import P2_TEST_SETS
from pafas_cli.console import console, tagged
from pafas_cli.errors import PafasError
from pafas_cli.infer.models import load_for_inference, model_require_think
from pafas_cli.infer.report import at_dev_threshold, attack_type, headline, show_metrics, write_predictions
from pafas_cli.infer.subsample import stratified_indices
from pafas_cli.workspace import Workspace, write_json

DEV = "dev"
PROTOCOLS = ("P1", "P2", "P3")
MISSING_SETS = tuple(P2_TEST_SETS.values())


def eval_set_names(split: str, protocol: str | None) -> list[str]:
    """The sets a run reports on (the dev set is always scored too, for the threshold)."""
    if split not in (DEV, "test"):
        raise PafasError(f"--split must be dev or test, got '{split}'")
    if protocol is not None and protocol not in PROTOCOLS:
        raise PafasError(f"--protocol must be one of {', '.join(PROTOCOLS)}, got '{protocol}'")
    if protocol == "P2" and split == DEV:
        raise PafasError("--protocol P2 evaluates the missing-modality test sets; use it with --split test")
    return [split] + (list(MISSING_SETS) if protocol == "P2" else [])


def model_name(resolved: Any, ref: str) -> str:
    return f"{resolved.stage}:{resolved.version}" if getattr(resolved, "stage", None) else ref


def score_set(loaded: Any, paths_dir: Any, set_name: str, taxonomy: Any, cfg: Any, name: str,
              seed: int) -> list[dict]:
    """Prediction records (without threshold) for one eval set; `cfg.max_samples` faces drawn with `seed`."""
    from pafas_cli.infer.predict import predict
    from pafas_cli.paths.answer import stated_conclusion
    from pafas_cli.paths.store import load_eval

    ds = load_eval(paths_dir, set_name)
    if cfg.max_samples is not None:
        strata = list(zip(ds["label"], ds["domain"], map(attack_type, ds["attack"])))
        ds = ds.select(stratified_indices(strata, cfg.max_samples, seed))
    batches = ((b["prompt"], b["images"]) for b in ds.iter(batch_size=cfg.batch_size))
    preds = predict(loaded.model, loaded.processor, batches, len(ds), taxonomy, cfg.max_new_tokens,
                    description=f"{name} {set_name}", require_think=cfg.require_think,
                    decoder=cfg.decoder)
    meta = ds.remove_columns([c for c in ds.column_names if c in ("images", "prompt")])
    records = []
    for row, p in zip(meta, preds):
        nodes = list(p.answer.nodes) if p.answer.well_formed else None
        stated = stated_conclusion(p.reasoning, taxonomy)
        records.append({
            "model": name, "set": set_name, "id": row["id"], "domain": row["domain"], "attack": list(row["attack"]),
            "modalities": list(row["modalities"]), "label": int(row["label"]), "score": p.score,
            "reasoning": p.reasoning, "answer": nodes,
            "answer_decision": p.answer.decision if p.answer.well_formed else None,
            "well_formed": bool(p.answer.well_formed), "stated": list(stated) if stated else None,
            "stated_decision": taxonomy.decision(stated) if stated else None, "text": p.text,
        })
    return records


def run(recipe: Recipe, ws: Workspace, models: list[str], paths: str = "paths:latest",
        protocol: str | None = None, split: str = "test") -> None:
    from pafas_cli.infer.plots import plot_eval
    from pafas_cli.paths.store import eval_sets
    from pafas_cli.paths.taxonomy import version_taxonomy

    cfg = recipe.eval
    protocol = protocol.upper() if protocol else None
    if not models:
        raise PafasError("eval needs at least one model: --model rl:latest (repeat --model to compare several)")
    names = eval_set_names(split, protocol)
    model_names = [model_name(ws.resolve(ref, allow_hub=True), ref) for ref in models]
    twice = sorted({n for n in model_names if model_names.count(n) > 1})
    if twice:
        raise PafasError(f"model {twice[0]} given twice; pass each model once")
    paths_ref = ws.resolve(paths, stage="paths")
    available = set(eval_sets(paths_ref.path))
    for needed in [DEV, *names]:
        if needed not in available:
            raise PafasError(f"{paths_ref.ref} ({paths_ref.path}) has no eval set '{needed}' "
                             f"(it has: {', '.join(sorted(available)) or 'none'}); rebuild it with `pafas build-paths`")
    taxonomy = version_taxonomy(paths_ref.path)

    records: list[dict] = []
    metrics: dict[str, dict] = {}
    inputs = [paths_ref.as_input("paths")]
    thinking = {name: model_require_think(ws.resolve(ref, allow_hub=True), cfg.require_think)
                for ref, name in zip(models, model_names)}
    for i, (ref, name) in enumerate(zip(models, model_names)):
        loaded = load_for_inference(ref, ws, recipe)
        inputs.append(loaded.resolved.as_input(f"model{i}"))
        model_cfg = replace(cfg, require_think=thinking[name])
        by_set = {s: score_set(loaded, paths_ref.path, s, taxonomy, model_cfg, name, recipe.seed)
                  for s in dict.fromkeys([DEV, *names])}
        scored, stamped = at_dev_threshold(by_set, names, cfg.fpr_targets)
        metrics[name] = {"dev_threshold": scored["dev_threshold"], "require_think": thinking[name],
                         "sets": scored["sets"]}
        records += stamped
        del loaded
        _free_memory()

    show_metrics(metrics, names)
    summary = {
        "paths": paths_ref.as_input("paths"), "split": split, "protocol": protocol, "sets": names,
        "threshold_rule": "EER threshold of the dev set (honest); 'oracle' = each set's own EER threshold",
        "score": ("P(live branch) among top-level answer branches, read at the branch tokens after the reasoning "
                  "(in the generation pass where the model wrote the training text, else teacher-forced)"),
        "models": metrics,
    }
    sections = {"seed": recipe.seed, "eval": recipe.to_dict()["eval"], "model": recipe.to_dict()["model"]}
    with ws.start("eval", sections, inputs=inputs, seed=recipe.seed) as writer:
        write_json(writer.path / "metrics.json", summary)
        write_predictions(writer.path / "predictions.jsonl", records)
        plot_eval(writer.path, records, metrics, names)
        first = next(iter(metrics.values()))["sets"][names[0]]
        writer.set_metrics({k: v for k, v in headline(first).items() if isinstance(v, (int, float))})
    console.print(tagged("wrote", "green", f"{writer.path} ({len(records)} predictions)"))


def _free_memory() -> None:
    gc.collect()
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()
