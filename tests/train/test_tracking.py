"""Experiment tracking (`sft.report_to` / `rl.report_to`): TensorBoard event files in the version, named after it."""

from __future__ import annotations

import pytest

from pafas_cli.config import load_recipe
from pafas_cli.errors import PafasError
from pafas_cli.train.plan import resolve_rl, resolve_sft

SFT = ["sft.batch_size=4", "sft.warmup_steps=0", "sft.logging_steps=1", "sft.max_steps=2", "sft.save_steps=0"]
RL = ["rl.model=model:latest", "rl.batch_size=8", "rl.num_generations=4", "rl.max_completion_length=8",
      "rl.max_steps=2", "rl.logging_steps=1", "rl.save_steps=0", "rl.warmup_steps=0", "rl.beta=0.0",
      "rl.log_completions=0"]


def scalars(runs) -> dict[str, list[tuple[int, float]]]:
    """Every scalar in the event files under `runs` (tag -> [(step, value)])."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    files = sorted(runs.rglob("events.out.tfevents.*"))
    assert files, f"no TensorBoard event files under {runs}"
    out: dict[str, list[tuple[int, float]]] = {}
    for folder in {f.parent for f in files}:
        acc = EventAccumulator(str(folder)).Reload()
        for tag in acc.Tags()["scalars"]:
            out.setdefault(tag, []).extend((e.step, e.value) for e in acc.Scalars(tag))
        for tag in acc.Tags()["tensors"]:  # torch's SummaryWriter text summaries (the run's arguments)
            out.setdefault(tag, [])
    return out


def run_args(runs) -> str:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    folder = next(runs.rglob("events.out.tfevents.*")).parent
    acc = EventAccumulator(str(folder)).Reload()
    return b"".join(e.tensor_proto.string_val[0] for e in acc.Tensors("args/text_summary")).decode()


@pytest.mark.slow
def test_tensorboard_logs_loss_and_reward_into_the_version(workspace):
    pytest.importorskip("tensorboard", reason="the track extra is not installed: pip install 'pafas[track]'")
    from pafas_cli.commands import rl, sft

    sft.run(resolve_sft(load_recipe(None, [*SFT, "sft.report_to=[tensorboard]"]), workspace))
    version = workspace.root / "sft" / "v001"
    logged = scalars(version / "runs")
    assert [step for step, _ in logged["train/loss"]] == [1, 2]
    assert all(value > 0 for _, value in logged["train/loss"])
    assert '"run_name": "sft:v001"' in run_args(version / "runs")
    assert not (version / "checkpoints").exists(), "the events live in the version, not the removed checkpoints"

    rl.run(resolve_rl(load_recipe(None, [*RL, "rl.report_to=[tensorboard]"]), workspace))
    version = workspace.root / "rl" / "v001"
    logged = scalars(version / "runs")
    for tag in ("train/loss", "train/reward", "train/rewards/format/mean", "train/rewards/classification/mean"):
        assert [step for step, _ in logged[tag]] == [1, 2], tag
    assert all(0.0 <= value <= 2.0 for _, value in logged["train/reward"])
    assert '"run_name": "rl:v001"' in run_args(version / "runs")


def test_report_to_defaults_to_none_and_is_passed_through():
    from pathlib import Path

    from pafas_cli.train.args import common_kwargs
    from pafas_cli.train.tracking import tracking_kwargs

    recipe = load_recipe(None, [])
    assert recipe.sft.report_to == [] and recipe.rl.report_to == []
    assert common_kwargs(recipe.sft, 0, Path("/tmp/x/checkpoints"))["report_to"] == "none"
    chosen = load_recipe(None, ["sft.report_to=[tensorboard, wandb]"]).sft
    kwargs = common_kwargs(chosen, 0, Path("/w/sft/v004.partial/checkpoints"),
                           tracking_kwargs(chosen.report_to, "sft", Path("/w/sft/v004.partial")))
    assert kwargs["report_to"] == ["tensorboard", "wandb"] and kwargs["run_name"] == "sft:v004"
    assert kwargs["project"] == "pafas"


@pytest.mark.parametrize(("override", "message"), [
    ("rl.report_to=[tensorbord]", "unknown tracker 'tensorbord'"),
    ("sft.report_to=[all]", "unknown tracker 'all'"),
    ("sft.report_to=[wandb, wandb]", "listed twice"),
    ("sft.trl_args={report_to: wandb}", "report_to"),
    ("sft.trl_args={run_name: x}", "run_name"),
])
def test_a_bad_report_to_is_refused_when_the_recipe_loads(override, message):
    with pytest.raises(PafasError, match=message):
        load_recipe(None, [override])


def test_a_tracker_that_is_not_installed_is_one_line_before_any_version(workspace, monkeypatch):
    import importlib.util

    from pafas_cli.commands import sft

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "wandb" else real(name, *a))
    with pytest.raises(PafasError, match=r"sft.report_to: wandb is not installed: pip install wandb"):
        sft.run(resolve_sft(load_recipe(None, [*SFT, "sft.report_to=[wandb]"]), workspace))
    assert not (workspace.root / "sft").exists()


def test_turning_tracking_on_does_not_stop_an_automatic_resume():
    from pafas_cli.train.resume import _training

    before = {"max_steps": 30, "report_to": []}
    assert _training(before) == _training({"max_steps": 30, "report_to": ["tensorboard"]})
    assert _training(before) == _training({"max_steps": 30})  # a run started before report_to existed
    assert _training(before) != _training({"max_steps": 31, "report_to": []})
