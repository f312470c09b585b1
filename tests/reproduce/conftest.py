"""The shipped grid and paper numbers, and fake stage entry functions for the runner's tests.

The fakes write workspace versions as the real stages do (the recipe sections each records, its inputs,
an eval's metrics.json), in milliseconds; the slow end-to-end test runs the real stages.
"""

from __future__ import annotations

import os
from dataclasses import asdict

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


class FakeStages:
    """Stage entry functions that record what they were asked and write minimal versions."""

    def __init__(self, fail: set[str] | None = None):
        self.calls: list[str] = []
        self.fail = fail or set()

    def _version(self, stage, recipe, ws, sections, inputs, files=None, metrics=None):
        self.calls.append(stage)
        if stage in self.fail:
            raise RuntimeError(f"{stage} failed on purpose")
        refs = [ws.resolve(ref).as_input(name) for name, ref in inputs]
        with ws.start(stage, sections, inputs=refs, seed=recipe.seed) as run:
            for name, text in (files or {"out.txt": f"{stage} {len(self.calls)}"}).items():
                (run.path / name).write_text(text)
            if stage == "model":
                run.set_metrics({"parameters": 1234})
            if metrics:
                run.set_metrics(metrics)

    def build_paths(self, recipe, ws):
        d = recipe.to_dict()
        self._version("paths", recipe, ws, {k: d[k] for k in ("seed", "data", "paths")}, [])

    def init_model(self, recipe, ws, paths):
        model = asdict(recipe.model)
        model["image_size"] = 56  # resolved from the paths version, as init-model records it
        self._version("model", recipe, ws, {"seed": recipe.seed, "model": model}, [("paths", paths)])

    def sft(self, recipe, ws, resume):
        cfg = recipe.to_dict()["sft"]
        self._version("sft", recipe, ws, {"seed": recipe.seed, "sft": cfg},
                      [("paths", cfg["paths"]), ("model", cfg["model"])])

    def rl(self, recipe, ws, resume):
        cfg = recipe.to_dict()["rl"]
        cfg.update(require_think=True, max_completion_length=99)  # resolved from the inputs, as rl records them
        curve = {"reward_start": 1.25, "reward_end": 1.75, "format_start": 0.75, "format_end": 1.0, "kl_end": 0.1}
        self._version("rl", recipe, ws, {"seed": recipe.seed, "rl": cfg},
                      [("paths", cfg["paths"]), ("model", cfg["model"])], metrics=curve)

    def eval(self, recipe, ws, models, paths, protocol=None):
        import json

        sets = ["test"] + (["test_missing_depth", "test_missing_ir", "test_missing_both"] if protocol else [])
        seed = recipe.seed
        metrics = {"protocol": protocol, "models": {models[0]: {"sets": {
            s: set_metrics(0.1 + 0.01 * seed + 0.02 * i, 0.9 - 0.01 * i, i > 0) for i, s in enumerate(sets)}}}}
        d = recipe.to_dict()
        self._version("eval", recipe, ws, {"seed": seed, "eval": d["eval"], "model": d["model"]},
                      [("paths", paths), ("model0", models[0])], files={"metrics.json": json.dumps(metrics)})

    def baseline(self, recipe, ws):
        import json

        sets = ["test", "test_missing_depth", "test_missing_ir", "test_missing_both"]
        metrics = {"protocol": "P2", "models": {"baseline": {"sets": {
            s: {**set_metrics(0.3 + 0.01 * recipe.seed + 0.02 * i, 0.7), "format_rate": None, "reasoning": None}
            for i, s in enumerate(sets)}}}}
        d = recipe.to_dict()
        self._version("baseline", recipe, ws, {"seed": recipe.seed, "baseline": d["baseline"]},
                      [("paths", d["baseline"]["paths"])], files={"metrics.json": json.dumps(metrics)})

    def entry_points(self):
        from pafas_cli.reproduce.runner import Stages

        return Stages(build_paths=self.build_paths, init_model=self.init_model, sft=self.sft, rl=self.rl,
                      eval=self.eval, baseline=self.baseline)


@pytest.fixture
def fake_stages():
    """The FakeStages class (a factory: fake_stages(fail={"rl"}))."""
    return FakeStages
