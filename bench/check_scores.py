"""Check an eval version's numbers another way: sklearn metrics and a one-face-at-a-time re-scoring.

1. AUC, EER and HTER at the dev threshold of every (model, set) are recomputed from `predictions.jsonl`
   with scikit-learn and hand counts, and compared with `metrics.json`.
2. `--faces K` faces per model are re-scored with the checkpoint, one unpadded sequence per branch (no
   batching, no `logits_to_keep`): the probability of the first token where the live and spoof training
   answers differ, normalised over the two. This must equal the recorded score. The same pass also
   computes the score by the rule used before the fix (the text cut after the class name, every token
   after the shared prefix summed) and the AUC of what that rule added (the tokens after the divergent
   one, `ĠFace` with the local tokenizer), so both can be set side by side on the same checkpoint:

    python bench/check_scores.py --workspace workspace/demo --eval eval:latest --faces 300

Prints one table per check; exits 1 when a recomputed number disagrees.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from pafas_cli.env import configure_network

configure_network(False)
TOLERANCE = 1e-4


def metric_rows(version: Path) -> tuple[list[list], bool]:
    """(model, set, field, recorded, recomputed) rows and whether all agree."""
    import numpy as np
    from sklearn.metrics import roc_auc_score, roc_curve

    metrics = json.loads((version / "metrics.json").read_text())
    records = [json.loads(line) for line in (version / "predictions.jsonl").read_text().splitlines()]
    rows, ok = [], True
    for model, entry in metrics["models"].items():
        threshold = entry["dev_threshold"]
        for set_name, recorded in entry["sets"].items():
            mine = [r for r in records if r["model"] == model and r["set"] == set_name]
            y = np.array([r["label"] for r in mine])
            s = np.array([r["score"] for r in mine])
            fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
            i = int(np.argmin(np.abs((1 - tpr[1:]) - fpr[1:]))) + 1
            apcer = float(((s >= threshold) & (y == 0)).sum() / (y == 0).sum())
            bpcer = float(((s < threshold) & (y == 1)).sum() / (y == 1).sum())
            for field, mine_value in (("auc", roc_auc_score(y, s)), ("eer", (fpr[i] + 1 - tpr[i]) / 2),
                                      ("hter", (apcer + bpcer) / 2)):
                theirs = recorded["honest"][field]
                agree = abs(theirs - mine_value) <= TOLERANCE
                ok &= agree
                rows.append([model, set_name, field, f"{theirs:.4f}", f"{mine_value:.4f}", "yes" if agree else "NO"])
    return rows, ok


def rescore(ws, version: Path, faces: int, seed: int) -> tuple[list[list], bool]:
    """Per model: recorded vs one-sequence scores on `faces` faces, and the AUCs of new and old rules."""
    import torch
    from sklearn.metrics import roc_auc_score

    from pafas_cli.infer.models import load_for_inference
    from pafas_cli.config import load_recipe
    from pafas_cli.infer.generate import chat_texts, encode
    from pafas_cli.paths.answer import format_answer
    from pafas_cli.paths.store import load_eval

    manifest = json.loads((version / "manifest.json").read_text())
    paths_dir = next(Path(i["path"]) for i in manifest["inputs"] if i.get("name") == "paths")
    records = [json.loads(line) for line in (version / "predictions.jsonl").read_text().splitlines()]
    recipe = load_recipe(None, [])
    out, ok = [], True
    for model_name, entry in json.loads((version / "metrics.json").read_text())["models"].items():
        require_think = entry.get("require_think", True)
        mine = [r for r in records if r["model"] == model_name and r["set"] != "dev"]
        set_name = mine[0]["set"]
        mine = random.Random(seed).sample(mine, min(faces, len(mine)))
        by_id = {row["id"]: row for row in load_eval(paths_dir, set_name)}
        loaded = load_for_inference(model_name, ws, recipe)
        model, processor = loaded.model, loaded.processor
        new, old, worst = [], [], 0.0
        for record in mine:
            row = by_id[record["id"]]
            prompt = chat_texts(processor, [row["prompt"]])[0]
            # As `predict.reasoning_of` chose it: None only for an answer-only model that wrote no <think>.
            reasoning = record["reasoning"] if require_think or "<think>" in record["text"] else None

            def sequence(text: str) -> tuple[list[int], torch.Tensor]:
                batch = encode(processor, [prompt + text], [row["images"]], model.device)
                with torch.inference_mode():
                    logits = model(**batch).logits[0].float().log_softmax(-1)
                return batch["input_ids"][0].tolist(), logits

            def branch_logps(texts: list[str], first_only: bool) -> list[float]:
                seqs = [sequence(t) for t in texts]
                a, b = seqs[0][0], seqs[1][0]
                d = next(k for k in range(min(len(a), len(b))) if a[k] != b[k])
                return [sum(lp[p - 1, ids[p]].item() for p in range(d, d + 1 if first_only else len(ids)))
                        for ids, lp in seqs]

            whole = [format_answer(reasoning, [b]) for b in ("Real Face", "Spoof Face")]
            cut = [t[: t.rindex("'")] for t in whole]  # `…<answer>['Real Face`, the old rule's text
            live, spoof = branch_logps(whole, True)
            new.append(live - spoof)
            live, spoof = branch_logps(cut, False)
            old.append(live - spoof)
            worst = max(worst, abs(float(torch.sigmoid(torch.tensor(new[-1]))) - record["score"]))
        labels = [r["label"] for r in mine]
        agree = worst <= 1e-3
        ok &= agree
        out.append([model_name, set_name, len(mine), f"{worst:.2e}", "yes" if agree else "NO",
                    f"{roc_auc_score(labels, [r['score'] for r in mine]):.4f}", f"{roc_auc_score(labels, new):.4f}",
                    f"{roc_auc_score(labels, old):.4f}",
                    f"{roc_auc_score(labels, [o - n for o, n in zip(old, new)]):.4f}"])
    return out, ok


def main() -> int:
    from pafas_cli.console import console, rows_table
    from pafas_cli.workspace import Workspace

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", default="workspace")
    parser.add_argument("--eval", default="eval:latest")
    parser.add_argument("--faces", type=int, default=64, help="faces re-scored per model (0 = skip)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    ws = Workspace(args.workspace)
    version = ws.resolve(args.eval, stage="eval").path
    rows, ok = metric_rows(version)
    console.print(rows_table(f"{args.eval}: metrics.json vs sklearn / hand counts from predictions.jsonl",
                             ("model", "set", "metric", "recorded", "recomputed", "agree"), rows))
    if args.faces:
        rows, agree = rescore(ws, version, args.faces, args.seed)
        ok &= agree
        console.print(rows_table(
            "liveness score: recorded vs one sequence at a time (test set, random faces)",
            ("model", "set", "faces", "max |diff|", "agree", "AUC recorded", "AUC one-by-one", "AUC old rule",
             "AUC of the old rule's extra tokens"), rows))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
