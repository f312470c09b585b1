"""Recipe validation for the sft and rl sections: mistakes fail at load time and name the key."""

import pytest

from pafas_cli.config import load_recipe
from pafas_cli.errors import PafasError
from pafas_cli.train.config import RLSection


@pytest.mark.parametrize("override, message", [
    ("rl.rewards={format: 1.0, accuracy: 1.0}", "rl.rewards: unknown reward 'accuracy'"),
    ("rl.rewards={}", "rl.rewards: name at least one reward"),
    ("rl.rewards={format: high}", "rl.rewards.format: the weight must be a number"),
    ("rl.num_generations=1", "rl.num_generations: must be >= 2"),
    ("sft.batch_size=0", "sft.batch_size: must be > 0"),
    ("sft.lora.r=0", "sft.lora.r: must be >= 1"),
    ("sft.trl_args={output_dir: /tmp/x}", "sft.trl_args: ['output_dir'] are set by pafas"),
    ("rl.loss_type=ppo", "'rl.loss_type' must be one of"),
    ("rl.steps_per_generation=0", "rl.steps_per_generation: must be >= 1"),
    ("rl.trl_args={generation_batch_size: 64}", "rl.trl_args: ['generation_batch_size'] are set by pafas"),
    ("rl.trl_args={use_transformers_continuous_batching: true}", "without seeing the faces"),
    ("sft.max_steps=0", None),
])
def test_bad_values_name_the_key(override, message):
    if message is None:
        assert load_recipe(None, [override]).sft.max_steps == 0
        return
    with pytest.raises(PafasError, match=message.replace("[", r"\[").replace("]", r"\]").replace(".", r"\.")):
        load_recipe(None, [override])


def test_module_function_reward_passes_validation():
    recipe = load_recipe(None, ["rl.rewards={format: 1, 'my_pkg.rewards:brevity': 0.5}"])
    assert recipe.rl.rewards["my_pkg.rewards:brevity"] == 0.5


def test_batch_must_hold_whole_groups_across_processes():
    cfg = RLSection(batch_size=6, num_generations=4)
    with pytest.raises(ValueError, match="batch_size: 1 process"):
        cfg.check_batch(1)
    cfg.check_batch(2)  # 2 x 6 = 12 completions = 3 groups of 4
    assert cfg.prompts_per_step(2) == 3


def test_steps_per_generation_reaches_trl(tmp_path):
    """One generation call feeds k optimiser steps: TRL's generation batch is k steps' completions."""
    from pafas_cli.train.grpo import grpo_args
    from pafas_cli.train.session import RunDir

    for k, accum in ((1, 1), (4, 1), (1, 2), (4, 2)):
        cfg = load_recipe(None, [f"rl.steps_per_generation={k}", "rl.batch_size=8", f"rl.grad_accum={accum}",
                                 "rl.num_generations=4"]).rl
        args = grpo_args(cfg, 0, RunDir(tmp_path, None, True, 0, 1), [1.0, 1.0])
        # TRL's steps are micro-batches: k optimiser steps of `accum` micro-batches of 8 completions each.
        assert args.generation_batch_size == 8 * accum * k
