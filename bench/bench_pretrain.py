"""The pretraining corpus's cost and words, and the perception probe of a random-init model (the scratch numbers).

    python bench/bench_pretrain.py --workspace /tmp/pretrain-bench --scenes 400

1. Generator cost: `--scenes` corpus scenes drawn in one worker process, then as many benchmark faces
   (`pafas synth`'s generator, per_domain = scenes / 4), back to back: items/s each and their ratio (the ratio
   is what survives a shared machine).
2. Vocabulary: the share of the reasoning tree's observation words, and of its phrases verbatim, in that
   corpus's text (pretrain/vocabulary.py), and the tree words it never uses.
3. The probe (pretrain/probe.py, seed 0, 200 labelled source faces per split) of `--model` on C, P, S and W.
   Without `--model`, the workspace's model:latest; when it has none, `pafas build-paths` and `pafas init-model`
   make it with the quickstart recipes: the random-init tiny model every quickstart stage starts from.

It writes into the workspace (synth, paths and model versions) and prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pafas_cli.env import configure_network

configure_network(False)


def generator_cost(scenes: int) -> dict:
    from pafas_cli.data.pretrain.config import CorpusConfig
    from pafas_cli.data.pretrain.generate import generate as corpus, read_samples
    from pafas_cli.data.synth import generate as benchmark

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        corpus(Path(tmp) / "corpus", CorpusConfig(samples=scenes, seed=0), workers=1)
        corpus_s = time.perf_counter() - started
        started = time.perf_counter()
        benchmark(Path(tmp) / "synth", per_domain=scenes // 4, seed=0, workers=1)
        synth_s = time.perf_counter() - started
        texts = [r["text"] for r in read_samples(Path(tmp) / "corpus")]
    return {"corpus_per_s": scenes / corpus_s, "synth_per_s": 4 * (scenes // 4) / synth_s, "texts": texts}


def scratch_probe(workspace: Path, model_ref: str | None) -> tuple[str, dict[str, float], float]:
    from pafas_cli.model.loader import load_model
    from pafas_cli.pretrain.probe import probe, probe_sets
    from pafas_cli.workspace import Workspace

    ws = Workspace(workspace)
    if model_ref is None and ws.latest("model") is None:
        for stage in ("build-paths", "init-model"):
            subprocess.run([sys.executable, "-m", "pafas_cli", "--workspace", str(workspace), stage], check=True)
    loaded = load_model(model_ref or "model:latest", ws, device="cpu")
    sets = probe_sets(ws, seed=0)
    started = time.perf_counter()
    aucs = probe(loaded.model, loaded.processor, sets, seed=0)
    return loaded.resolved.ref, aucs, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workspace", required=True, type=Path)
    parser.add_argument("--scenes", type=int, default=400)
    parser.add_argument("--model", default=None, help="the model to probe (default: model:latest, made if absent)")
    args = parser.parse_args()

    from pafas_cli.paths.taxonomy import default_taxonomy
    from pafas_cli.paths.tree import load_tree
    from pafas_cli.pretrain.vocabulary import overlap

    cost = generator_cost(args.scenes)
    print(f"generator: {cost['corpus_per_s']:.1f} corpus scenes/s, {cost['synth_per_s']:.1f} benchmark faces/s "
          f"(1 worker; corpus / benchmark = {cost['corpus_per_s'] / cost['synth_per_s']:.2f})")
    taxonomy = default_taxonomy()
    words = overlap(cost["texts"], load_tree("", taxonomy))
    print(f"vocabulary over {len(cost['texts'])} texts: {words['word_share']:.1%} of the tree's "
          f"{words['tree_words']} observation words, {words['phrase_share']:.1%} of its {words['tree_phrases']} "
          f"phrases verbatim; never used: {', '.join(words['missing_words'])}")
    ref, aucs, seconds = scratch_probe(args.workspace, args.model)
    print(f"probe of {ref} (seed 0): " + ", ".join(f"{split} {auc:.4f}" for split, auc in aucs.items())
          + f" ({seconds:.0f} s)")


if __name__ == "__main__":
    main()
