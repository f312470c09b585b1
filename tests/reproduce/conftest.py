"""The shipped grid and paper numbers, and fake stage entry functions for the runner's tests.

The fakes write workspace versions as the real stages do (the recipe sections each records, its inputs,
an eval's metrics.json), in milliseconds; the slow end-to-end test runs the real stages.
"""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from pafas_cli.reproduce.grid import Grid, Settings
from pafas_cli.reproduce.report import Paper

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def grid() -> Grid:
    return Grid.load()


@pytest.fixture(scope="session")
def paper() -> Paper:
    return Paper.load()


@pytest.fixture
def settings(grid) -> Settings:
    return grid.settings()


def set_metrics(hter: float, auc: float, missing: bool = False) -> dict:
    """An eval set's metrics as metrics.json holds them (fractions); `missing`: a Protocol-2 set."""
    return {"n": 10, "honest": {"hter": hter, "auc": auc, "eer": hter}, "oracle": {"hter": hter},
            "format_rate": 1.0, "answer_accuracy": 0.5, "answer_balanced_accuracy": 0.5,
            "reasoning_balanced_accuracy": 0.75, "consistency": 1.0,
            "reasoning": {"clauses_per_face": 7.25, "parsed_rate": 0.9, "clause_accuracy": 0.8, "grounded_rate": 0.7,
                          "hallucination_rate": 0.25 if missing else None, "counts": {}}}


@pytest.fixture(autouse=True)
def fake_corpus(monkeypatch):
    """Pretraining corpora drawn in milliseconds: a version with the corpus settings and no scenes (the fake
    stages read none); the slow end-to-end tests run `pafas` in a subprocess, with the real generator."""
    from pafas_cli.data.pretrain import version

    def write_version(cfg, ws, workers=None):
        with ws.start(version.STAGE, version.settings(cfg), seed=cfg.seed) as writer:
            (writer.path / "corpus.json").write_text("{}")
        return writer.ref

    monkeypatch.setattr(version, "write_version", write_version)


class FakeStages:
    """Stages that plan as the real ones do (the recipe sections each records, with the values it would
    inherit filled in) and write minimal versions, recording what they were asked to run."""

    def __init__(self, fail: set[str] | None = None):
        self.calls: list[str] = []
        self.fail = fail or set()

    def _run(self, plan, files=None, metrics=None):
        self.calls.append(plan.stage)
        if plan.stage in self.fail:
            raise RuntimeError(f"{plan.stage} failed on purpose")
        found = []
        if plan.stage in ("model", "pretrain"):  # as init-model (model.corpus) and pretrain record the corpus
            from pafas_cli.data.pretrain.version import ensure_corpus

            found.append(ensure_corpus(plan.recipe.pretrain.corpus, plan.workspace).as_input("corpus"))
        with plan.start(inputs=found) as run:
            for name, text in (files or {"out.txt": f"{plan.stage} {len(self.calls)}"}).items():
                (run.path / name).write_text(text)
            if plan.stage == "model":
                run.set_metrics({"parameters": 1234})
            if metrics:
                run.set_metrics(metrics)

    @staticmethod
    def _plan(stage, recipe, ws, inputs=(), **extra):
        from pafas_cli.plan import Plan

        return Plan(stage, ws, recipe, tuple((name, ws.resolve(ref)) for name, ref in inputs), **extra)

    def plan_paths(self, recipe, ws):
        return self._plan("paths", recipe, ws)

    def plan_model(self, recipe, ws, paths):
        recipe = replace(recipe, model=replace(recipe.model, image_size=56))  # inherited from the paths version
        return self._plan("model", recipe, ws, [("paths", paths)])

    def plan_pretrain(self, recipe, ws):
        return self._plan("pretrain", recipe, ws, [("model", recipe.pretrain.model)])

    def pretrain(self, plan):
        probe = {"probe_W_pretrained": 0.8, "probe_W_scratch": 0.7, "probe_C_pretrained": 0.9, "probe_C_scratch": 0.6}
        self._run(plan, files={"cnn_trunk.pt": "trunk"}, metrics=probe)

    def plan_sft(self, recipe, ws):
        return self._plan("sft", recipe, ws, [("paths", recipe.sft.paths), ("model", recipe.sft.model)])

    def plan_rl(self, recipe, ws):
        recipe = replace(recipe, rl=replace(recipe.rl, require_think=True, max_completion_length=99))  # inherited
        return self._plan("rl", recipe, ws, [("paths", recipe.rl.paths), ("model", recipe.rl.model)])

    def plan_eval(self, recipe, ws, models, paths, protocol=None):
        plan = self._plan("eval", recipe, ws, [("paths", paths), ("model0", models[0])])
        return replace(plan, notes={"model": models[0], "protocol": protocol})

    def plan_baseline(self, recipe, ws):
        init = [] if recipe.baseline.init == "scratch" else [("init", recipe.baseline.init)]
        return self._plan("baseline", recipe, ws, [("paths", recipe.baseline.paths), *init])

    def rl(self, plan):
        curve = {"reward_start": 1.25, "reward_end": 1.75, "format_start": 0.75, "format_end": 1.0, "kl_end": 0.1,
                 "frac_reward_zero_std_start": 0.25, "frac_reward_zero_std_end": 0.5, "steps": 60}
        if plan.recipe.rl.select.every:  # train/select.py's summary
            curve.update(select_step=40, select_reward=1.5, select_reward_start=1.0, select_evaluations=4,
                         select_stopped=True)
        self._run(plan, metrics=curve)

    def eval(self, plan):
        import json

        protocol = plan.notes["protocol"]
        sets = ["test"] + (["test_missing_depth", "test_missing_ir", "test_missing_both"] if protocol else [])
        seed = plan.seed
        metrics = {"protocol": protocol, "models": {plan.notes["model"]: {"sets": {
            s: set_metrics(0.1 + 0.01 * seed + 0.02 * i, 0.9 - 0.01 * i, i > 0) for i, s in enumerate(sets)}}}}
        self._run(plan, files={"metrics.json": json.dumps(metrics)})

    def baseline(self, plan):
        import json

        sets = ["test", "test_missing_depth", "test_missing_ir", "test_missing_both"]
        metrics = {"protocol": "P2", "models": {"baseline": {"sets": {
            s: {**set_metrics(0.3 + 0.01 * plan.seed + 0.02 * i, 0.7), "format_rate": None, "reasoning": None}
            for i, s in enumerate(sets)}}}}
        self._run(plan, files={"metrics.json": json.dumps(metrics)})

    def entry_points(self):
        from pafas_cli.reproduce.runner import Stage, Stages

        return Stages(build_paths=Stage(self.plan_paths, self._run), init_model=Stage(self.plan_model, self._run),
                      pretrain=Stage(self.plan_pretrain, self.pretrain), sft=Stage(self.plan_sft, self._run),
                      rl=Stage(self.plan_rl, self.rl),
                      eval=Stage(self.plan_eval, self.eval), baseline=Stage(self.plan_baseline, self.baseline))


@pytest.fixture
def fake_stages():
    """The FakeStages class (a factory: fake_stages(fail={"rl"}))."""
    return FakeStages
