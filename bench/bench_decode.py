"""Decoding speed: pafas' own loop (`pafas_cli/infer/decode.py`) against transformers' `generate`, and the
exponential race against `torch.multinomial` for drawing a token; same model, same inputs, one process.

Three measurements, each alternating its arms (bench/ab.py) so machine load hits them alike:
  - eval: greedy completions of `--faces` eval faces at the eval recipe's batch size (the liveness score's
    branch tokens watched, as `pafas eval` does); the two decoders' tokens must be identical, and the
    script says so;
  - rollouts: GRPO's generation call as TRL 1.16 configures it (8 prompts x num_generations, temperature,
    top_p, the image token suppressed, max_completion_length), sampled;
  - one sampling draw from softmax(scores) for the rollout batch, `torch.multinomial` against the race.
Printed: median wall and CPU seconds per arm (min-max), the median of the round-by-round ratios to the
`generate` arm, and mean completion lengths. CPU time is the steadier figure on a shared machine.

    python bench/bench_decode.py --workspace workspace/demo --model rl:latest --repeats 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pafas_cli.env import configure_network  # noqa: E402

configure_network(False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", default="workspace")
    parser.add_argument("--model", default="sft:latest", help="a trained model (its answers end, as in eval)")
    parser.add_argument("--paths", default="paths:latest")
    parser.add_argument("--faces", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (pinned for the whole run)")
    opts = parser.parse_args()

    import torch

    torch.set_num_threads(opts.threads)
    from ab import alternate, paired_ratios, spread
    from datasets import concatenate_datasets

    from pafas_cli.config import load_recipe
    from pafas_cli.console import console, rows_table
    from pafas_cli.infer.decode import decode, generation_config
    from pafas_cli.infer.generate import chat_texts, encode, generate
    from pafas_cli.infer.models import load_for_inference
    from pafas_cli.infer.predict import batched, branch_answers
    from pafas_cli.infer.score import branch_token_ids
    from pafas_cli.paths.store import eval_sets, load_eval, load_rl
    from pafas_cli.paths.taxonomy import default_taxonomy
    from pafas_cli.train.grpo import completion_budget
    from pafas_cli.workspace import Workspace

    ws = Workspace(opts.workspace)
    eval_recipe = load_recipe("quickstart/eval.yaml", [])
    rl = load_recipe("quickstart/grpo.yaml", []).rl
    loaded = load_for_inference(opts.model, ws, eval_recipe)
    model, processor = loaded.model, loaded.processor
    tokenizer = processor.tokenizer
    paths = ws.resolve(opts.paths, stage="paths").path
    rows = []

    # -- eval: greedy, the recipe's batch size -------------------------------------------------------------
    ds = concatenate_datasets([load_eval(paths, n) for n in eval_sets(paths)])
    ds = ds.select(range(min(opts.faces, len(ds))))
    chats, images = chat_texts(processor, ds["prompt"]), [list(i) for i in ds["images"]]
    taxonomy = default_taxonomy()
    branches = [taxonomy.live] + [c for c in taxonomy.children(None) if c != taxonomy.live]
    watch = branch_token_ids(tokenizer, branch_answers("-", branches))
    size, max_new = eval_recipe.eval.batch_size, eval_recipe.eval.max_new_tokens

    def eval_arm(decoder):
        return lambda: [generate(model, processor, c, i, max_new, watch, decoder=decoder).token_ids
                        for c, i in zip(batched(chats, size), batched(images, size))]

    runs = alternate({"hf": eval_arm("hf"), "pafas": eval_arm("pafas")}, opts.repeats)
    same = runs["hf"].results[0] == runs["pafas"].results[0]
    lengths = [len([t for t in ids if t != tokenizer.pad_token_id]) for b in runs["pafas"].results[0] for ids in b]
    rows += _rows(f"eval, greedy, {len(ds)} faces at batch {size}", runs, paired_ratios, spread)
    notes = [f"eval: pafas tokens identical to generate's: {same}; mean completion {statistics.mean(lengths):.0f} "
             f"tokens, longest {max(lengths)}"]

    # -- rollouts: GRPO's sampled generation call, as TRL 1.16 configures it ---------------------------------
    from transformers import GenerationConfig

    prompts = load_rl(paths).select(range(rl.batch_size // rl.num_generations))
    repeated = [(p, list(i)) for p, i in zip(prompts["prompt"], prompts["images"]) for _ in range(rl.num_generations)]
    batch = encode(processor, chat_texts(processor, [p for p, _ in repeated]), [i for _, i in repeated], model.device)
    budget = completion_budget(paths, tokenizer)
    trl_config = GenerationConfig(max_new_tokens=budget, do_sample=True, pad_token_id=tokenizer.pad_token_id,
                                  bos_token_id=tokenizer.bos_token_id, eos_token_id=[tokenizer.eos_token_id],
                                  temperature=rl.temperature, top_p=rl.top_p, top_k=0, min_p=None,
                                  repetition_penalty=1.0, suppress_tokens=[model.config.image_token_id],
                                  disable_compile=True)
    config = generation_config(model, trl_config)
    width = batch["input_ids"].shape[1]

    def rollout_hf():
        with torch.inference_mode():
            return model.generate(**batch, generation_config=trl_config)[:, width:]

    def rollout_pafas():
        with torch.inference_mode():
            return decode(model, batch, config).tokens

    torch.manual_seed(0)
    runs = alternate({"hf": rollout_hf, "pafas": rollout_pafas}, opts.repeats)
    rows += _rows(f"rollouts, sampled, {batch['input_ids'].shape[0]} rows (T={rl.temperature}, "
                  f"{budget} new tokens at most)", runs, paired_ratios, spread)
    for name in ("hf", "pafas"):
        done = [(t != tokenizer.pad_token_id).sum(1).float().mean().item() for t in runs[name].results]
        notes.append(f"rollouts, {name}: mean completion {statistics.mean(done):.0f} tokens over the repeats")

    # -- one draw ---------------------------------------------------------------------------------------------
    with torch.inference_mode():
        scores = model(**batch, logits_to_keep=1).logits[:, -1].float() / rl.temperature

    def draws(pick):
        return lambda: [pick(torch.softmax(scores, dim=-1)) for _ in range(200)]

    runs = alternate({
        "hf": draws(lambda p: torch.multinomial(p, 1).squeeze(1)),
        "pafas": draws(lambda p: torch.argmax(p / torch.empty_like(p).exponential_(), dim=-1)),
    }, opts.repeats)
    rows += _rows(f"200 draws for {scores.shape[0]} rows x {scores.shape[1]} tokens (multinomial vs race)", runs,
                  paired_ratios, spread)

    console.print(rows_table(f"decoding: {loaded.resolved.ref}, {torch.get_num_threads()} torch thread(s), "
                             f"{opts.repeats} rounds", ("what", "arm", "wall s", "CPU s", "wall vs generate",
                                                       "CPU vs generate"), rows))
    for note in notes:
        console.print(note)


def _rows(what, runs, paired_ratios, spread):
    out = []
    for name, label in (("hf", "transformers generate / multinomial"), ("pafas", "pafas decode / race")):
        t = runs[name]
        ratio_wall = statistics.median(paired_ratios(t, runs["hf"]))
        ratio_cpu = statistics.median(paired_ratios(t, runs["hf"], cpu=True))
        out.append((what, label, spread(t.wall), spread(t.cpu), f"{ratio_wall:.2f}x", f"{ratio_cpu:.2f}x"))
    return out


if __name__ == "__main__":
    main()
