"""The clause reader on real texts: a paths version's own reasonings (the oracle), and an eval's predictions.

1. `--paths REF`: every SFT reasoning of the paths version, read against its tree. Each is a walk the tree wrote
   for its own sample, so the reader must parse 100 % of the clauses and find 100 % of the observations true of
   that sample (the truth rule of docs/scoring.md), with no clause citing a modality the row lacks.
2. `--eval REF`: the reasoning rates of every (model, set) in the eval's `predictions.jsonl`, dev included (which
   metrics.json holds only under --split dev), read against the eval's paths version; where metrics.json records
   the rates they must be the same.

    python bench/check_reasoning.py --workspace workspace/demo --paths paths:latest --eval eval:latest

Prints a table per check; exits 1 when the oracle fails or a recomputed rate disagrees.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from pafas_cli.env import configure_network

configure_network(False)


def check_paths(root: Path) -> bool:
    from pafas_cli.paths.clauses import ClauseReader
    from pafas_cli.paths.store import sft_rows
    from pafas_cli.paths.tree import version_tree

    tree = version_tree(root)
    reader = ClauseReader(tree)
    started = time.perf_counter()
    texts = clauses = parsed = observations = true = citing = concluded = 0
    for row in sft_rows(root):
        if row["think"] is None or row["think_shuffled"]:  # raw rows; a shuffled reasoning is another sample's
            continue
        read = reader.read(row["think"])
        texts += 1
        clauses += len(read)
        parsed += sum(c.parsed for c in read)
        for c in read:
            if c.observes:
                observations += 1
                true += tree.holds(c.modality, c.observation, tuple(row["attack"]))
            citing += bool(set(c.cites) - set(row["modalities"]))
        concluded += bool(read) and (read[-1].kind, read[-1].node) == ("conclude", row["attack"][-1])
    print(f"{root}: {texts} reasonings, {clauses} clauses ({clauses / max(texts, 1):.2f} per reasoning) read in "
          f"{time.perf_counter() - started:.1f} s")
    print(f"  parsed {parsed}/{clauses}; observations true of the walk's sample {true}/{observations}; clauses "
          f"citing a modality the row lacks {citing}; last clause concludes at the label {concluded}/{texts}")
    return texts > 0 and parsed == clauses and true == observations and citing == 0 and concluded == texts


def check_eval(ws, version: Path) -> bool:
    from rich.table import Table

    from pafas_cli.console import console, fmt
    from pafas_cli.infer.faithfulness import RATE_KEYS, reasoning_rates
    from pafas_cli.paths.clauses import ClauseReader
    from pafas_cli.paths.tree import version_tree

    metrics = json.loads((version / "metrics.json").read_text())
    reader = ClauseReader(version_tree(ws.resolve(metrics["paths"]["ref"], stage="paths").path))
    records = [json.loads(line) for line in (version / "predictions.jsonl").read_text().splitlines()]
    table = Table(title=f"reasoning rates of {version}", title_justify="left")
    for column in ("model", "set", "faces", *RATE_KEYS, "recorded"):
        table.add_column(column, justify="left" if column in ("model", "set") else "right")
    ok = True
    for model, entry in metrics["models"].items():
        for set_name in dict.fromkeys(r["set"] for r in records if r["model"] == model):
            rates = reasoning_rates([r for r in records if r["model"] == model and r["set"] == set_name], reader)
            recorded = (entry["sets"].get(set_name) or {}).get("reasoning")
            same = "-" if recorded is None else ("same" if recorded == rates else "DIFFERS")
            ok &= same != "DIFFERS"
            table.add_row(model, set_name, str(rates["counts"]["faces"]), *(fmt(rates[k]) for k in RATE_KEYS), same)
    console.print(table)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", default="workspace")
    parser.add_argument("--paths", help="a paths version: read its own reasonings (the oracle)")
    parser.add_argument("--eval", help="an eval version: recompute its reasoning rates, dev included")
    args = parser.parse_args()
    from pafas_cli.workspace import Workspace

    ws = Workspace(args.workspace)
    ok = True
    if args.paths:
        ok &= check_paths(ws.resolve(args.paths, stage="paths").path)
    if args.eval:
        ok &= check_eval(ws, ws.resolve(args.eval, stage="eval").path)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
