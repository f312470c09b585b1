"""Metrics of one scored eval set from its prediction records, and the tables that show them.

A prediction record is one line of `predictions.jsonl` (see docs/contracts.md, Infer); everything
here is computed from those records alone, so the numbers can be recomputed from the file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.table import Table

from pafas_cli.console import console, fmt, rows_table
from pafas_cli.errors import PafasError
from pafas_cli.infer.faithfulness import reasoning_rates
from pafas_cli.metrics import compute_metrics, eer, per_group, rates_at

# Headline rows of the side-by-side table: (label, set-metrics key path).
HEADLINE = (
    ("HTER @dev thr", ("honest", "hter")),
    ("AUC", ("honest", "auc")),
    ("EER", ("honest", "eer")),
    ("APCER @dev thr", ("honest", "apcer")),
    ("APCER worst type", ("honest", "apcer_max")),
    ("BPCER @dev thr", ("honest", "bpcer")),
    ("ACER (ISO) @dev thr", ("honest", "acer")),
    ("HTER @oracle thr", ("oracle", "hter")),
    ("dev threshold", ("honest", "threshold")),
    ("oracle threshold", ("oracle", "threshold")),
    ("format rate", ("format_rate",)),
    ("answer accuracy", ("answer_accuracy",)),
    ("answer balanced acc.", ("answer_balanced_accuracy",)),
    ("reasoning verdict bal. acc.", ("reasoning_balanced_accuracy",)),
    ("think/answer consistency", ("consistency",)),
    ("clauses per face", ("reasoning", "clauses_per_face")),
    ("clauses parsed", ("reasoning", "parsed_rate")),
    ("clause accuracy", ("reasoning", "clause_accuracy")),
    ("grounded verdicts", ("reasoning", "grounded_rate")),
    ("cites a missing modality", ("reasoning", "hallucination_rate")),
    ("faces", ("honest", "n")),
)

# The oracle-threshold numbers kept next to the honest ones (the threshold-free ones would only repeat).
ORACLE_KEYS = ("threshold", "apcer", "apcer_max", "bpcer", "hter", "acer", "accuracy", "confusion")


def attack_type(attack: Sequence[str]) -> str:
    """The deepest known node of an attack path: the type that per-attack APCER groups by."""
    return attack[-1]


def dev_threshold(records: Sequence[dict], set_name: str) -> float:
    """The EER threshold of the dev (source-domain) set: the honest operating point."""
    try:
        return eer([r["label"] for r in records], [r["score"] for r in records])[1]
    except PafasError as exc:
        raise PafasError(f"eval set '{set_name}' cannot give a threshold: {exc}") from None


def at_dev_threshold(by_set: Mapping[str, list[dict]], names: Sequence[str], fpr_targets: Sequence[float],
                     reader: Any = None) -> tuple[dict, list[dict]]:
    """The dev set's EER threshold applied to every set: ({dev_threshold, sets: {name: set_metrics}} for the sets
    in `names`, every record of every set stamped with its `threshold` and `decision`). `reader` (a
    `paths.clauses.ClauseReader`) adds the reasoning rates to each set's metrics."""
    threshold = dev_threshold(by_set["dev"], "dev")
    records: list[dict] = []
    for set_records in by_set.values():
        for r in set_records:
            r["threshold"] = threshold
            r["decision"] = int(r["score"] >= threshold)
        records += set_records
    sets = {s: set_metrics(by_set[s], threshold, fpr_targets, s, reader) for s in names}
    return {"dev_threshold": threshold, "sets": sets}, records


def condition_thresholds(by_set: Mapping[str, list[dict]]) -> dict[str, dict]:
    """Protocol 2, per condition (modalities missing) scored on both its dev and its test copy: the EER threshold of
    the dev copy (calibrated for that condition on the source domains) and the test copy's HTER at it."""
    from pafas_cli.data.config import P2_CONDITIONS, P2_DEV_SETS, P2_TEST_SETS

    out = {}
    for removed, condition in P2_CONDITIONS.items():
        dev, test = P2_DEV_SETS[removed], P2_TEST_SETS[removed]
        if dev in by_set and test in by_set:
            threshold = dev_threshold(by_set[dev], dev)
            rates = rates_at([r["label"] for r in by_set[test]], [r["score"] for r in by_set[test]], threshold)
            out[condition] = {"dev_threshold": threshold, "dev_set": dev, "test_set": test, "hter": rates["hter"]}
    return out


def write_predictions(path: Path, records: Sequence[Mapping]) -> None:
    """predictions.jsonl: one record a line (docs/contracts.md, Infer)."""
    with Path(path).open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")


def balanced_accuracy(labels: Sequence[int], decisions: Sequence[int | None]) -> float:
    """Mean over the two classes of the share decided correctly (None = no decision = wrong).

    Plain accuracy rewards answering the majority class for every face (0.78 on the synthetic W test set);
    this reads 0.5 for any single-class answer, so class collapse shows at a glance.
    """
    per_class = []
    for cls in (0, 1):
        decided = [d for lab, d in zip(labels, decisions) if lab == cls]
        if decided:
            per_class.append(sum(d == cls for d in decided) / len(decided))
    return sum(per_class) / len(per_class)


def set_metrics(records: Sequence[dict], threshold: float, fpr_targets: Sequence[float], set_name: str,
                reader: Any = None) -> dict:
    """Honest (given threshold) and oracle (own EER threshold) metrics, per domain, answer quality, and with a
    clause `reader` the reasoning rates (`reasoning`: infer/faithfulness.py; None without a reader or answers)."""
    labels = [r["label"] for r in records]
    scores = [r["score"] for r in records]
    attacks = [attack_type(r["attack"]) for r in records]
    try:
        honest = compute_metrics(labels, scores, attacks, threshold, fpr_targets)
        oracle = compute_metrics(labels, scores, attacks, honest["eer_threshold"], fpr_targets)
    except PafasError as exc:
        raise PafasError(f"eval set '{set_name}': {exc}") from None
    out = {
        "n": len(records),
        "honest": honest,
        "oracle": {k: oracle[k] for k in ORACLE_KEYS},
        "per_domain": per_group(labels, scores, [r["domain"] for r in records], threshold),
    }
    if all(r["well_formed"] is None for r in records):  # a classifier (the CNN baseline) writes no answer
        return {**out, **dict.fromkeys(ANSWER_KEYS), "reasoning": None}
    reasoning = reasoning_rates(records, reader) if reader is not None else None
    return {**out, **answer_metrics(records, labels), "reasoning": reasoning}


# What a generated answer adds to the score's metrics; None for a model that writes no text.
ANSWER_KEYS = ("format_rate", "answer_accuracy", "answer_balanced_accuracy", "reasoning_balanced_accuracy",
               "consistency", "consistency_n")


def answer_metrics(records: Sequence[dict], labels: Sequence[int]) -> dict:
    """Format rate, answer accuracy (plain and balanced), the reasoning's verdict and its agreement with the answer."""
    well_formed = [r for r in records if r["well_formed"]]
    stated = [r for r in well_formed if r["stated"]]
    verdicts = [r["stated_decision"] for r in records]
    return {
        "format_rate": len(well_formed) / len(records),
        "answer_accuracy": sum(r["answer"] is not None and r["answer_decision"] == r["label"] for r in records)
        / len(records),
        "answer_balanced_accuracy": balanced_accuracy(labels, [r["answer_decision"] for r in records]),
        # None when the reasoning never states a verdict (answer-only models, collapsed reasoning).
        "reasoning_balanced_accuracy": balanced_accuracy(labels, verdicts) if any(v is not None for v in verdicts)
        else None,
        "consistency": sum(r["stated"][0] == r["answer"][0] for r in stated) / len(stated) if stated else None,
        "consistency_n": len(stated),
    }


def lookup(metrics: Mapping, keys: Sequence[str]) -> object:
    value: object = metrics
    for key in keys:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def headline(metrics: Mapping) -> dict[str, object]:
    """The few numbers for the manifest and `pafas ls`."""
    return {label: lookup(metrics, keys) for label, keys in HEADLINE}


def _tpr_cell(row: Mapping) -> str:
    flag = "!" if row["too_few_negatives"] else ""
    return f"{fmt(row['tpr'])}{flag}"


def comparison_table(title: str, by_model: Mapping[str, Mapping]) -> Table:
    """Metric rows x model columns for one eval set, TPR@FPR last (flagged `!` where negatives are too few)."""
    table = Table(title=title, title_justify="left",
                  caption="live = positive; '!' = fewer negatives than 1/FPR, so only FPR = 0 is reachable",
                  caption_justify="left")
    table.add_column("metric", style="cyan")
    for model in by_model:
        table.add_column(model, justify="right")
    for label, keys in HEADLINE:
        table.add_row(label, *(fmt(lookup(m, keys)) for m in by_model.values()))
    tprs = [m["honest"]["tpr_at_fpr"] for m in by_model.values()]
    for i, row in enumerate(tprs[0]):
        label = f"TPR@FPR={row['fpr_target']:g} ({row['n_negatives']} neg.)"
        table.add_row(label, *(_tpr_cell(t[i]) for t in tprs))
    return table


def detail_table(title: str, metrics: Mapping) -> Table:
    """Per-domain rates and per-attack APCER of one model on one set."""
    table = Table(title=title, title_justify="left")
    for column in ("group", "n", "HTER", "APCER", "BPCER", "AUC"):
        table.add_column(column, justify="left" if column == "group" else "right")
    for domain, d in metrics["per_domain"].items():
        table.add_row(f"domain {domain}", str(d["n"]), fmt(d["hter"]), fmt(d["apcer"]), fmt(d["bpcer"]), fmt(d["auc"]))
    for kind, a in metrics["honest"]["apcer_per_attack"].items():
        table.add_row(f"attack {kind}", str(a["n"]), "-", fmt(a["apcer"]), "-", "-")
    return table


def show_metrics(metrics: Mapping[str, Mapping], names: Sequence[str]) -> None:
    """The side-by-side table of each set, then each model's per-domain / per-attack detail on the first."""
    for set_name in names:
        console.print(comparison_table(f"eval set '{set_name}'", {m: v["sets"][set_name] for m, v in metrics.items()}))
    conditions = {m: v["conditions"] for m, v in metrics.items() if v.get("conditions")}
    if conditions:
        rows = [(model, condition, fmt(c["dev_threshold"]), fmt(c["hter"]), fmt(metrics[model]["sets"][c["test_set"]]
                                                                               ["honest"]["hter"]))
                for model, by in conditions.items() for condition, c in by.items()]
        console.print(rows_table("Protocol 2: each condition at its own threshold (the EER threshold of the dev set "
                                 "with the same modalities missing)",
                                 ("model", "condition", "threshold", "HTER", "HTER @full-triple dev thr"), rows))
    for model, m in metrics.items():
        console.print(detail_table(f"{model} on '{names[0]}' at the dev threshold {m['dev_threshold']:.4g}",
                                   m["sets"][names[0]]))
