"""Eval throughput: pafas' decoder against transformers' generate, the liveness score read in the generation
pass against the teacher-forced second pass, and the recipe's batch size against batch size 1; same model,
same faces, one run.

Every arm runs the full `pafas eval` inference path (greedy generation with left padding and KV cache,
parsing, the liveness score) on the first `--faces` faces of the eval sets, after one untimed warm-up
batch. The arms: batch 1 with the second pass and generate (the slowest way), the recipe's batch with the
second pass (the batched path before the score moved into the generation pass), the recipe's batch with the
score read in the generation pass and generate (what `pafas eval` did before its own decoder), and the same
with pafas' decoder (`eval.decoder: pafas`, what it does now). The batched arms alternate `--repeats`
times (median seconds), so that machine load hits them alike. Prints faces/second and speed-ups.

    python bench/bench_eval.py --workspace workspace --model sft:latest --faces 64
    python bench/bench_eval.py --model rl:latest --recipe recipes/paper/eval.yaml   # on a GPU

Greedy answers must not depend on the batch, the scoring path or the decoder, and the scores must agree: the
answers that differ from batch 1 and the largest score difference are reported, not hidden.
"""

from __future__ import annotations

import argparse
import statistics
import time

from pafas_cli.env import configure_network

configure_network(False)

DECODERS = {"hf": "transformers generate", "pafas": "pafas decode"}


def main() -> None:
    import torch

    from pafas_cli.infer.models import load_for_inference
    from pafas_cli.config import RECIPES_DIR, load_recipe
    from pafas_cli.console import console, rows_table
    from pafas_cli.infer.predict import predict
    from pafas_cli.paths.store import eval_sets, load_eval
    from pafas_cli.paths.taxonomy import load_taxonomy
    from pafas_cli.workspace import Workspace

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", default="workspace")
    parser.add_argument("--model", default="sft:latest")
    parser.add_argument("--paths", default="paths:latest")
    parser.add_argument("--eval-set", action="append", default=[],
                        help="eval set(s) to draw faces from, in order (default: all sets of the version)")
    parser.add_argument("--faces", type=int, default=64)
    parser.add_argument("--recipe", default=str(RECIPES_DIR / "quickstart" / "eval.yaml"))
    parser.add_argument("--repeats", type=int, default=3, help="alternations of the batched arms")
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="recipe override, e.g. "
                        "eval.batch_size=16 (repeatable)")
    args = parser.parse_args()

    ws = Workspace(args.workspace)
    recipe = load_recipe(args.recipe, args.overrides)
    loaded = load_for_inference(args.model, ws, recipe)
    paths = ws.resolve(args.paths, stage="paths")
    from datasets import concatenate_datasets

    names = args.eval_set or eval_sets(paths.path)
    ds = concatenate_datasets([load_eval(paths.path, n) for n in names])
    ds = ds.select(range(min(args.faces, len(ds))))
    prompts, images = ds["prompt"], ds["images"]
    taxonomy = load_taxonomy(recipe.paths.taxonomy)
    max_new = recipe.eval.max_new_tokens

    def run(batch_size: int, in_generation: bool, decoder: str):
        batches = [(prompts[i:i + batch_size], images[i:i + batch_size]) for i in range(0, len(ds), batch_size)]
        start = time.perf_counter()
        preds = predict(loaded.model, loaded.processor, batches, len(ds), taxonomy, max_new,
                        description=f"batch {batch_size}", score_in_generation=in_generation, decoder=decoder)
        return time.perf_counter() - start, preds

    for decoder in ("hf", "pafas"):
        predict(loaded.model, loaded.processor, [(prompts[:2], images[:2])], 2, taxonomy, max_new,
                show_progress=False, decoder=decoder)
    batch = recipe.eval.batch_size
    arms = [(1, False, "hf", "second pass"), (batch, False, "hf", "second pass"),
            (batch, True, "hf", "generation pass"), (batch, True, "pafas", "generation pass")]
    # The batch-1 arm once (it is slow); the batched arms alternate --repeats times (median seconds), so that
    # machine load hits them alike.
    results = [run(*arms[0][:3])]
    rounds = [[run(b, g, d) for b, g, d, _ in arms[1:]] for _ in range(args.repeats)]
    for k in range(len(arms) - 1):
        times = [r[k][0] for r in rounds]
        results.append((statistics.median(times), rounds[0][k][1]))
    base, before, generate = results[0][0], results[1][0], results[2][0]
    rows = [(b, how, DECODERS[d], len(ds), round(t, 2), round(len(ds) / t, 2), round(base / t, 2),
             round(before / t, 2), round(generate / t, 2)) for (b, _, d, how), (t, _) in zip(arms, results)]
    console.print(rows_table(f"eval throughput: {loaded.resolved.ref} on {'+'.join(names)} ({loaded.model.device}, "
                             f"max_new_tokens={max_new}, {torch.get_num_threads()} torch thread(s))",
                             ("batch size", "liveness score", "decoder", "faces", "seconds", "faces/s", "vs batch 1",
                              "vs batched second pass", "vs generate"), rows))
    one = results[0][1]
    for (b, _, d, how), (_, preds) in zip(arms[1:], results[1:]):
        how = f"{how}, {DECODERS[d]}"
        same = sum(a.text == p.text for a, p in zip(one, preds))
        diff = max(abs(a.score - p.score) for a, p in zip(one, preds))
        console.print(f"batch {b}, {how}: answers identical to batch size 1: {same}/{len(ds)}; largest liveness "
                      f"difference {diff:.1e}")
    console.print(f"mean generated chars: {sum(len(p.text) for p in one) / len(ds):.0f}")


if __name__ == "__main__":
    main()
