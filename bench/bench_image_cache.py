"""The per-image processor cache (`pafas_cli/model/image_cache.py`) where it acts: TRL's SFT collator on the
quickstart's SFT batches, and GRPO's processor call on a step's prompts (num_generations copies of each).

Arms alternate in this one process (bench/ab.py): without the cache, and with a cache filled by one pass over
the same batches first (the state a run reaches once every image was seen: SFT sees each image N = 50
times, GRPO num_generations times per step and again in later epochs). Printed: seconds per pass (wall and
CPU, median and range), the ratio to no cache, the hit rate, and whether the tensors were identical.

    python bench/bench_image_cache.py --workspace workspace/demo --batches 40
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pafas_cli.env import configure_network  # noqa: E402

configure_network(False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", default="workspace")
    parser.add_argument("--model", default="model:latest")
    parser.add_argument("--paths", default="paths:latest")
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=5)
    opts = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    from ab import alternate, paired_ratios, spread
    from trl.trainer.sft_trainer import DataCollatorForVisionLanguageModeling

    from pafas_cli.config import load_recipe
    from pafas_cli.console import console, rows_table
    from pafas_cli.infer.generate import chat_texts
    from pafas_cli.model.image_cache import CachedCalls, ImageCache, caching_images
    from pafas_cli.model.loader import load_processor_of
    from pafas_cli.paths.store import load_rl, load_sft
    from pafas_cli.workspace import Workspace

    ws = Workspace(opts.workspace)
    processor = load_processor_of(opts.model, ws)
    paths = ws.resolve(opts.paths, stage="paths").path
    sft, rl = load_recipe("quickstart/sft.yaml").sft, load_recipe("quickstart/grpo.yaml").rl
    rows_sft = load_sft(paths).shuffle(seed=0).select(range(opts.batches * sft.batch_size))
    sft_batches = [[rows_sft[i] for i in range(b, b + sft.batch_size)]
                   for b in range(0, len(rows_sft), sft.batch_size)]
    collator = DataCollatorForVisionLanguageModeling(processor=processor, completion_only_loss=True)
    prompts = load_rl(paths).select(range(opts.batches * rl.batch_size // rl.num_generations))
    group = rl.batch_size // rl.num_generations
    rl_batches = []
    for b in range(0, len(prompts), group):
        chunk = prompts.select(range(b, b + group))
        rl_batches.append(([p for p in chunk["prompt"] for _ in range(rl.num_generations)],
                           [list(i) for i in chunk["images"] for _ in range(rl.num_generations)]))

    def sft_pass(collate):
        return lambda: [collate(copy.deepcopy(batch)) for batch in sft_batches]

    def rl_pass(cache):
        def run():
            out = []
            for conversation, images in rl_batches:
                with caching_images(processor, cache):
                    out.append(processor(images=images, text=chat_texts(processor, conversation), padding=True,
                                         return_tensors="pt"))
            return out
        return run

    rows, notes = [], []
    cache = ImageCache(2**30)
    cached = CachedCalls(collator, processor, cache)
    sft_pass(cached)()
    first = (cache.misses, cache.hits + cache.misses)
    runs = alternate({"no cache": sft_pass(collator), "cache": sft_pass(cached)}, opts.repeats)
    rows += _rows(f"TRL SFT collator, {len(sft_batches)} batches of {sft.batch_size} rows", runs, paired_ratios,
                  spread)
    notes.append(f"SFT: the filling pass processed {first[0]} of {first[1]} images (the rest repeated a face "
                 f"already seen); tensors identical: {_same(runs)}")
    cache = ImageCache(2**30)
    rl_pass(cache)()
    runs = alternate({"no cache": rl_pass(None), "cache": rl_pass(cache)}, opts.repeats)
    rows += _rows(f"GRPO processor call, {len(rl_batches)} steps of {rl.batch_size} rows "
                  f"({group} prompts x {rl.num_generations})", runs, paired_ratios, spread)
    notes.append(f"GRPO: tensors identical: {_same(runs)}; {len(cache)} distinct images cached, "
                 f"{cache.bytes / 2**20:.0f} MiB")
    console.print(rows_table("image processor cache (1 torch thread)", ("what", "arm", "wall s", "CPU s",
                                                                       "wall vs no cache", "CPU vs no cache"), rows))
    for note in notes:
        console.print(note)


def _same(runs) -> bool:
    import torch

    plain, cached = runs["no cache"].results[0], runs["cache"].results[0]
    return all(a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a) for a, b in zip(plain, cached))


def _rows(what, runs, paired_ratios, spread):
    out = []
    for name in ("no cache", "cache"):
        t = runs[name]
        out.append((what, name, spread(t.wall), spread(t.cpu),
                    f"{statistics.median(paired_ratios(t, runs['no cache'])):.2f}x",
                    f"{statistics.median(paired_ratios(t, runs['no cache'], cpu=True)):.2f}x"))
    return out


if __name__ == "__main__":
    main()
