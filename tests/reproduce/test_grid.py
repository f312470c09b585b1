"""The grid as data: the shipped grid.yaml, the settings a run picks, its cells and what each needs."""

from dataclasses import replace

import pytest
import yaml

from pafas_cli.commands.reproduce import split_list
from pafas_cli.errors import PafasError
from pafas_cli.recipe_files import shipped
from pafas_cli.reproduce.grid import MISSING_SETS, Cell, Grid


def test_the_shipped_grid_has_the_paper_ladder(grid):
    assert [r.key for r in grid.rows] == ["cnn", "raw_sft", "raw_rl", "single_rl", "path_rl", "pathshuf_rl",
                                          "full_sft", "full_rl", "cons_rl", "drop_rl"]
    assert grid.splits == ("W", "S", "P", "C") and grid.paper_n == 50
    assert grid.row("raw_sft").model == "sft:raw" and grid.row("cons_rl").model == "rl:full:consistency"
    assert grid.variants["full"] == {"augmentation": "path", "shuffle": "answer"}
    assert grid.row("cnn").model == "cnn" and grid.requirements("cnn") == ["paths:full"]
    assert grid.p2_rows == ("full_rl", "cnn", "drop_rl")
    assert grid.valid_since and grid.stale_note.startswith("**Stale")


def test_default_plan_covers_every_table_seed_by_seed(grid, settings):
    cells = grid.plan(settings)
    # seeds x (splits x (P1 rows + P2 of PA-FAS, CNN, modality dropout) + N sweep on W)
    assert len(cells) == 3 * (4 * (10 + 3) + 4)
    assert settings.sft_steps * 8 >= 50 * settings.n_train, "SFT sees one epoch of the N = 50 version's rows"
    assert [c.seed for c in cells] == sorted(c.seed for c in cells)
    assert {c.split for c in cells if c.table == "n"} == {"W"}
    assert len({c.name for c in cells}) == len(cells)


def test_quick_and_all_splits(grid):
    quick = grid.settings(quick=True)
    assert (quick.seeds, quick.splits, quick.rows, quick.n_values) == ((0,), ("W",), ("cnn", "full_rl"), (50,))
    assert quick.n_train == grid.defaults["n_train"] and quick.sft_steps == grid.quick["sft_steps"]
    assert [c.name for c in grid.plan(quick)] == ["p1-W-s0-cnn", "p1-W-s0-full_rl", "p2-W-s0-full_rl",
                                                  "p2-W-s0-cnn", "n-W-s0-n50"]
    every = grid.settings(splits=("all",), seeds=(0, 1, 2, 3), n_values=())
    assert every.splits == ("W", "S", "P", "C") and every.n_split == "W"
    assert len(grid.plan(every)) == 4 * 4 * (10 + 3)
    assert grid.settings(splits=("c", "p")).n_split == "C"


def test_unknown_splits_rows_and_values_are_refused(grid):
    with pytest.raises(PafasError, match="unknown split X, row nope"):
        grid.settings(splits=("X",), rows=("nope",))
    with pytest.raises(PafasError, match="n-values"):
        grid.settings(n_values=(0,))
    with pytest.raises(PafasError, match="--seeds"):
        split_list("0,a", int, "--seeds")


def test_the_rerun_command_gives_back_the_same_settings(grid):
    s = grid.settings(splits=("W", "S"), rl_steps=30, overrides=("rl.beta=0",))
    parts = s.command().split()
    opt = {parts[i]: parts[i + 1] for i in range(2, len(parts) - 1) if parts[i].startswith("--")}
    again = grid.settings(seeds=split_list(opt["--seeds"], int, ""), splits=split_list(opt["--splits"], str, ""),
                          rows=split_list(opt["--rows"], str, ""), n_values=split_list(opt["--n-values"], int, ""),
                          n_train=int(opt["--n-train"]), n_dev=int(opt["--n-dev"]), n_test=int(opt["--n-test"]),
                          sft_steps=int(opt["--sft-steps"]), rl_steps=int(opt["--rl-steps"]),
                          overrides=(opt["--set"],))
    assert again == s


def test_the_paper_n_reuses_the_pafas_model_and_its_protocol2_eval(grid):
    n50 = Cell("n", "n50", "W", 0)
    assert grid.model_of(n50) == grid.model_of(Cell("p1", "full_rl", "W", 0)) == grid.pafas_model == "rl:full:paper"
    assert grid.model_of(Cell("n", "n5", "W", 0)) == "rl:full-n5:paper"
    assert Cell("p2", "full_rl", "W", 0).sets == ("test", *MISSING_SETS)


def test_closure_builds_each_output_after_what_it_needs(grid):
    order = grid.closure(["eval:rl:full-n5:paper", "eval:rl:full:consistency", "eval:sft:raw"])
    for i, key in enumerate(order):
        assert all(dep in order[:i] for dep in grid.requirements(key)), key
    # One tokenizer + model init per workspace, from the PA-FAS paths, shared by all variants.
    assert order.count("model") == 1 and grid.requirements("model") == ["paths:full"]
    assert grid.variant_of("full-n5") == {"augmentation": "path", "shuffle": "answer", "n_paths": 5,
                                          "modality_dropout": 0.0}
    assert grid.variant_of("pathshuf")["shuffle"] == "path" and grid.variant_of("pathshuf")["n_paths"] == 50
    assert grid.variant_of("drop")["modality_dropout"] == 0.2


def test_estimate_grows_with_training_length(grid, settings):
    longer = replace(settings, rl_steps=settings.rl_steps * 2)
    assert grid.cost("rl:full:paper", longer) > grid.cost("rl:full:paper", settings)
    assert grid.eval_faces(grid.pafas_model, settings) == settings.n_dev + 4 * settings.n_test
    assert grid.eval_faces("sft:raw", settings) == settings.n_dev + settings.n_test
    assert grid.eval_faces("rl:drop:paper", settings) == settings.n_dev + 4 * settings.n_test


def test_a_cell_is_identified_by_its_settings_never_by_a_commit(grid, settings):
    digest = grid.recipe_digest(settings)
    full = grid.cell_settings(Cell("p1", "full_rl", "W", 0), settings, digest)
    assert full["variant"] == {"augmentation": "path", "shuffle": "answer", "n_paths": 50, "modality_dropout": 0.0}
    cnn = grid.cell_settings(Cell("p2", "cnn", "W", 0), settings, digest)
    assert cnn["model"] == "cnn" and cnn["variant"] == full["variant"] and cnn["rewards"] is None
    assert cnn["sets"] == ["test", *MISSING_SETS]
    assert full["rewards"] == {"format": 1.0, "classification": 1.0} and full["sets"] == ["test"]
    assert "commit" not in full and full["sft_steps"] == settings.sft_steps
    raw = grid.cell_settings(Cell("p1", "raw_sft", "W", 0), settings, digest)
    assert raw["rewards"] is None and raw["variant"]["augmentation"] == "raw"
    assert grid.cell_settings(Cell("n", "n5", "W", 0), settings, digest)["variant"]["n_paths"] == 5
    # An override changes the base recipes' digest (a changed value measures the cells again).
    assert grid.recipe_digest(replace(settings, overrides=("rl.beta=0",))) != digest


def test_a_broken_grid_file_is_one_line_naming_it(tmp_path):
    raw = yaml.safe_load(shipped("reproduce/grid.yaml").read_text())
    raw["rows"][1]["variant"] = "nope"
    bad = tmp_path / "grid.yaml"
    bad.write_text(yaml.safe_dump(raw))
    with pytest.raises(PafasError, match=r"grid.yaml: rows: raw_sft: unknown variant 'nope'"):
        Grid.load(bad)
    raw["rows"][1]["variant"] = "raw"
    raw["rows"][0]["variant"] = "full"
    bad.write_text(yaml.safe_dump(raw))
    with pytest.raises(PafasError, match=r"grid.yaml: rows: a baseline row has key, label and baseline: true only"):
        Grid.load(bad)
    del raw["rows"][0]["variant"]
    raw["extra"] = 1
    bad.write_text(yaml.safe_dump(raw))
    with pytest.raises(PafasError, match="unknown key"):
        Grid.load(bad)
