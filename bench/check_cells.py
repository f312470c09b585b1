"""Recompute every recorded reproduction cell from the predictions its workspace holds, another way.

    python bench/check_cells.py [--cells bench/results/cells.jsonl] [--root workspace/reproduce]

For each cell whose eval (or CNN) version is in the workspace under ROOT/<split>-s<seed>/: AUC with scikit-learn,
the dev set's EER threshold by brute force in exact fractions (closest FNR and FPR, then the fewest errors, then
the highest score), and HTER at it by counting, on every eval set the cell recorded. Prints each disagreement
beyond 0.01 points and a count; exit 1 when any. Cells whose versions are not on this machine are counted as
skipped, and so are cells whose version number now holds another run (its manifest's git revision is not the
one the cell recorded: a workspace rebuilt since, e.g. for a later round).
"""

from __future__ import annotations

import argparse
import json
import sys
from fractions import Fraction
from pathlib import Path

from sklearn.metrics import roc_auc_score


def eer_threshold(labels: list[int], scores: list[float]) -> float:
    lives = [s for s, y in zip(scores, labels) if y == 1]
    spoofs = [s for s, y in zip(scores, labels) if y == 0]
    best = None
    for t in sorted(set(scores), reverse=True):
        fnr = Fraction(sum(s < t for s in lives), len(lives))
        fpr = Fraction(sum(s >= t for s in spoofs), len(spoofs))
        key = (abs(fnr - fpr), fnr + fpr)
        if best is None or key < best[0]:
            best = (key, t)
    return best[1]


def hter(labels: list[int], scores: list[float], t: float) -> float:
    lives = [s for s, y in zip(scores, labels) if y == 1]
    spoofs = [s for s, y in zip(scores, labels) if y == 0]
    return 100 * (sum(s >= t for s in spoofs) / len(spoofs) + sum(s < t for s in lives) / len(lives)) / 2


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=Path, default=Path("bench/results/cells.jsonl"))
    ap.add_argument("--root", type=Path, default=Path("workspace/reproduce"))
    args = ap.parse_args()
    checked = skipped = replaced = bad = 0
    for line in args.cells.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        last = record["stages"][-1]
        stage = "baseline" if last["key"].rpartition("/")[2] == "cnn" else "eval"  # "cnn", "pretrained/cnn"
        folder = args.root / f"{record['split']}-s{record['seed']}" / stage / last["version"]
        if not (folder / "predictions.jsonl").is_file():
            skipped += 1
            continue
        if json.loads((folder / "manifest.json").read_text(encoding="utf-8")).get("git_revision") != last["commit"]:
            replaced += 1
            continue
        rows = [json.loads(x) for x in (folder / "predictions.jsonl").read_text(encoding="utf-8").splitlines()]
        dev = [r for r in rows if r["set"] == "dev"]
        t = eer_threshold([r["label"] for r in dev], [r["score"] for r in dev])
        for set_name, recorded in record["sets"].items():
            sub = [r for r in rows if r["set"] == set_name]
            labels, scores = [r["label"] for r in sub], [r["score"] for r in sub]
            again = {"auc": 100 * roc_auc_score(labels, scores), "hter_dev": hter(labels, scores, t)}
            checked += 1
            for key, value in again.items():
                if abs(value - recorded[key]) > 0.01:
                    bad += 1
                    print(f"{record['cell']} {set_name}: {key} recorded {recorded[key]:.3f}, recomputed {value:.3f}")
    print(f"{checked} (cell, set) pairs recomputed, {skipped} cells skipped (versions not here), {replaced} skipped "
          f"(their version number now holds another run), {bad} disagreements")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
