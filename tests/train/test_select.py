"""GRPO step selection (train/select.py) on a scripted dev-reward curve: where training stops, which weights the
run ends with (compared tensor by tensor with copies taken at every step), and a resumed run that continues the
selection exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from transformers import Trainer, TrainerCallback, TrainingArguments

from pafas_cli.config import load_recipe
from pafas_cli.errors import PafasError
from pafas_cli.train.config import SelectSection
from pafas_cli.train.callbacks import SELECT_FILE
from pafas_cli.train.select import DevSelection

# The dev reward at steps 0, 2, 4, ...: best at step 4; steps 6 and 8 do not beat it, so patience 2 stops at 8.
CURVE = [0.1, 0.3, 0.5, 0.4, 0.45, 0.9, 0.95]


class Line(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Linear(4, 1)

    def forward(self, x, y):
        return {"loss": ((self.w(x).squeeze(-1) - y) ** 2).mean()}


class Snapshots(TrainerCallback):
    """The oracle: a copy of the weights after every step."""

    def __init__(self):
        self.at: dict[int, dict] = {}

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        self.on_step_end(args, state, control, model)

    def on_step_end(self, args, state, control, model=None, **kwargs):
        self.at[state.global_step] = {k: v.detach().clone() for k, v in model.state_dict().items()}


def scripted(curve):
    """A fake scorer: the next value of `curve` at each evaluation, whatever the model."""
    values = iter(curve)
    return lambda model: {"reward": next(values), "rewards/classification": 0.0}


def train(tmp_path, selection, resume=None, save_steps=0):
    torch.manual_seed(0)
    data = [{"x": torch.randn(4), "y": torch.randn(())} for _ in range(64)]
    args = TrainingArguments(output_dir=str(tmp_path / "out"), max_steps=12, per_device_train_batch_size=4,
                             learning_rate=0.05, logging_steps=100, report_to=[], use_cpu=True, disable_tqdm=True,
                             save_strategy="steps" if save_steps else "no", save_steps=save_steps or 500,
                             seed=0, data_seed=0)
    model = Line()
    snapshots = Snapshots()
    trainer = Trainer(model=model, args=args, train_dataset=data, callbacks=[snapshots, selection])
    trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    return trainer, snapshots


def same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_training_stops_after_patience_evaluations_and_ends_with_the_best_steps_weights(tmp_path):
    selection = DevSelection(scripted(CURVE), SelectSection(every=2, patience=2), log=tmp_path)
    trainer, snapshots = train(tmp_path, selection)
    assert trainer.state.global_step == 8
    assert not same(snapshots.at[8], snapshots.at[4]), "the weights moved after the best step"
    assert same({k: v.detach() for k, v in trainer.model.state_dict().items()}, snapshots.at[4])
    logged = [json.loads(line) for line in (tmp_path / SELECT_FILE).read_text().splitlines()]
    assert [(p["step"], p["reward"]) for p in logged] == list(zip(range(0, 10, 2), CURVE[:5]))
    assert selection.summary() == {"select_step": 4, "select_reward": 0.5, "select_reward_start": 0.1,
                                   "select_evaluations": 5, "select_stopped": True}


def test_a_curve_that_never_beats_the_start_keeps_the_starting_weights(tmp_path):
    selection = DevSelection(scripted([0.5, 0.2, 0.1]), SelectSection(every=3, patience=2))
    trainer, snapshots = train(tmp_path, selection)
    assert trainer.state.global_step == 6 and selection.best_step == 0
    assert not same(snapshots.at[6], snapshots.at[0])
    assert same({k: v.detach() for k, v in trainer.model.state_dict().items()}, snapshots.at[0])


def test_the_last_step_is_scored_too_when_training_ends_between_evaluations(tmp_path):
    selection = DevSelection(scripted([0.1, 0.2, 0.3, 0.9]), SelectSection(every=5, patience=2))
    trainer, snapshots = train(tmp_path, selection)
    assert [p["step"] for p in selection.curve] == [0, 5, 10, 12] and selection.best_step == 12
    assert same({k: v.detach() for k, v in trainer.model.state_dict().items()}, snapshots.at[12])


def test_a_resumed_run_continues_the_selection_from_its_checkpoint(tmp_path):
    first = DevSelection(scripted(CURVE), SelectSection(every=2, patience=2), log=tmp_path)
    _, snapshots = train(tmp_path, first, save_steps=6)  # runs to step 8; checkpoint-6 holds the state at 6
    checkpoint = tmp_path / "out" / "checkpoint-6"
    again = DevSelection(scripted(CURVE[4:]), SelectSection(every=2, patience=2), resume=checkpoint)
    trainer, _ = train(tmp_path, again, resume=checkpoint)
    assert trainer.state.global_step == 8 and again.best_step == 4
    assert [p["step"] for p in again.curve] == [0, 2, 4, 6, 8]
    assert same({k: v.detach() for k, v in trainer.model.state_dict().items()}, snapshots.at[4])


def test_selection_settings_are_checked():
    assert load_recipe(None, []).rl.select.every == 0, "off by default"
    with pytest.raises(PafasError, match="rl.select.patience"):
        load_recipe(None, ["rl.select.patience=0"])


def test_the_dev_score_is_the_runs_weighted_rewards_of_greedy_answers_on_dev_faces_only(workspace, monkeypatch):
    """The scorer reads the paths version's dev set (not its RL or test faces) and scores each greedy answer with
    the run's reward functions and weights: checked against rewards counted by hand."""
    from pafas_cli.infer import generate as gen
    from pafas_cli.model.loader import load_processor_of
    from pafas_cli.paths.store import sample_columns, write_table
    from pafas_cli.train.select import dev_scorer

    paths = workspace.root / "paths" / "v001"
    rows = sample_columns(paths, "rl")
    rows["images"] = [[str(Path(p).relative_to(paths)) for p in faces] for faces in rows["images"]]  # as stored
    for name, part in (("dev", slice(0, 10)), ("test", slice(10, 24))):
        write_table(paths, f"eval/{name}", "eval", {**{k: v[part] for k, v in rows.items()},
                                                     "split": [name] * len(rows["id"][part])})
    seen: list[str] = []
    live = "<think>The IR image is bright.</think><answer>['Real Face']</answer>"

    def fake_generate(model, processor, chats, images, max_new_tokens):
        seen.extend(chats)  # every other answer is malformed: no credit at all
        return gen.Generation([live if (len(seen) - len(chats) + i) % 2 == 0 else "no answer"
                               for i in range(len(chats))], [])

    monkeypatch.setattr(gen, "generate", fake_generate)
    cfg = load_recipe(None, ["rl.rewards={format: 1.0, classification: 2.0}", "rl.max_completion_length=8",
                             "rl.batch_size=4", "rl.select.faces=10"]).rl
    processor = load_processor_of("model:latest", workspace)
    score = dev_scorer(cfg, paths, processor, None, seed=0)(torch.nn.Linear(1, 1))
    labels = rows["label"][0:10]  # the dev faces, in stored order: all 10 are scored
    by_hand = [(1.0 + 2.0 * labels[i]) if i % 2 == 0 else 0.0 for i in range(10)]
    assert len(seen) == 10 and score["reward"] == pytest.approx(sum(by_hand) / 10)
    assert score["rewards/format"] == pytest.approx(0.5)
    assert score["rewards/classification"] == pytest.approx(sum(labels[0:10:2]) / 10)
    seen.clear()
    dev_scorer(replace_faces(cfg, 4), paths, processor, None, seed=0)(torch.nn.Linear(1, 1))
    assert len(seen) == 4


def replace_faces(cfg, faces):
    from dataclasses import replace

    return replace(cfg, select=replace(cfg.select, faces=faces))
