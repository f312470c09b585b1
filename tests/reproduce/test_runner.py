"""The runner with fake stages: what it makes, what it finds again, what it records (nothing trains here)."""

import json
from collections import Counter
from dataclasses import replace

import pytest

from pafas_cli import threads
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


def test_a_run_records_every_cell_and_a_rerun_makes_nothing(grid, small, tmp_path, synth, fake_stages, monkeypatch):
    monkeypatch.setenv("PAFAS_REPRODUCE_PROCESSES", "3")
    stages = fake_stages()
    runner = make_runner(grid, small, stages, tmp_path, synth)
    todo, jobs = runner.plan()
    assert len(todo) == len(grid.plan(small)) == 2 * 2 * (3 + 1 + 2)
    assert runner.run() == 0
    # Per seed: paths full/raw/full-n5, one model and one pretraining for both regimes, and per regime sft
    # full/raw/full-n5, rl full/raw/full-n5 and one eval per model (raw_sft, raw_rl, full_rl with its P2 sets,
    # full-n5): shared stages are made once.
    assert Counter(stages.calls) == {"paths": 6, "model": 2, "pretrain": 2, "sft": 12, "rl": 12, "eval": 16}
    assert [k for _, k in jobs].count("model") == 2 and [k for _, k in jobs].count("pretrain") == 2
    records = read_cells(tmp_path / "cells.jsonl")
    assert [r["cell"] for r in records] == [c.name for c in grid.plan(small)]
    p2 = {r["regime"]: r for r in records if r["table"] == "p2" and r["seed"] == 0}
    assert set(p2["pretrained"]["sets"]) == {"test", "test_missing_depth", "test_missing_ir", "test_missing_both"}
    assert p2["pretrained"]["sets"]["test"]["hter_dev"] == pytest.approx(10.0)
    assert p2["pretrained"]["model_parameters"] == 1234
    # the reasoning rates in % (clauses per face a count), the share citing a missing modality on the P2 sets only
    sets = p2["pretrained"]["sets"]
    assert {k: sets["test"][k] for k in ("clauses_per_face", "parsed_rate", "clause_accuracy", "grounded_rate",
                                         "hallucination_rate")} == {
        "clauses_per_face": 7.25, "parsed_rate": 90.0, "clause_accuracy": 80.0, "grounded_rate": 70.0,
        "hallucination_rate": None}
    assert sets["test_missing_ir"]["hallucination_rate"] == 25.0
    assert [st["key"] for st in p2["pretrained"]["stages"]] == [
        "paths:full", "model", "pretrain", "pretrained/sft:full", "pretrained/rl:full:paper",
        "pretrained/eval:rl:full:paper"]
    assert [st["key"] for st in p2["scratch"]["stages"]] == [
        "paths:full", "model", "scratch/sft:full", "scratch/rl:full:paper", "scratch/eval:rl:full:paper"]
    for r in p2.values():
        assert all(st["timed"] == "runner" and st["seconds"] is not None for st in r["stages"])
        assert r["data"] and "commit" in r and "reproduce" not in json.dumps(r["settings"])
        assert r["processes"] == 3 and isinstance(r["load_1min"], float)
        assert {st["threads"] for st in r["stages"]} == {threads.resolve(None)}, "the count each manifest records"
        assert r["rl_curve"]["frac_reward_zero_std"] == [0.25, 0.5]
        assert r["rl_select"] == {"step": 40, "steps": 60, "dev_reward": [1.0, 1.5], "stopped": True}
    assert p2["pretrained"]["probe"] == {"pretrained": 0.8, "scratch": 0.7} and p2["scratch"]["probe"] is None
    # The two regimes' SFT of one variant start from the pretrain version and from the model it pretrained.
    ws = Workspace(tmp_path / "ws" / "W-s0")
    assert sorted(_input(v, "model") for v in ws.versions("sft")) == ["model:v001"] * 3 + ["pretrain:v001"] * 3
    assert _input(ws.latest("pretrain"), "model") == "model:v001"
    assert (tmp_path / "results.md").read_text().count("| W |") >= 6

    again = fake_stages()
    rerun = make_runner(grid, small, again, tmp_path, synth)
    assert rerun.plan() == ([], [])
    assert rerun.run() == 0 and again.calls == []
    assert len(read_cells(tmp_path / "cells.jsonl")) == len(records)


def _input(info, name):
    return next(i["ref"] for i in info.manifest["inputs"] if i["name"] == name)


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
    assert [c.row for c in todo] == ["full_sft"] * 4
    assert [k for _, k in jobs] == ["pretrained/eval:sft:full", "scratch/eval:sft:full"] * 2
    runner.run()
    assert stages.calls == ["eval"] * 4


def test_other_settings_make_their_own_versions_and_cells(grid, small, tmp_path, synth, fake_stages):
    make_runner(grid, small, fake_stages(), tmp_path, synth).run()
    longer = replace(small, rl_steps=small.rl_steps + 1)
    stages = fake_stages()
    runner = make_runner(grid, longer, stages, tmp_path, synth)
    todo, jobs = runner.plan()
    assert len(todo) == len(grid.plan(longer))  # the recorded cells were made with other settings
    assert {k.rpartition("/")[2].partition(":")[0] for _, k in jobs} == {"rl", "eval"}  # the rest is found
    runner.run()
    assert Counter(stages.calls) == {"rl": 12, "eval": 12}
    # Longer pretraining: the pretrained regime's cells and stages again; the scratch regime's cells stand.
    pretrained = replace(longer, pretrain_steps=longer.pretrain_steps + 1)
    todo, jobs = make_runner(grid, pretrained, fake_stages(), tmp_path, synth).plan()
    assert {c.regime for c in todo} == {"pretrained"} and len(todo) == len(grid.plan(pretrained)) // 2
    assert {k.rpartition("/")[2].partition(":")[0] for _, k in jobs} == {"pretrain", "sft", "rl", "eval", }


def test_a_failed_cell_is_reported_and_retried_by_the_next_run(grid, small, tmp_path, synth, fake_stages):
    s = replace(small, regimes=("scratch",), seeds=(0,), rows=("raw_sft", "full_rl"), n_values=())
    assert make_runner(grid, s, fake_stages(fail={"rl"}), tmp_path, synth).run() == 1
    assert [r["cell"] for r in read_cells(tmp_path / "cells.jsonl")] == ["p1-W-s0-raw_sft@scratch"]
    stages = fake_stages()
    assert make_runner(grid, s, stages, tmp_path, synth).run() == 0
    assert stages.calls == ["rl", "eval"]  # paths, model and sft of the failed cell were found
    assert len(read_cells(tmp_path / "cells.jsonl")) == 3


def test_stale_cells_and_versions_are_made_again(grid, small, tmp_path, synth, fake_stages):
    s = replace(small, regimes=("scratch",), seeds=(0,), rows=("raw_sft",), n_values=())
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
    s = replace(small, regimes=("scratch",), seeds=(0,), rows=("full_rl",), n_values=())
    stages = fake_stages()
    combo = make_runner(grid, s, stages, tmp_path, synth).combo("W", 0)
    model, paths = combo.ref("scratch/rl:full:paper"), combo.ref("paths:full")
    # An eval of the PA-FAS model on the test set only (what `pafas eval` makes without --protocol P2).
    stages.eval(stages.plan_eval(grid.recipe("eval", ["seed=0"]), combo.ws, models=[model], paths=paths))
    assert combo.lookup("scratch/eval:rl:full:paper") is None
    assert make_runner(grid, s, stages, tmp_path, synth).run() == 0
    assert [r["cell"] for r in read_cells(tmp_path / "cells.jsonl")] == ["p1-W-s0-full_rl@scratch",
                                                                         "p2-W-s0-full_rl@scratch"]
    assert stages.calls.count("eval") == 2


def test_the_report_is_not_replaced_before_a_cell_is_recorded(grid, small, tmp_path, synth, fake_stages):
    page = tmp_path / "results.md"
    page.write_text("the old page")
    s = replace(small, regimes=("scratch",), seeds=(0,), rows=("raw_sft",), n_values=())
    runner = make_runner(grid, s, fake_stages(fail={"paths"}), tmp_path, synth)
    assert runner.write_report() == 0 and runner.run() == 1
    assert page.read_text() == "the old page"
    assert make_runner(grid, s, fake_stages(), tmp_path, synth).run() == 0
    assert page.read_text().startswith("# Reproducing the PA-FAS claims")
    assert Cell("p1", "raw_sft", "W", 0, "scratch").name in {r["cell"] for r in read_cells(tmp_path / "cells.jsonl")}


def test_the_cnn_is_trained_once_per_split_seed_and_regime_the_pretrained_one_from_the_pretrained_trunk(
        grid, settings, tmp_path, synth, fake_stages):
    s = replace(settings, seeds=(0,), splits=("W",), rows=("cnn", "full_rl"), n_values=())
    stages = fake_stages()
    assert make_runner(grid, s, stages, tmp_path, synth).run() == 0
    assert stages.calls.count("baseline") == 2 and stages.calls.count("pretrain") == 1
    records = {r["cell"]: r for r in read_cells(tmp_path / "cells.jsonl")}
    pre, p2, scratch = (records[f"{t}-W-s0-cnn@{regime}"] for t, regime in (("p1", "pretrained"), ("p2", "pretrained"),
                                                                             ("p1", "scratch")))
    assert [st["key"] for st in pre["stages"]] == ["paths:full", "model", "pretrain", "pretrained/cnn"]
    assert [st["key"] for st in scratch["stages"]] == ["paths:full", "scratch/cnn"] and pre["stages"] == p2["stages"]
    assert pre["sets"]["test"]["hter_dev"] == pytest.approx(30.0) and pre["sets"]["test"]["format_rate"] is None
    assert pre["sets"]["test"]["parsed_rate"] is None and pre["sets"]["test"]["clauses_per_face"] is None
    assert set(p2["sets"]) == {"test", "test_missing_depth", "test_missing_ir", "test_missing_both"}
    assert pre["rl_curve"] is None and pre["rl_select"] is None
    assert records["p1-W-s0-full_rl@pretrained"]["rl_curve"] == {"reward": [1.25, 1.75], "format": [0.75, 1.0],
                                                                 "frac_reward_zero_std": [0.25, 0.5]}
    ws = Workspace(tmp_path / "ws" / "W-s0")
    cnns = {v.manifest["recipe"]["baseline"]["init"]: v for v in ws.versions("baseline")}
    assert set(cnns) == {"scratch", "pretrain:v001"}
    assert _input(cnns["pretrain:v001"], "init") == "pretrain:v001" and _input(cnns["scratch"], "paths") == "paths:v001"


def test_the_corpus_is_drawn_once_in_shared_and_found_by_every_workspace(grid, settings, tmp_path, synth,
                                                                       fake_stages):
    s = replace(settings, regimes=("pretrained",), seeds=(0,), splits=("W", "C"), rows=("full_sft",), n_values=())
    assert make_runner(grid, s, fake_stages(), tmp_path, synth).run() == 0
    (shared,) = Workspace(tmp_path / "ws" / "shared").versions("corpus")
    for split in ("W", "C"):
        ws = Workspace(tmp_path / "ws" / f"{split}-s0")
        (linked,) = ws.versions("corpus")
        assert linked.path.is_symlink() and linked.path.resolve() == shared.path.resolve()
        for stage in ("model", "pretrain"):
            (corpus,) = [i for i in ws.latest(stage).manifest["inputs"] if i["name"] == "corpus"]
            assert corpus["fingerprint"] == shared.manifest["fingerprint"]
    assert make_runner(grid, s, fake_stages(), tmp_path, synth).plan() == ([], [])
    # Another corpus size is another corpus (and other models): the first stays.
    other = replace(s, corpus_samples=s.corpus_samples + 1)
    _, jobs = make_runner(grid, other, fake_stages(), tmp_path, synth).plan()
    assert {k for _, k in jobs} >= {"model", "pretrain"} and "paths:full" not in {k for _, k in jobs}


def _draw_corpus(grid, s, root, synth, barrier):
    barrier.wait()
    Runner(grid, s, None, root, root / "cells.jsonl", root / "results.md", synth=str(synth)).corpus()


def test_processes_side_by_side_draw_the_corpus_once(grid, settings, tmp_path, synth, monkeypatch):
    """bench/reproduce_parallel.sh starts one process per split and seed: released together, four of them must
    leave one corpus version (a draw that takes a while: the others wait on the lock)."""
    import multiprocessing
    import time

    from pafas_cli.data.pretrain import version

    slow = version.write_version

    def write_version(cfg, ws, workers=None):
        time.sleep(0.5)
        return slow(cfg, ws, workers)

    monkeypatch.setattr(version, "write_version", write_version)
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(4)
    workers = [ctx.Process(target=_draw_corpus, args=(grid, settings, tmp_path / "ws", synth, barrier))
               for _ in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(60)
    assert [p.exitcode for p in workers] == [0] * 4
    assert len(Workspace(tmp_path / "ws" / "shared").versions("corpus")) == 1


def test_the_grpo_ablations_keep_the_sft_model_and_change_the_grpo_settings_or_its_faces(
        grid, settings, tmp_path, synth, fake_stages):
    s = replace(settings, regimes=("scratch",), seeds=(0,), splits=("W", "C"),
                rows=("full_rl", "full_rl_quick", "full_rl_held"), n_values=())
    assert make_runner(grid, s, fake_stages(), tmp_path, synth).run() == 0
    cells = [r["cell"] for r in read_cells(tmp_path / "cells.jsonl")]
    assert "p1-W-s0-full_rl_held@scratch" in cells and not any("C-s0-full_rl_" in c for c in cells)  # W and S only
    ws = Workspace(tmp_path / "ws" / "W-s0")
    rl = {(v.manifest["recipe"]["rl"]["beta"], _input(v, "paths")): v for v in ws.versions("rl")}
    paper, quick, held = rl[(0.0, "paths:v001")], rl[(0.04, "paths:v001")], rl[(0.0, "paths:v002")]
    assert _input(paper, "model") == _input(quick, "model") == _input(held, "model"), "one SFT model"
    assert paper.manifest["recipe"]["rl"]["select"] == quick.manifest["recipe"]["rl"]["select"], "chosen alike"
    assert quick.manifest["recipe"]["rl"]["num_generations"] == 4 and quick.manifest["recipe"]["rl"]["balance_labels"]
    data = {v.version: v.manifest["recipe"]["data"] for v in ws.versions("paths")}
    assert data["v001"]["train_block"] == 0 and data["v002"]["train_block"] == 1
    same = ("train_block", "protocol")  # (the held-back version has no Protocol-2 sets: nothing evaluates on it)
    assert {k: v for k, v in data["v001"].items() if k not in same} == \
        {k: v for k, v in data["v002"].items() if k not in same}
