"""How much pretraining the miniature needs: the perception probe along the training, for a few corpus sizes.

    python bench/pretrain_curve.py --workspace /tmp/pretrain-curve --scenes 1000,4000 --steps 1900 --every 190

In a workspace with a paths version (quickstart `pafas build-paths` when it has none), for each corpus size:
`pafas init-model --set model.corpus=true` (the start, whose tokenizer covers that
corpus), then `pafas pretrain` with a checkpoint every `--every` steps kept, then the probe (pretrain/probe.py:
held-out-domain AUC of a logistic regression on the vision features, 200 labelled source faces per split,
seed `--seed`) of the start and of every checkpoint. Prints one row per checkpoint (the four splits and their
mean) and writes them as JSON (`--out`). The sizes in recipes/quickstart/pretrain.yaml come from where the mean
stops rising. It asserts nothing; it writes into the workspace.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from pafas_cli.env import configure_network

configure_network(False)


def pafas(workspace: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "pafas_cli", "--workspace", str(workspace), *args], check=True,
                   stdout=subprocess.DEVNULL)


def curve(workspace: Path, scenes: int, steps: int, every: int, seed: int) -> list[dict]:
    """[{scenes, step, C, P, S, W, mean}] from step 0 (the start) to `steps`."""
    from pafas_cli.model.loader import load_model
    from pafas_cli.pretrain.probe import probe, probe_sets
    from pafas_cli.train.resume import CHECKPOINT_RE
    from pafas_cli.workspace import Workspace

    ws = Workspace(workspace)
    if ws.latest("paths") is None:
        pafas(workspace, "build-paths")
    corpus = ["--set", f"pretrain.corpus.samples={scenes}", "--set", f"seed={seed}"]
    pafas(workspace, "init-model", "--set", "model.corpus=true", *corpus)
    start = f"model:{ws.latest('model').version}"
    pafas(workspace, "pretrain", *corpus, "--set", f"pretrain.model={start}", "--set", f"pretrain.max_steps={steps}",
          "--set", f"pretrain.save_steps={every}", "--set", "pretrain.save_total_limit=0", "--set",
          "pretrain.keep_checkpoints=true", "--resume", "never")
    version = ws.latest("pretrain")
    start_model = load_model(start, ws, device="cpu")
    sets = probe_sets(ws, seed)
    side = start_model.processor.image_processor.size["shortest_edge"] ** 0.5
    checkpoints = sorted((int(m.group(1)), p) for p in (version.path / "checkpoints").iterdir()
                         if (m := CHECKPOINT_RE.match(p.name)))
    rows = []
    for step, folder in [(0, None), *checkpoints]:
        model = start_model.model if folder is None else load_model(
            str(folder), ws, device="cpu", processor=start_model.processor).model
        aucs = probe(model, start_model.processor, sets, seed, side=int(side))
        rows.append({"scenes": scenes, "step": step, **aucs, "mean": round(sum(aucs.values()) / len(aucs), 4)})
        print(f"{scenes:>6} scenes  step {step:>5}  " + "  ".join(f"{k} {v:.3f}" for k, v in aucs.items())
              + f"  mean {rows[-1]['mean']:.3f}", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workspace", required=True, type=Path)
    parser.add_argument("--scenes", default="1000,4000", help="corpus sizes, comma-separated")
    parser.add_argument("--steps", type=int, default=1900)
    parser.add_argument("--every", type=int, default=190)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("bench/results/pretrain_curve.json"))
    args = parser.parse_args()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    rows = []
    for scenes in (int(s) for s in args.scenes.split(",")):
        rows += curve(args.workspace, scenes, args.steps, args.every, args.seed)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"started": started, "machine": f"{platform.node()} ({os.cpu_count()} cores)",
                                        "command": " ".join(sys.argv), "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
