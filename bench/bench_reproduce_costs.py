"""What the round-2 reproduction's new stages cost per unit, timed at a small size, for grid.yaml `costs`.

    python bench/bench_reproduce_costs.py --workspace /tmp/costs-bench

In one workspace, with the quickstart recipes and the reproduction's sizes (200 training faces, N = 50, the tiny
model): the pretraining corpus (`--scenes` drawn, seconds per scene), init-model with the corpus in its tokenizer,
`pafas pretrain` for `--pretrain-steps` (seconds per step from the trainer's own runtime; the rest is loading, the
probe and the CNN's attribute pretraining, whose share is timed on its own and scaled per corpus scene), SFT for
`--sft-steps`, GRPO with recipes/reproduce/grpo_paper.yaml for `--rl-steps` without selection (seconds per
sampled completion) and the step selection's scoring of 64 dev faces (seconds per face).

A shared machine is slower than an idle one, so the SFT step is the yardstick: the first round measured 0.13 s
per SFT step on the idle 2-core machine (grid.yaml), and every figure is also printed divided by (SFT step
measured / 0.13), the estimate for an idle machine. It asserts nothing and prints the `costs` entries.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from pafas_cli import threads
from pafas_cli.env import configure_network

configure_network(False)
threads.apply(threads.resolve(None))  # the in-process parts compute with the count every stage process uses

IDLE_SFT_STEP = 0.13  # s per SFT step of the PA-FAS variant on the idle 2-core machine (grid.yaml, 871655f)


def pafas(ws: Path, *args: str) -> float:
    """Run `pafas ARGS` on the workspace; wall seconds (interpreter start and imports included, as the runner's
    in-process calls are not: a slight overestimate)."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pafas_cli", "--workspace", str(ws), *args], check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def trained(ws: Path, stage: str) -> tuple[float, int, dict]:
    """(trainer seconds, steps, metrics) of the newest version of `stage`."""
    from pafas_cli.workspace import Workspace

    metrics = Workspace(ws).latest(stage).manifest["metrics"]
    return float(metrics["train_seconds"]), int(metrics["steps"]), metrics


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workspace", type=Path, required=True)
    ap.add_argument("--scenes", type=int, default=400)
    ap.add_argument("--pretrain-steps", type=int, default=40)
    ap.add_argument("--sft-steps", type=int, default=40)
    ap.add_argument("--rl-steps", type=int, default=4)
    args = ap.parse_args()
    ws = args.workspace
    corpus = [f"pretrain.corpus.samples={args.scenes}"]
    sets = lambda *items: [a for item in items for a in ("--set", item)]  # noqa: E731
    pafas(ws, "synth", *sets("data.synth.per_domain=250"))
    pafas(ws, "build-paths", *sets("data.n_train=200", "data.n_dev=100", "data.n_test=150", "data.protocol=P2"))

    from pafas_cli.data.pretrain.config import CorpusConfig
    from pafas_cli.data.pretrain.version import write_version
    from pafas_cli.workspace import Workspace

    started = time.perf_counter()
    ref = write_version(CorpusConfig(samples=args.scenes), Workspace(ws))
    out = {"corpus_scene": (time.perf_counter() - started) / args.scenes}
    out["model"] = pafas(ws, "init-model", *sets("model.corpus=true", *corpus))
    wall = pafas(ws, "pretrain", *sets(f"pretrain.max_steps={args.pretrain_steps}", *corpus))
    seconds, steps, _ = trained(ws, "pretrain")
    out["pretrain_step"] = seconds / steps
    cnn = cnn_seconds(Workspace(ws).resolve(ref).path)
    out["pretrain_scene"] = cnn / args.scenes
    out["pretrain"] = wall - seconds - cnn
    pafas(ws, "sft", *sets(f"sft.max_steps={args.sft_steps}", "sft.model=pretrain:latest"))
    seconds, steps, _ = trained(ws, "sft")
    out["sft_step"] = seconds / steps
    pafas(ws, "rl", "--recipe", "reproduce/grpo_paper.yaml",
          *sets(f"rl.max_steps={args.rl_steps}", "rl.select.every=0", "rl.logging_steps=1"))
    seconds, steps, metrics = trained(ws, "rl")
    out["rl_completion"] = seconds / steps / 64
    out["select_face"] = select_seconds(ws) / 64
    factor = out["sft_step"] / IDLE_SFT_STEP
    load = os.getloadavg()[0]
    print(f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, 1-min load {load:.1f}; SFT step "
          f"{out['sft_step']:.3f} s = {factor:.2f} x the idle {IDLE_SFT_STEP}; GRPO completions "
          f"{metrics.get('completions_mean_length_start', '?')} -> {metrics.get('completions_mean_length_end', '?')} "
          f"tokens (mean)")
    print(f"{'unit':<16} {'measured':>10} {'idle est.':>10}")
    for key, value in out.items():
        print(f"{key:<16} {value:>10.4f} {value / factor:>10.4f}")
    print(json.dumps({k: round(v / factor, 4) for k, v in out.items()}))
    return 0


def cnn_seconds(corpus: Path) -> float:
    """The CNN's attribute pretraining (pretrain's own settings) on the corpus's training scenes."""
    from pafas_cli.baseline.config import BaselineSection, TrunkPretraining
    from pafas_cli.baseline.data import load_corpus_faces
    from pafas_cli.baseline.pretrain import pretrain_trunk

    started = time.perf_counter()
    pretrain_trunk(load_corpus_faces(corpus, "train", 56), TrunkPretraining(), BaselineSection().width, 0)
    return time.perf_counter() - started


def select_seconds(ws: Path) -> float:
    """The step selection scoring 64 dev faces with the GRPO model (train/select.py, the paper recipe)."""
    from pafas_cli.config import load_recipe
    from pafas_cli.model.loader import load_model
    from pafas_cli.paths.taxonomy import version_taxonomy
    from pafas_cli.train.plan import resolve_rl
    from pafas_cli.train.select import dev_scorer
    from pafas_cli.workspace import Workspace

    workspace = Workspace(ws)
    plan = resolve_rl(load_recipe("reproduce/grpo_paper.yaml", []), workspace)
    loaded = load_model("rl:latest", workspace, device="cpu")
    score = dev_scorer(plan.recipe.rl, plan.paths.path, loaded.processor, version_taxonomy(plan.paths.path), 0)
    started = time.perf_counter()
    score(loaded.model)
    return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
