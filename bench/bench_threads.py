"""Torch threads against machine load: one SFT step, one GRPO step and eval at batch 64 with 1 and 2 torch
threads, alone and beside competing CPU load (`--spinners` child processes that only spin), to choose the
thread policy a stage records in its manifest.

Each arm runs in this one process (`torch.set_num_threads` before it; the spinners started before it and
stopped after it), arms alternating so that the machine's other load hits them alike: SFT and GRPO as
`pafas sft` / `pafas rl` with the quickstart recipes (mean optimiser-step wall time after WARMUP steps),
eval as `pafas eval`'s inference path on `--faces` faces at the recipe's batch size (faces per second). The
wall time is what threads change; the load average at the start of each arm is printed beside it.

    python bench/bench_threads.py --workspace workspace/demo --repeats 2
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pafas_cli.env import configure_network  # noqa: E402

configure_network(False)

WARMUP = 2


@contextmanager
def spinning(count: int):
    """`count` child processes that keep one core busy each, for the block."""
    children = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        time.sleep(0.5 if children else 0)
        yield
    finally:
        for child in children:
            child.kill()
            child.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workspace", default=os.environ.get("PAFAS_WORKSPACE", "workspace"))
    parser.add_argument("--rl-model", default="sft:latest", help="a trained SFT model (GRPO and eval start from it)")
    parser.add_argument("--paths", default="paths:latest")
    parser.add_argument("--sft-steps", type=int, default=15)
    parser.add_argument("--rl-steps", type=int, default=5)
    parser.add_argument("--faces", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--spinners", type=int, default=1, help="competing busy processes in the loaded arms")
    opts = parser.parse_args()

    import torch

    from bench_levers import step_clock
    from bench_train_overhead import pafas_stage
    from datasets import concatenate_datasets

    from pafas_cli.config import load_recipe
    from pafas_cli.console import console, rows_table
    from pafas_cli.infer.models import load_for_inference
    from pafas_cli.infer.predict import batched, predict
    from pafas_cli.paths.store import eval_sets, load_eval
    from pafas_cli.paths.taxonomy import default_taxonomy
    from pafas_cli.workspace import Workspace

    ws = Workspace(opts.workspace)
    paths = ws.resolve(opts.paths, stage="paths").path
    model_dir = ws.resolve(opts.rl_model, allow_hub=True).path
    sft_recipe = load_recipe("quickstart/sft.yaml", [f"sft.model={ws.resolve('model:latest').path}",
                                                      f"sft.paths={paths}", f"sft.max_steps={opts.sft_steps}",
                                                      "sft.save_steps=0", "sft.logging_steps=5"])
    rl_recipe = load_recipe("quickstart/grpo.yaml", [f"rl.model={model_dir}", f"rl.paths={paths}",
                                                      f"rl.max_steps={opts.rl_steps}", "rl.save_steps=0",
                                                      "rl.logging_steps=1"])
    eval_recipe = load_recipe("quickstart/eval.yaml", [])
    loaded = load_for_inference(opts.rl_model, ws, eval_recipe)
    ds = concatenate_datasets([load_eval(paths, n) for n in eval_sets(paths)]).select(range(opts.faces))
    prompts, images = ds["prompt"], [list(i) for i in ds["images"]]
    size = eval_recipe.eval.batch_size

    def train(stage, recipe, scratch):
        clock = step_clock()
        pafas_stage(stage, Workspace(scratch), recipe, clock)
        return statistics.mean(clock.wall[WARMUP:])

    def evaluate():
        start = time.perf_counter()
        predict(loaded.model, loaded.processor, zip(batched(prompts, size), batched(images, size)), len(prompts),
                default_taxonomy(), eval_recipe.eval.max_new_tokens, show_progress=False)
        return len(prompts) / (time.perf_counter() - start)

    arms = [(threads, load) for load in (0, opts.spinners) for threads in (1, 2)]
    found: dict[tuple[int, int], dict[str, list[float]]] = {a: {"sft": [], "rl": [], "eval": [], "load": []}
                                                             for a in arms}
    with tempfile.TemporaryDirectory() as scratch:
        for repeat in range(opts.repeats):
            for threads, load in arms:
                torch.set_num_threads(threads)
                got = found[(threads, load)]
                with spinning(load):
                    got["load"].append(os.getloadavg()[0])
                    got["sft"].append(train("sft", sft_recipe, Path(scratch) / f"sft-{repeat}-{threads}-{load}"))
                    got["rl"].append(train("rl", rl_recipe, Path(scratch) / f"rl-{repeat}-{threads}-{load}"))
                    got["eval"].append(evaluate())
    rows = []
    for (threads, load), got in found.items():
        base = found[(1, load)]
        rows.append((threads, f"{load} spinner(s)" if load else "none", f"{statistics.mean(got['load']):.1f}",
                     f"{statistics.median(got['sft']):.3f}",
                     f"{statistics.median(got['sft']) / statistics.median(base['sft']):.2f}x",
                     f"{statistics.median(got['rl']):.2f}",
                     f"{statistics.median(got['rl']) / statistics.median(base['rl']):.2f}x",
                     f"{statistics.median(got['eval']):.1f}",
                     f"{statistics.median(got['eval']) / statistics.median(base['eval']):.2f}x"))
    console.print(rows_table(f"torch threads under load ({os.cpu_count()} CPUs; quickstart recipes; median of "
                             f"{opts.repeats} repeats)", ["threads", "competing load", "load avg at start",
                                                         "sft step s", "vs 1 thread", "rl step s", "vs 1 thread",
                                                         "eval faces/s", "vs 1 thread"], rows))


if __name__ == "__main__":
    main()
