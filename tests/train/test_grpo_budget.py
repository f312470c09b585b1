"""rl.max_completion_length defaults to the paths version's longest SFT target: spoof answers fit.

A fixed default shorter than the spoof targets (64 tokens, as before) cut every spoof answer before its
`</answer>`, so only live answers could ever earn the classification reward.
"""

from __future__ import annotations

import random

from pafas_cli.config import load_recipe
from pafas_cli.paths.answer import format_answer
from pafas_cli.paths.pnrps import PathSampler
from pafas_cli.paths.store import sft_answers, sft_rows, write_table, write_texts
from pafas_cli.paths.taxonomy import default_taxonomy
from pafas_cli.paths.tree import load_tree
from pafas_cli.train.grpo import COMPLETION_MARGIN, completion_budget
from pafas_cli.train.rewards import classification_reward

OLD_DEFAULT = 64


def _version_with_real_paths(root) -> tuple[list[str], list[int]]:
    """A paths version's sft/rl tables holding PNRPS paths of one live and one depth-5 spoof sample."""
    taxonomy = default_taxonomy()
    sampler = PathSampler(load_tree("", taxonomy))
    known = [("Real Face",), taxonomy.path_to("Wrapped Print Attack")]
    rl = {"id": ["live", "spoof"], "label": [1, 0], "attack": [list(k) for k in known], "domain": ["A", "A"],
          "modalities": [["rgb", "depth", "ir"]] * 2, "images": [["x.png"] * 3] * 2,
          "solution": [str(list(k)) for k in known]}
    write_table(root, "rl", "rl", rl)
    sft = {k: [] for k in ("sample", "path", "think", "answer_sample", "think_sample", "blanked")}
    for i, k in enumerate(known):
        paths, _ = sampler.distinct(k, ("rgb", "depth", "ir"), 20, random.Random(i), 400)
        for j, path in enumerate(paths):
            for key, value in (("sample", i), ("path", j), ("think", list(path.clauses)), ("answer_sample", i),
                               ("think_sample", i), ("blanked", [])):
                sft[key].append(value)
    write_table(root, "sft", "sft", sft)
    write_texts(root, sampler.table.texts, sampler.table.texts)
    targets = [format_answer(sampler.table.render(t), known[i]) for i, t in zip(sft["sample"], sft["think"])]
    return targets, sft["sample"]


def test_a_recipe_without_length_keys_lets_spoof_answers_earn_the_reward(tmp_path):
    from pafas_cli.model.tokenizer import train_tokenizer

    targets, samples = _version_with_real_paths(tmp_path)
    tokenizer = train_tokenizer(targets, vocab_size=2000)
    cfg = load_recipe(None, []).rl
    assert cfg.max_completion_length is None and cfg.mask_truncated_completions
    budget = completion_budget(tmp_path, tokenizer)
    lengths = [len(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in targets]
    assert budget == max(lengths) + 1 + COMPLETION_MARGIN
    spoof = max((t for t, s in zip(targets, samples) if s == 1), key=lambda t: len(tokenizer(t)["input_ids"]))
    ids = tokenizer(spoof, add_special_tokens=False)["input_ids"]

    def reward_when_cut_at(limit: int) -> float:
        return classification_reward([tokenizer.decode(ids[: limit - 1])], label=[0])[0]

    assert reward_when_cut_at(budget) == 1.0
    assert len(ids) > OLD_DEFAULT and reward_when_cut_at(OLD_DEFAULT) == 0.0


def test_the_budget_reads_the_answers_training_sees(tmp_path):
    """`sft_answers` (what the budget is sized from) must be the SFT rows' own answers, row for row."""
    targets, _ = _version_with_real_paths(tmp_path)
    answers = list(sft_answers(tmp_path))
    assert answers == [row["answer"] for row in sft_rows(tmp_path)] == targets
