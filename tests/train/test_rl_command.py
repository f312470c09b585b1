"""`pafas rl` end to end on the tiny workspace: rewards logged per name, completions sampled with their row."""

from __future__ import annotations

import json

import pytest

from pafas_cli.config import load_recipe

TINY = ["rl.model=model:latest", "rl.batch_size=8", "rl.num_generations=4", "rl.max_completion_length=8",
        "rl.max_steps=2", "rl.logging_steps=1", "rl.save_steps=0", "rl.warmup_steps=0", "rl.beta=0.0",
        "rl.rewards={format: 1.0, classification: 1.0, consistency: 0.5}", "rl.log_completions=3"]


@pytest.mark.slow
def test_rl_logs_each_reward_and_samples_completions(workspace):
    from pafas_cli.commands import rl

    rl.run(load_recipe(None, TINY), workspace)
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
        assert set(sample["rewards"]) == {"format", "classification", "consistency"}
        assert sample["label"] == truth[sample["id"]], "each completion is logged with its own row"
    assert (version / "model" / "model.safetensors").is_file() and (version / "rewards.png").is_file()
