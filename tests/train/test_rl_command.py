"""`pafas rl` end to end on the tiny workspace: rewards logged per name with the values the completions earn,
completions sampled with their row, and the weights moved by the rewards."""

from __future__ import annotations

import json
import re

import pytest

from pafas_cli.config import load_recipe
from pafas_cli.train.plan import resolve_rl

TINY = ["rl.model=model:latest", "rl.batch_size=8", "rl.num_generations=4", "rl.max_completion_length=8",
        "rl.max_steps=2", "rl.logging_steps=1", "rl.mask_truncated_completions=false", "rl.save_steps=0", "rl.warmup_steps=0", "rl.beta=0.0",
        "rl.rewards={format: 1.0, classification: 1.0, consistency: 0.5, 'rl_probe_rewards:vowel_share': 1.0}",
        "rl.log_completions=3"]
# A random model never closes its answer within 8 tokens: unmasked, truncated completions still train.
# What a completion needs for any format, classification or consistency credit: a closed think and answer list.
WELL_FORMED = re.compile(r"<think>.+</think>\s*<answer>\[.+\]</answer>", re.S)


def _oracle_rewards(text: str) -> dict[str, float]:
    """The rewards by hand: the vowel share counted here, and 0 for the rest unless the text is well formed."""
    known = {"vowel_share": sum(ch in "aeiou" for ch in text) / len(text) if text else 0.0}
    if not WELL_FORMED.search(text):
        known.update(format=0.0, classification=0.0, consistency=0.0)
    return known


def _weights(folder):
    from safetensors.torch import load_file

    return load_file(str(folder / "model.safetensors"))


@pytest.mark.slow
def test_rl_logs_each_reward_and_samples_completions(workspace):
    from pafas_cli.commands import rl

    rl.run(resolve_rl(load_recipe(None, TINY), workspace))
    version = workspace.root / "rl" / "v001"
    meta = json.loads((version / "manifest.json").read_text())
    assert meta["status"] == "complete" and meta["metrics"]["steps"] == 2
    assert {"classification_start", "consistency_end", "frac_reward_zero_std_end"} <= set(meta["metrics"])
    logged = [json.loads(line) for line in (version / "metrics.jsonl").read_text().splitlines()]
    assert all("rewards/classification/mean" in r for r in logged if "train_runtime" not in r)
    samples = [json.loads(line) for line in (version / "completions.jsonl").read_text().splitlines()]
    assert len(samples) == 2 * 3 and {s["step"] for s in samples} == {1, 2}
    truth = {"s%03d" % i: int(i % 2 == 0) for i in range(24)}
    for sample in samples:
        assert set(sample["rewards"]) == {"format", "classification", "consistency", "vowel_share"}
        assert sample["label"] == truth[sample["id"]], "each completion is logged with its own row"
        for name, value in _oracle_rewards(sample["completion"]).items():
            assert sample["rewards"][name] == pytest.approx(value), (name, sample["completion"])
    assert len({s["rewards"]["vowel_share"] for s in samples}) > 1, "the probe reward must vary to train on"
    for step in (1, 2):  # within one prompt's group, a higher reward earns a higher advantage
        group = sorted((s["rewards"]["vowel_share"], s["advantage"]) for s in samples
                       if s["step"] == step and s["id"] == samples[3 * (step - 1)]["id"])
        assert [a for _, a in group] == sorted(a for _, a in group), group
    assert (version / "rewards.png").is_file()
    before, after = _weights(workspace.root / "model" / "v001" / "model"), _weights(version / "model")
    assert before.keys() == after.keys()
    assert any(not before[k].equal(after[k]) for k in before), "two GRPO steps with a varying reward moved no weight"
