"""The reproduction harness's planning, rewards, statistics and report (nothing here trains or generates)."""

import json
from dataclasses import replace

import pytest


@pytest.fixture
def settings(rp):
    return rp.Settings(**rp.DEFAULTS)


def test_default_plan_covers_every_table_seed_by_seed(rp, settings):
    cells = rp.plan_cells(settings)
    assert len(cells) == 3 * (2 * (8 + 1) + 6)  # seeds x (splits x (P1 rows + P2) + N sweep on W)
    assert [c.seed for c in cells] == sorted(c.seed for c in cells)
    assert {c.split for c in cells if c.table == "n"} == {"W"}
    assert len({c.name for c in cells}) == len(cells)


def test_the_paper_n_reuses_the_pafas_model_and_its_protocol2_eval(rp):
    n50 = rp.Cell("n", "n50", "W", 0)
    assert n50.model == rp.Cell("p1", "full_rl", "W", 0).model == rp.Cell("p2", "full_rl", "W", 0).model
    assert rp.Cell("n", "n5", "W", 0).model == "rl:full-n5:paper"
    assert rp.Cell("p2", "full_rl", "W", 0).sets == ("test", *rp.MISSING_SETS)
    assert rp.ROW["raw_sft"].model == "sft:raw" and rp.ROW["cons_rl"].model == "rl:full:consistency"


def test_closure_builds_each_output_after_what_it_needs(rp):
    order = rp.closure(["eval:rl:full-n5:paper", "eval:rl:full:consistency"])
    for i, key in enumerate(order):
        assert all(dep in order[:i] for dep in rp.requirements(key)), key
    # One tokenizer + model init per workspace, from the PA-FAS paths, shared by all variants.
    assert order.count("model") == 1 and rp.requirements("model") == ["paths:full"]
    assert rp.variant_of("full-n5") == ("path", "answer", 5)
    assert rp.variant_of("pathshuf") == ("path", "path", rp.PAPER_N)


def test_estimate_grows_with_training_length(rp, settings):
    longer = replace(settings, rl_steps=settings.rl_steps * 2)
    assert rp.cost("rl:full:paper", longer) > rp.cost("rl:full:paper", settings)
    assert rp.eval_faces(rp.FULL_MODEL, settings) == settings.n_dev + 4 * settings.n_test


def test_paired_comparison_resolves_only_beyond_two_standard_errors(rp):
    clear = rp.compare({0: 10.0, 1: 12.0, 2: 11.0}, {0: 20.0, 1: 21.0, 2: 22.0})
    assert clear.diff == pytest.approx(10.0) and clear.sign == 1 and clear.n == 3
    noisy = rp.compare({0: 10.0, 1: 12.0, 2: 11.0}, {0: 14.0, 1: 8.0, 2: 12.0})
    assert noisy.sign == 0
    assert rp.compare({0: 1.0}, {1: 2.0}) is None
    assert "one seed" in rp.verdict(rp.compare({0: 1.0}, {0: 5.0}), -1)


def test_a_claim_of_small_difference_needs_the_whole_interval_inside_the_bound(rp):
    assert rp.within(1.0, 0.4, 2.0) == "yes"       # 1 + 0.8 <= 2
    assert rp.within(1.0, 3.0, 2.0) == "unclear"   # noise alone never confirms "no change"
    assert rp.within(19.5, 13.5, 2.0) == "unclear"
    assert rp.within(9.0, 1.0, 2.0) == "no"        # 9 - 2 > 2
    assert rp.within(1.5, None, 2.0) == "yes"


def fake_cell(rp, settings, table, row, split, seed, hter, auc, sets=("test",)):
    metrics = {"hter_dev": hter, "hter_oracle": hter - 1, "auc": auc, "eer": hter, "format_rate": 90.0,
               "answer_accuracy": 80.0, "consistency": 95.0, "n": 150}
    return {"cell": rp.Cell(table, row, split, seed).name, "table": table, "row": row, "split": split, "seed": seed,
            "settings": settings.signature(), "sets": {s: dict(metrics) for s in sets}}


def test_report_tables_and_discussion_come_from_the_cells(rp, settings, tmp_path):
    s = replace(settings, splits=("W",), rows=("raw_sft", "raw_rl", "full_rl"), n_values=(1, 50))
    cells = []
    for seed in s.seeds:
        cells += [fake_cell(rp, s, "p1", "raw_sft", "W", seed, 20.0 + seed, 80.0),
                  fake_cell(rp, s, "p1", "raw_rl", "W", seed, 30.0 + seed, 70.0),
                  fake_cell(rp, s, "p1", "full_rl", "W", seed, 10.0 + seed, 90.0),
                  fake_cell(rp, s, "p2", "full_rl", "W", seed, 10.0 + seed, 90.0, ("test", *rp.MISSING_SETS)),
                  fake_cell(rp, s, "n", "n1", "W", seed, 15.0 + seed, 85.0 + seed),
                  fake_cell(rp, s, "n", "n50", "W", seed, 10.0 + seed, 90.0 + seed)]
    text = rp.render_report(s, cells)
    assert "| Raw labels, SFT | W | 21.00 ± 1.00 | 20.00 ± 1.00 | 80.00 ± 0.00 | 90.00 ± 0.00 | 3 | 5.12 / 97.65 |" \
        in text
    assert "**GRPO after raw-label SFT makes cross-domain HTER worse**" in text
    claim = next(line for line in text.splitlines() if "GRPO after raw-label SFT" in line)
    assert "raw_sft 21.00 vs raw_rl 31.00" in claim and "**holds**" in claim
    n_claim = next(line for line in text.splitlines() if "AUC peaks near" in line)
    assert "highest at N = 50" in n_claim and "**holds**" in n_claim
    assert "not measured yet" not in text
    assert s.command() in text


def test_finished_cells_count_only_with_the_same_settings(rp, settings, tmp_path):
    harness = rp.Harness(settings, tmp_path / "ws", tmp_path / "out", tmp_path / "results.md", "unused", False)
    cell = rp.Cell("p1", "raw_sft", "W", 0)
    (tmp_path / "out").mkdir()
    stale = replace(settings, sft_steps=settings.sft_steps + 1)
    harness.cell_file(cell).write_text(json.dumps({"cell": cell.name, "settings": stale.signature()}))
    assert not harness.done(cell)
    harness.cell_file(cell).write_text(json.dumps({"cell": cell.name, "settings": settings.signature()}))
    assert harness.done(cell)
    todo, jobs = harness.plan()
    assert cell not in todo and len(todo) == len(rp.plan_cells(settings)) - 1
    assert [key for combo, key in jobs[:2]] == ["paths:full", "model"]
