"""The grid as data: the shipped grid.yaml, the settings a run picks, its cells and what each needs."""

from dataclasses import replace

import pytest
import yaml

from pafas_cli.commands.reproduce import split_list
from pafas_cli.errors import PafasError
from pafas_cli.recipe_files import shipped
from pafas_cli.reproduce.grid import MISSING_SETS, SIZE_KEYS, Cell, Grid


def test_the_shipped_grid_has_the_paper_ladder(grid):
    assert [r.key for r in grid.rows] == ["cnn", "raw_sft", "raw_rl", "single_rl", "path_rl", "pathshuf_rl",
                                          "full_sft", "full_rl", "cons_rl", "drop_rl", "full_rl_quick",
                                          "full_rl_held"]
    assert grid.splits == ("W", "S", "P", "C") and grid.paper_n == 50
    assert grid.row("raw_sft").model == "sft:raw" and grid.row("cons_rl").model == "rl:full:consistency"
    assert grid.row("full_rl_quick").model == "rl:full:paper:quickstart"
    assert grid.row("full_rl_held").splits == ("W", "S") and not grid.row("full_rl_held").runs_on("C")
    assert grid.variants["full"] == {"augmentation": "path", "shuffle": "answer"}
    assert grid.row("cnn").model == "cnn" and grid.requirements("scratch/cnn") == ["paths:full"]
    assert grid.requirements("pretrained/cnn") == ["paths:full", "pretrain"]
    assert grid.p2_rows == ("full_rl", "cnn", "drop_rl")
    assert grid.valid_since and grid.stale_note.startswith("**Stale")


def test_the_paper_grpo_recipe_is_the_papers_but_for_the_learning_rate(grid):
    """No KL term, temperature 1.0, the GRPO loss, G 8, 8 prompts a step, labels as they come, and the step
    chosen on the dev set; the quickstart's settings are the ablation row's, its step chosen the same way."""
    rl = grid.recipe("rl").rl
    assert (rl.beta, rl.temperature, rl.loss_type, rl.num_generations, rl.prompts_per_step(1)) == \
        (0.0, 1.0, "grpo", 8, 8)
    assert not rl.balance_labels and rl.lr_scheduler == "constant" and rl.learning_rate == 5e-4
    assert (rl.select.every, rl.select.faces, rl.select.patience) == (20, 64, 2)
    quick = grid.recipe("rl", grpo="quickstart").rl
    assert (quick.beta, quick.temperature, quick.loss_type, quick.num_generations, quick.balance_labels) == \
        (0.04, 0.8, "dapo", 4, True)
    assert quick.select == rl.select


def test_the_shipped_valid_since_is_a_commit_of_this_repository(grid):
    """valid_since is set in one place; after a squash or a rebase it names a commit git no longer has, and
    every cell would read as fresh: this fails instead."""
    import shutil
    import subprocess

    from pafas_cli.reproduce.record import REPO

    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs the git checkout")
    done = subprocess.run(["git", "-C", str(REPO), "cat-file", "-e", f"{grid.valid_since}^{{commit}}"],
                          capture_output=True)
    assert done.returncode == 0, f"grid.yaml valid_since {grid.valid_since} is not a commit here"


def test_default_plan_covers_every_table_seed_by_seed(grid, settings):
    cells = grid.plan(settings)
    # seeds x regimes x (splits x (P1 rows + P2 of PA-FAS, CNN, modality dropout) + the ablations on W and S
    # + N sweep on W)
    assert len(cells) == 3 * 2 * (4 * (10 + 3) + 2 * 2 + 4)
    assert settings.regimes == ("pretrained", "scratch")
    assert settings.sft_steps * 8 >= 50 * settings.n_train, "SFT sees one epoch of the N = 50 version's rows"
    assert [c.seed for c in cells] == sorted(c.seed for c in cells)
    assert [c.regime for c in cells[:len(cells) // 6]] == ["pretrained"] * (len(cells) // 6), "headline first"
    assert {c.split for c in cells if c.table == "n"} == {"W"}
    assert {c.split for c in cells if c.row == "full_rl_held"} == {"W", "S"}
    assert len({c.name for c in cells}) == len(cells)


def test_quick_and_all_splits(grid):
    quick = grid.settings(quick=True)
    assert (quick.regimes, quick.seeds, quick.splits, quick.rows, quick.n_values) == \
        (("pretrained", "scratch"), (0,), ("W",), ("cnn", "full_rl"), (50,))
    assert quick.n_train == grid.defaults["n_train"] and quick.sft_steps == grid.quick["sft_steps"]
    assert [c.name for c in grid.plan(quick)][:5] == ["p1-W-s0-cnn@pretrained", "p1-W-s0-full_rl@pretrained",
                                                      "p2-W-s0-full_rl@pretrained", "p2-W-s0-cnn@pretrained",
                                                      "n-W-s0-n50@pretrained"]
    every = grid.settings(regimes=("scratch",), splits=("all",), seeds=(0, 1, 2, 3), n_values=())
    assert every.splits == ("W", "S", "P", "C") and every.n_split == "W"
    assert len(grid.plan(every)) == 4 * (4 * (10 + 3) + 2 * 2)
    assert grid.settings(splits=("c", "p")).n_split == "C"
    with pytest.raises(PafasError, match="unknown regime frozen"):
        grid.settings(regimes=("frozen",))


def test_unknown_splits_rows_and_values_are_refused(grid):
    with pytest.raises(PafasError, match="unknown split X, row nope"):
        grid.settings(splits=("X",), rows=("nope",))
    with pytest.raises(PafasError, match="n-values"):
        grid.settings(n_values=(0,))
    with pytest.raises(PafasError, match="--seeds"):
        split_list("0,a", int, "--seeds")


def test_the_rerun_command_gives_back_the_same_settings(grid):
    s = grid.settings(regimes=("scratch",), splits=("W", "S"), rl_steps=30, pretrain_steps=7,
                      overrides=("rl.beta=0",))
    parts = s.command().split()
    opt = {parts[i]: parts[i + 1] for i in range(2, len(parts) - 1) if parts[i].startswith("--")}
    lists = {key: split_list(opt[f"--{key.replace('_', '-')}"], kind, "")
             for key, kind in (("regimes", str), ("seeds", int), ("splits", str), ("rows", str), ("n_values", int))}
    sizes = {key: int(opt[f"--{key.replace('_', '-')}"]) for key in SIZE_KEYS}
    assert grid.settings(**lists, **sizes, overrides=(opt["--set"],)) == s


def test_the_paper_n_reuses_the_pafas_model_and_its_protocol2_eval(grid):
    n50 = Cell("n", "n50", "W", 0, "pretrained")
    assert grid.model_of(n50) == grid.model_of(Cell("p1", "full_rl", "W", 0, "pretrained")) == grid.pafas_model \
        == "rl:full:paper"
    assert grid.result_of(n50) == "pretrained/eval:rl:full:paper"
    assert grid.model_of(Cell("n", "n5", "W", 0, "scratch")) == "rl:full-n5:paper"
    assert Cell("p2", "full_rl", "W", 0, "scratch").sets == ("test", *MISSING_SETS)


def test_closure_builds_each_output_after_what_it_needs(grid):
    order = grid.closure(["pretrained/eval:rl:full-n5:paper", "scratch/eval:rl:full:consistency",
                          "pretrained/eval:sft:raw", "scratch/eval:rl:full:paper:held", "pretrained/cnn"])
    for i, key in enumerate(order):
        assert all(dep in order[:i] for dep in grid.requirements(key)), key
    # One tokenizer + model init per workspace, from the PA-FAS paths, shared by all variants and both regimes;
    # one pretraining, which only the pretrained regime reads.
    assert order.count("model") == 1 and grid.requirements("model") == ["paths:full"]
    assert grid.requirements("pretrain") == ["model"]
    assert grid.requirements("pretrained/sft:raw") == ["pretrain", "paths:raw"]
    assert grid.requirements("scratch/sft:raw") == ["model", "paths:raw"]
    # The held-back row: the same SFT model, GRPO on the held-back block of faces.
    assert grid.requirements("scratch/rl:full:paper:held") == ["scratch/sft:full", "paths:full-held"]
    assert grid.held_back("full-held") and grid.variant_of("full-held") == grid.variant_of("full")
    with pytest.raises(ValueError):
        grid.requirements("sft:raw")  # a regime's output needs its regime
    assert grid.variant_of("full-n5") == {"augmentation": "path", "shuffle": "answer", "n_paths": 5,
                                          "modality_dropout": 0.0}
    assert grid.variant_of("pathshuf")["shuffle"] == "path" and grid.variant_of("pathshuf")["n_paths"] == 50
    assert grid.variant_of("drop")["modality_dropout"] == 0.2


def test_estimate_grows_with_training_length(grid, settings):
    longer = replace(settings, rl_steps=settings.rl_steps * 2, pretrain_steps=settings.pretrain_steps * 2)
    assert grid.cost("scratch/rl:full:paper", longer) > grid.cost("scratch/rl:full:paper", settings)
    assert grid.cost("pretrain", longer) > grid.cost("pretrain", settings)
    # GRPO's cost follows its completions per step (the quickstart's 32 against the paper's 64) and the dev
    # faces the selection scores (64 at the start and every 20 steps).
    c, scored = grid.costs, 64 * (settings.rl_steps // 20 + 1)
    assert grid.cost("scratch/rl:full:paper:quickstart", settings) == pytest.approx(
        c["rl"] + c["rl_completion"] * 32 * settings.rl_steps + c["select_face"] * scored)
    assert grid.cost("scratch/rl:full:paper", settings) == pytest.approx(
        c["rl"] + c["rl_completion"] * 64 * settings.rl_steps + c["select_face"] * scored)
    assert grid.eval_faces(grid.pafas_model, settings) == settings.n_dev + 4 * settings.n_test
    assert grid.eval_faces("sft:raw", settings) == settings.n_dev + settings.n_test
    assert grid.eval_faces("rl:drop:paper", settings) == settings.n_dev + 4 * settings.n_test


def test_a_cell_is_identified_by_its_settings_never_by_a_commit(grid, settings):
    digest = grid.recipe_digest(settings)
    full = grid.cell_settings(Cell("p1", "full_rl", "W", 0, "pretrained"), settings, digest)
    assert full["variant"] == {"augmentation": "path", "shuffle": "answer", "n_paths": 50, "modality_dropout": 0.0}
    cnn = grid.cell_settings(Cell("p2", "cnn", "W", 0, "pretrained"), settings, digest)
    assert cnn["model"] == "cnn" and cnn["variant"] == full["variant"] and cnn["rewards"] is None
    assert cnn["sets"] == ["test", *MISSING_SETS] and cnn["grpo"] is None
    assert full["rewards"] == {"format": 1.0, "classification": 1.0} and full["sets"] == ["test"]
    assert full["grpo"] == {"name": "paper"} and full["pretrain_steps"] == settings.pretrain_steps
    assert "commit" not in full and full["sft_steps"] == settings.sft_steps
    held = grid.cell_settings(Cell("p1", "full_rl_held", "W", 0, "pretrained"), settings, digest)
    assert held["grpo"] == {"name": "held", "faces": "held"} and held["variant"] == full["variant"]
    # The regime is in the name; a scratch cell does not depend on how long pretraining ran.
    scratch = grid.cell_settings(Cell("p1", "full_rl", "W", 0, "scratch"), settings, digest)
    assert "pretrain_steps" not in scratch and scratch["corpus_samples"] == settings.corpus_samples
    raw = grid.cell_settings(Cell("p1", "raw_sft", "W", 0, "scratch"), settings, digest)
    assert raw["rewards"] is None and raw["variant"]["augmentation"] == "raw"
    assert grid.cell_settings(Cell("n", "n5", "W", 0, "scratch"), settings, digest)["variant"]["n_paths"] == 5
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
