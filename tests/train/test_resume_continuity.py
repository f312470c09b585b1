"""Kill a training run at a checkpoint, resume it, and compare with the same run left alone.

Resuming must restore the weights, optimizer, scheduler and RNG state: after the resume step the loss
curve follows the uninterrupted one, and the final weights agree. (Checkpoints are written in the
model's original key layout since transformers 5; the trainer's own loader matched none of those keys and
restarted from the base weights while the step count carried on.)
"""

from __future__ import annotations

import shutil

import pytest

from runs import finish, kill_at_checkpoint, logs, manifest, pafas, sets, weights

# The loss of a resumed step may differ from the uninterrupted one only by float noise.
LOSS_TOLERANCE = 1e-3
WEIGHT_TOLERANCE = 1e-4

SFT = sets("sft.batch_size=4", "sft.warmup_steps=0", "sft.logging_steps=1", "sft.max_steps=16",
           "sft.save_steps=6", "sft.learning_rate=2e-3")
# A random-weight model earns no format or classification reward, so every group would tie and GRPO would
# not move the weights at all (a resume could then not be told from a restart): the reward here is the
# completion's length, which differs between the completions of a group.
RL = sets("rl.model=model:latest", "rl.batch_size=8", "rl.num_generations=4", "rl.max_completion_length=12",
          "rl.mask_truncated_completions=false", "rl.max_steps=6", "rl.logging_steps=1", "rl.save_steps=3",
          "rl.warmup_steps=0", "rl.beta=0.0", "rl.log_completions=0", "rl.learning_rate=5e-3",
          "rl.rewards={length_reward:completion_chars: 1.0}")
LENGTH_REWARD = '''
def completion_chars(completions, **columns):
    from pafas_cli.train.rewards import completion_text
    return [len(completion_text(c)) / 50 for c in completions]
'''


def _run_both(workspace, tmp_path, stage: str, args: list[str], kill_step: int, key: str):
    """Run `stage` once uninterrupted and once killed at `kill_step` and resumed; compare the two."""
    from pafas_cli.workspace import Workspace

    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "length_reward.py").write_text(LENGTH_REWARD)
    alone = Workspace(tmp_path / "alone")
    shutil.copytree(workspace.root, alone.root)
    finish(pafas(alone, stage, *args, pythonpath=str(modules)))
    kill_at_checkpoint(workspace, stage, args, kill_step, pythonpath=str(modules))
    out = finish(pafas(workspace, stage, *args, "--resume", "auto", pythonpath=str(modules)))
    assert f"resuming {stage}:v001" in out
    a, b = alone.root / stage / "v001", workspace.root / stage / "v001"
    assert manifest(b)["resumed_from"].endswith(f"checkpoint-{kill_step}")
    curve_a = {r["step"]: r[key] for r in logs(a) if key in r}
    curve_b = {r["step"]: r[key] for r in logs(b) if key in r}
    after = [s for s in curve_a if s > kill_step]
    assert after and set(after) <= set(curve_b)
    for step in after:
        assert abs(curve_a[step] - curve_b[step]) <= LOSS_TOLERANCE * max(1.0, abs(curve_a[step])), \
            (step, curve_a[step], curve_b[step])
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    assert max(float((wa[k] - wb[k]).abs().max()) for k in wa) <= WEIGHT_TOLERANCE
    base = weights(workspace.root / "model" / "v001")
    assert max(float((wa[k] - base[k]).abs().max()) for k in wa if k in base) > 100 * WEIGHT_TOLERANCE, \
        "training moved the weights (else a restart from the base could not be told from a resume)"


@pytest.mark.slow
@pytest.mark.fault
def test_sft_resumed_after_sigkill_follows_the_uninterrupted_run(workspace, tmp_path):
    _run_both(workspace, tmp_path, "sft", SFT, 6, "loss")


@pytest.mark.slow
@pytest.mark.fault
def test_rl_resumed_after_sigkill_follows_the_uninterrupted_run(workspace, tmp_path):
    _run_both(workspace, tmp_path, "rl", RL, 3, "loss")
