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

from pafas_cli.console import console, tagged
from pafas_cli.infer.models import load_for_inference
from pafas_cli.infer.plan import EvalPlan
from pafas_cli.infer.report import (at_dev_threshold, attack_type, condition_thresholds, headline, show_metrics,
                                    write_predictions)
from pafas_cli.infer.subsample import stratified_indices
from pafas_cli.workspace import write_json

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


def run(plan: EvalPlan) -> None:
    """Score every model of the plan on its sets and write one eval version."""
    from pafas_cli.infer.plots import plot_eval
    from pafas_cli.paths.clauses import ClauseReader
    from pafas_cli.paths.taxonomy import version_taxonomy
    from pafas_cli.paths.tree import version_tree

    cfg, recipe = plan.recipe.eval, plan.recipe
    names = list(plan.sets)
    taxonomy = version_taxonomy(plan.paths.path)
    reader = ClauseReader(version_tree(plan.paths.path))
    records: list[dict] = []
    metrics: dict[str, dict] = {}
    for model in plan.models:
        loaded = load_for_inference(model.ref, plan.workspace, recipe)
        model_cfg = replace(cfg, require_think=model.reading.require_think)
        by_set = {s: score_set(loaded, plan.paths.path, s, taxonomy, model_cfg, model.name, recipe.seed)
                  for s in plan.scored}
        scored, stamped = at_dev_threshold(by_set, names, cfg.fpr_targets, reader)
        metrics[model.name] = {"dev_threshold": scored["dev_threshold"], "require_think": model.reading.require_think,
                               "sets": scored["sets"], "conditions": condition_thresholds(by_set)}
        records += stamped
        del loaded
        _free_memory()

    show_metrics(metrics, names)
    summary = {
        "paths": plan.paths.as_input("paths"), "split": plan.split, "protocol": plan.protocol, "sets": names,
        "threshold_rule": "EER threshold of the dev set (honest); 'oracle' = each set's own EER threshold",
        "score": ("P(live branch) among top-level answer branches, read at the branch tokens after the reasoning "
                  "(in the generation pass where the model wrote the training text, else teacher-forced)"),
        "models": metrics,
    }
    with plan.start() as writer:
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
