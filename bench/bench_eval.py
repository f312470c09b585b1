"""Eval throughput: the recipe's batch size against batch size 1, same model, same faces, one run.

Both passes run the full `pafas eval` inference path (greedy generation with left padding and KV
cache, parsing, the teacher-forced liveness score) on the first `--faces` faces of the eval sets,
after one untimed warm-up batch. Prints faces/second and the speed-up.

    python bench/bench_eval.py --workspace workspace --model sft:latest --faces 64
    python bench/bench_eval.py --model rl:latest --recipe recipes/paper/eval.yaml   # on a GPU

The batched pass also checks that its answers equal the batch-1 answers (greedy decoding must not
depend on padding); a mismatch is reported, not hidden.
"""

from __future__ import annotations

import argparse
import time

from pafas_cli.env import configure_network

configure_network(False)


def main() -> None:
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

    def run(batch_size: int):
        batches = [(prompts[i:i + batch_size], images[i:i + batch_size]) for i in range(0, len(ds), batch_size)]
        start = time.perf_counter()
        preds = predict(loaded.model, loaded.processor, batches, len(ds), taxonomy, max_new,
                        description=f"batch {batch_size}")
        return time.perf_counter() - start, preds

    predict(loaded.model, loaded.processor, [(prompts[:2], images[:2])], 2, taxonomy, max_new, show_progress=False)
    sizes = [1, recipe.eval.batch_size]
    results = {b: run(b) for b in sizes}
    base = results[1][0]
    rows = [(b, len(ds), round(t, 2), round(len(ds) / t, 2), round(base / t, 2)) for b, (t, _) in results.items()]
    console.print(rows_table(f"eval throughput: {loaded.resolved.ref} on {'+'.join(names)} ({loaded.model.device}, "
                             f"max_new_tokens={max_new})",
                             ("batch size", "faces", "seconds", "faces/s", "speed-up"), rows))
    same = sum(a.text == b.text for a, b in zip(results[1][1], results[sizes[-1]][1]))
    console.print(f"answers identical to batch size 1: {same}/{len(ds)}; mean generated chars: "
                  f"{sum(len(p.text) for p in results[1][1]) / len(ds):.0f}")


if __name__ == "__main__":
    main()
