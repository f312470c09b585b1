"""The runner with fake stages: what it makes, what it finds again, what it records (nothing trains here)."""

import json
from collections import Counter
from dataclasses import replace

import pytest

from pafas_cli.reproduce.grid import Cell
from pafas_cli.reproduce.record import read_cells
from pafas_cli.reproduce.runner import Runner
from pafas_cli.workspace import Workspace


@pytest.fixture
def synth(tmp_path):
    folder = tmp_path / "synth"
    folder.mkdir()
    (folder / "W-test.txt").write_text("a b c 1\n")
    return folder


def make_runner(grid, s, stages, tmp_path, synth, **kw):
    return Runner(grid, s, stages.entry_points() if stages else None, tmp_path / "ws", tmp_path / "cells.jsonl",
                  tmp_path / "results.md", synth=str(synth), **kw)


@pytest.fixture
def small(grid, settings):
    return replace(settings, seeds=(0, 1), splits=("W",), rows=("raw_sft", "raw_rl", "full_rl"), n_values=(5, 50))


def test_a_run_records_every_cell_and_a_rerun_makes_nothing(grid, small, tmp_path, synth, fake_stages):
    stages = fake_stages()
    runner = make_runner(grid, small, stages, tmp_path, synth)
    todo, jobs = runner.plan()
    assert len(todo) == len(grid.plan(small)) == 2 * (3 + 1 + 2)
    assert runner.run() == 0
    # Per seed: paths full/raw/full-n5, one model, sft full/raw/full-n5, rl full/raw/full-n5, and one eval per
    # model (raw_sft, raw_rl, full_rl with its P2 sets, full-n5): shared stages are made once.
    assert Counter(stages.calls) == {"paths": 6, "model": 2, "sft": 6, "rl": 6, "eval": 8}
    assert [k for _, k in jobs].count("model") == 2
    records = read_cells(tmp_path / "cells.jsonl")
    assert [r["cell"] for r in records] == [c.name for c in grid.plan(small)]
    p2 = next(r for r in records if r["table"] == "p2")
    assert set(p2["sets"]) == {"test", "test_missing_depth", "test_missing_ir", "test_missing_both"}
    assert p2["sets"]["test"]["hter_dev"] == pytest.approx(10.0) and p2["model_parameters"] == 1234
    # the reasoning rates in % (clauses per face a count), the share citing a missing modality on the P2 sets only
    assert {k: p2["sets"]["test"][k] for k in ("clauses_per_face", "parsed_rate", "clause_accuracy", "grounded_rate",
                                               "hallucination_rate")} == {
        "clauses_per_face": 7.25, "parsed_rate": 90.0, "clause_accuracy": 80.0, "grounded_rate": 70.0,
        "hallucination_rate": None}
    assert p2["sets"]["test_missing_ir"]["hallucination_rate"] == 25.0
    assert [st["key"] for st in p2["stages"]] == ["paths:full", "model", "sft:full", "rl:full:paper",
                                                  "eval:rl:full:paper"]
    assert all(st["timed"] == "runner" and st["seconds"] is not None for st in p2["stages"])
    assert p2["data"] and "commit" in p2 and "reproduce" not in json.dumps(p2["settings"])
    assert (tmp_path / "results.md").read_text().count("| W |") >= 3

    again = fake_stages()
    rerun = make_runner(grid, small, again, tmp_path, synth)
    assert rerun.plan() == ([], [])
    assert rerun.run() == 0 and again.calls == []
    assert len(read_cells(tmp_path / "cells.jsonl")) == len(records)


def test_recorded_cells_are_skipped_but_their_stages_found_for_new_cells(grid, small, tmp_path, synth, fake_stages):
    make_runner(grid, small, fake_stages(), tmp_path, synth).run()
    (tmp_path / "cells.jsonl").unlink()  # the workspace keeps every version
    stages = fake_stages()
    assert make_runner(grid, small, stages, tmp_path, synth).run() == 0
    assert stages.calls == []  # every cell measured again from the versions found
    more = replace(small, rows=("raw_sft", "raw_rl", "full_rl", "full_sft"))
    stages = fake_stages()
    runner = make_runner(grid, more, stages, tmp_path, synth)
    todo, jobs = runner.plan()
    assert [c.row for c in todo] == ["full_sft", "full_sft"] and [k for _, k in jobs] == ["eval:sft:full"] * 2
    runner.run()
    assert stages.calls == ["eval", "eval"]


def test_other_settings_make_their_own_versions_and_cells(grid, small, tmp_path, synth, fake_stages):
    make_runner(grid, small, fake_stages(), tmp_path, synth).run()
    longer = replace(small, rl_steps=small.rl_steps + 1)
    stages = fake_stages()
    runner = make_runner(grid, longer, stages, tmp_path, synth)
    todo, jobs = runner.plan()
    assert len(todo) == len(grid.plan(longer))  # the recorded cells were made with other settings
    assert {k.partition(":")[0] for _, k in jobs} == {"rl", "eval"}  # paths, model and SFT are found
    runner.run()
    assert Counter(stages.calls) == {"rl": 6, "eval": 6}


def test_a_failed_cell_is_reported_and_retried_by_the_next_run(grid, small, tmp_path, synth, fake_stages):
    s = replace(small, seeds=(0,), rows=("raw_sft", "full_rl"), n_values=())
    assert make_runner(grid, s, fake_stages(fail={"rl"}), tmp_path, synth).run() == 1
    assert [r["cell"] for r in read_cells(tmp_path / "cells.jsonl")] == ["p1-W-s0-raw_sft"]
    stages = fake_stages()
    assert make_runner(grid, s, stages, tmp_path, synth).run() == 0
    assert stages.calls == ["rl", "eval"]  # paths, model and sft of the failed cell were found
    assert len(read_cells(tmp_path / "cells.jsonl")) == 3


def test_stale_cells_and_versions_are_made_again(grid, small, tmp_path, synth, fake_stages):
    s = replace(small, seeds=(0,), rows=("raw_sft",), n_values=())
    make_runner(grid, s, fake_stages(), tmp_path, synth).run()
    # Pretend everything was made before the grid's valid_since.
    ws = Workspace(tmp_path / "ws" / "W-s0")
    for stage in ("paths", "model", "sft", "eval"):
        manifest = ws.latest(stage).path / "manifest.json"
        data = json.loads(manifest.read_text())
        manifest.write_text(json.dumps({**data, "git_revision": "old"}))
    cells = tmp_path / "cells.jsonl"
    cells.write_text(cells.read_text().replace('"commit": "', '"commit": "old-'))
    stages = fake_stages()
    runner = make_runner(grid, s, stages, tmp_path, synth)
    runner.commits.stale = lambda commit: str(commit).startswith("old")
    runner.commits.fresh = lambda commit: not str(commit).startswith("old")
    assert len(runner.plan()[0]) == 1
    runner.run()
    assert Counter(stages.calls) == {"paths": 1, "model": 1, "sft": 1, "eval": 1}
    assert len(read_cells(cells)) == 2  # the stale record stays; the new one supersedes it


def test_an_eval_without_the_protocol2_sets_is_not_the_pafas_models_eval(grid, small, tmp_path, synth, fake_stages):
    s = replace(small, seeds=(0,), rows=("full_rl",), n_values=())
    stages = fake_stages()
    combo = make_runner(grid, s, stages, tmp_path, synth).combo("W", 0)
    model, paths = combo.ref("rl:full:paper"), combo.ref("paths:full")
    # An eval of the PA-FAS model on the test set only (what `pafas eval` makes without --protocol P2).
    stages.eval(stages.plan_eval(grid.recipe("eval", ["seed=0"]), combo.ws, models=[model], paths=paths))
    assert combo.lookup("eval:rl:full:paper") is None
    assert make_runner(grid, s, stages, tmp_path, synth).run() == 0
    assert [r["cell"] for r in read_cells(tmp_path / "cells.jsonl")] == ["p1-W-s0-full_rl", "p2-W-s0-full_rl"]
    assert stages.calls.count("eval") == 2


def test_the_report_is_not_replaced_before_a_cell_is_recorded(grid, small, tmp_path, synth, fake_stages):
    page = tmp_path / "results.md"
    page.write_text("the old page")
    s = replace(small, seeds=(0,), rows=("raw_sft",), n_values=())
    runner = make_runner(grid, s, fake_stages(fail={"paths"}), tmp_path, synth)
    assert runner.write_report() == 0 and runner.run() == 1
    assert page.read_text() == "the old page"
    assert make_runner(grid, s, fake_stages(), tmp_path, synth).run() == 0
    assert page.read_text().startswith("# Reproducing the PA-FAS claims")
    assert Cell("p1", "raw_sft", "W", 0).name in {r["cell"] for r in read_cells(tmp_path / "cells.jsonl")}


def test_the_cnn_is_trained_once_per_split_and_seed_and_grpo_cells_keep_their_reward_curve(grid, settings, tmp_path,
                                                                                          synth, fake_stages):
    s = replace(settings, seeds=(0,), splits=("W",), rows=("cnn", "full_rl"), n_values=())
    stages = fake_stages()
    assert make_runner(grid, s, stages, tmp_path, synth).run() == 0
    assert stages.calls.count("baseline") == 1
    records = {r["cell"]: r for r in read_cells(tmp_path / "cells.jsonl")}
    p1, p2 = records["p1-W-s0-cnn"], records["p2-W-s0-cnn"]
    assert [st["key"] for st in p1["stages"]] == ["paths:full", "cnn"] and p1["stages"] == p2["stages"]
    assert p1["sets"]["test"]["hter_dev"] == pytest.approx(30.0) and p1["sets"]["test"]["format_rate"] is None
    assert p1["sets"]["test"]["parsed_rate"] is None and p1["sets"]["test"]["clauses_per_face"] is None
    assert set(p2["sets"]) == {"test", "test_missing_depth", "test_missing_ir", "test_missing_both"}
    assert p1["rl_curve"] is None
    assert records["p1-W-s0-full_rl"]["rl_curve"] == {"reward": [1.25, 1.75], "format": [0.75, 1.0]}
    ws = Workspace(tmp_path / "ws" / "W-s0")
    (cnn,) = ws.versions("baseline")
    assert cnn.manifest["inputs"][0]["ref"] == "paths:v001"
