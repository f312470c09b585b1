"""`pafas baseline`: the three-stream CNN floor, trained from scratch (or from streams pretrained on the corpus's
attributes, `baseline.init`) and scored like `pafas eval` scores a VLM.

Trains on the paths version's training samples (one row per sample: the samples every SFT variant of that
version is built from), takes the EER threshold of its dev set and reports every other eval set it holds
(test, and P2's missing-modality sets when the version was built with them) with the same metric code.
Writes baseline/vNNN: model.pt (state dict + architecture), metrics.json and predictions.jsonl in the eval
format (the answer fields null: a classifier writes no text), roc.png, confusion.png, train.jsonl.
"""

from __future__ import annotations

import json
import time

from pafas_cli.baseline.plan import BaselinePlan
from pafas_cli.console import console, kv_table, tagged
from pafas_cli.infer.report import (at_dev_threshold, condition_thresholds, headline, show_metrics,
                                    write_predictions)
from pafas_cli.workspace import write_json


def run(plan: BaselinePlan) -> str:
    """Train, score, write the version; returns its reference (baseline:vNNN)."""
    import torch

    from pafas_cli.baseline.data import blank_images, load_faces
    from pafas_cli.baseline.fit import score, train
    from pafas_cli.infer.plots import plot_eval
    from pafas_cli.spec import write_spec

    recipe, cfg, paths, side = plan.recipe, plan.recipe.baseline, plan.paths, plan.side
    sets, reported = plan.sets, plan.reported
    init = None
    if "init" in dict(plan.inputs):
        from pafas_cli.baseline.pretrain import load_trunk

        init = load_trunk(dict(plan.inputs)["init"].path, cfg.width)

    started = time.perf_counter()
    faces = {"train": load_faces(paths.path, "rl", side),
             **{s: load_faces(paths.path, f"eval/{s}", side) for s in sets}}
    blank = blank_images(paths.path, side)
    history: list[dict] = []

    def on_epoch(row: dict) -> None:
        history.append(row)
        console.print(f"epoch {row['epoch']:>3}/{cfg.epochs}  loss {row['loss']:.4f}  accuracy {row['accuracy']:.3f}",
                      highlight=False)

    console.print(f"training the three-stream CNN ({'from ' + cfg.init if init else 'from scratch'}) "
                  f"on {len(faces['train'])} samples of {paths.ref} "
                  f"({side}x{side}, {cfg.epochs} epochs, {torch.get_num_threads()} threads)", highlight=False)
    model = train(faces["train"], cfg, recipe.seed, blank, on_epoch, init=init)
    trained = time.perf_counter() - started

    name = "baseline"
    by_set: dict[str, list[dict]] = {}
    for set_name in sets:
        table = faces[set_name]
        scores = score(model, table)
        by_set[set_name] = [
            {"model": name, "set": set_name, "id": i, "domain": d, "attack": list(a), "modalities": list(m),
             "label": int(lab), "score": sc, "reasoning": None, "answer": None, "answer_decision": None,
             "well_formed": None, "stated": None, "stated_decision": None, "text": None}
            for i, d, a, m, lab, sc in zip(table.rows["id"], table.rows["domain"], table.rows["attack"],
                                           table.rows["modalities"], table.rows["label"], scores)]
    scored, records = at_dev_threshold(by_set, reported, recipe.eval.fpr_targets)
    metrics = {name: {"dev_threshold": scored["dev_threshold"], "require_think": None, "sets": scored["sets"],
                      "conditions": condition_thresholds(by_set)}}
    show_metrics(metrics, reported)

    with plan.start() as writer:
        parameters = sum(p.numel() for p in model.parameters())
        torch.save({"state_dict": model.state_dict(),
                    "architecture": {"width": cfg.width, "dropout": cfg.dropout, "image_size": side}},
                   writer.path / "model.pt")
        write_spec(writer.path, plan.spec)
        summary = {
            "paths": paths.as_input("paths"), "split": "test", "protocol": "P2" if len(reported) > 1 else None,
            "sets": reported,
            "threshold_rule": "EER threshold of the dev set (honest); 'oracle' = each set's own EER threshold",
            "score": "P(live) from the three-stream CNN (sigmoid of its logit)", "models": metrics,
        }
        write_json(writer.path / "metrics.json", summary)
        write_predictions(writer.path / "predictions.jsonl", records)
        with (writer.path / "train.jsonl").open("w", encoding="utf-8") as fh:
            for row in history:
                fh.write(json.dumps(row) + "\n")
        plot_eval(writer.path, records, metrics, reported)
        first = metrics[name]["sets"][reported[0]]
        numbers = {k: v for k, v in headline(first).items() if isinstance(v, (int, float))}
        writer.set_metrics({**numbers, "parameters": parameters, "train_seconds": round(trained, 1),
                            "train_loss_end": history[-1]["loss"]})
    console.print(kv_table("baseline", {"parameters": f"{parameters:,}", "train seconds": f"{trained:.1f}",
                                        "faces scored": len(records)}))
    console.print(tagged("wrote", "green", f"{writer.path} ({len(records)} predictions)"))
    return writer.ref
