"""The page is made from cell records and the paper's numbers alone: tables, costs, claims, stale marks."""

from dataclasses import replace

import pytest

from pafas_cli.reproduce.grid import MISSING_SETS, Cell
from pafas_cli.reproduce.report import render, shown_records


DATA = {"synth": {"per_domain": 1000, "seed": 0, "version": 1}}


class FakeCommits:
    """Commits whose staleness the test decides ("old..." is before valid_since)."""

    def fresh(self, commit):
        return not str(commit).startswith("old")

    def stale(self, commit):
        return self.fresh(commit) is False


def record(grid, s, table, row, split, seed, hter, auc, sets=("test",), commit="abc1234", minutes=1.0,
           curve=None, reasoning=None):
    metrics = {"hter_dev": hter, "hter_oracle": hter - 1, "auc": auc, "eer": hter, "format_rate": 90.0,
               "answer_accuracy": 80.0, "answer_balanced_accuracy": 75.0, "reasoning_balanced_accuracy": 70.0,
               "consistency": 95.0, "n": 150, **(reasoning or {})}
    if row == "cnn":  # a classifier: no answer to rate
        metrics.update(dict.fromkeys(("format_rate", "answer_accuracy", "answer_balanced_accuracy",
                                      "reasoning_balanced_accuracy", "consistency")))
    cell = Cell(table, row, split, seed)
    return {"cell": cell.name, "table": table, "row": row, "split": split, "seed": seed,
            "settings": grid.cell_settings(cell, s, "digest"), "data": DATA, "commit": commit,
            "cores": 2, "model_parameters": 758208,
            "stages": [{"key": "model", "version": "v001", "seconds": 30.0, "commit": commit},
                       {"key": f"eval:{grid.model_of(cell)}", "version": f"v00{seed}", "seconds": 60 * minutes - 30,
                        "commit": commit}],
            "sets": {name: dict(metrics) for name in sets}, "rl_curve": curve}


def ladder(grid, s, commit_of=lambda seed: "abc1234"):
    cells = []
    for seed in s.seeds:
        c = commit_of(seed)
        cells += [record(grid, s, "p1", "raw_sft", "W", seed, 20.0 + seed, 80.0, commit=c, minutes=2.0),
                  record(grid, s, "p1", "raw_rl", "W", seed, 30.0 + seed, 70.0, commit=c,
                         curve={"reward": [1.0 + 0.1 * seed, 1.5 + 0.1 * seed], "format": [0.5, 0.9]}),
                  record(grid, s, "p1", "full_rl", "W", seed, 10.0 + seed, 90.0, commit=c),
                  record(grid, s, "p2", "full_rl", "W", seed, 10.0 + seed, 90.0, ("test", *MISSING_SETS), commit=c),
                  record(grid, s, "n", "n1", "W", seed, 15.0 + seed, 85.0 + seed, commit=c),
                  record(grid, s, "n", "n50", "W", seed, 10.0 + seed, 90.0 + seed, commit=c)]
    return cells


def test_the_paper_numbers_are_the_first_harness_constants(paper):
    assert paper.protocol1["raw_sft"]["W"] == (5.12, 97.65) and paper.protocol1["full_rl"]["avg"] == (15.21, 89.14)
    assert paper.protocol1["pathshuf_rl"] == {"avg": (24.12, 84.23)} and paper.sources["path_rl"] == "Tables 4, 5"
    assert paper.protocol2["full_rl"]["test_missing_ir"] == (17.32, 88.23)
    assert paper.protocol1["cnn"]["avg"] == (42.84, 60.10) and "MM-CDCN" in paper.p2_sources["cnn"]
    assert paper.mean("raw_sft", ("W", "C")) == pytest.approx((16.515, 86.925))
    assert paper.mean("path_rl", ("W",)) is None
    assert [c["kind"] for c in paper.claims] == ["pair"] * 3 + ["small_difference"] + ["pair"] * 3 + \
        ["n_peak", "missing", "pair", "pair"]


def test_report_tables_costs_and_discussion_come_from_the_cells(grid, paper, settings):
    s = replace(settings, splits=("W",), rows=("raw_sft", "raw_rl", "full_rl"), n_values=(1, 50))
    text = render(grid, paper, s, ladder(grid, s), FakeCommits(), when="today")
    assert "| Raw labels, SFT | W | 21.00 ± 1.00 | 20.00 ± 1.00 | 80.00 ± 0.00 | 90.00 ± 0.00 | — | 3 | 2.0 | " \
           "5.12 / 97.65 |" in text
    # the GRPO reward curve: mean over seeds of start (1.0, 1.1, 1.2) and end (1.5, 1.6, 1.7)
    assert "| Raw labels, SFT+GRPO | W | 31.00 ± 1.00 | 30.00 ± 1.00 | 70.00 ± 0.00 | 90.00 ± 0.00 | 1.10 → 1.60 | " \
           "3 | 1.0 | 7.75 / 97.36 |" in text
    assert "| 50 | ~10,000 | 1 | 11.00 ± 1.00 | 10.00 ± 1.00 | 91.00 ± 1.00 | 90.00 ± 0.00 | 3 | 1.0 |" in text
    assert "| 1 | ~200 | 50 |" in text and "SFT saw 10,000 rows in every cell (1250 steps x 8)" in text
    claim = next(line for line in text.splitlines() if "GRPO after raw-label SFT" in line)
    assert "raw_sft 21.00 vs raw_rl 31.00" in claim and "**holds**" in claim
    n_claim = next(line for line in text.splitlines() if "AUC peaks near" in line)
    assert "highest at N = 50" in n_claim and "**holds**" in n_claim
    p2_claim = next(line for line in text.splitlines() if "Robust to missing" in line)
    assert "at most +2.11 points" in p2_claim and "**holds**" in p2_claim
    assert "not measured yet" not in text and "Stale" not in text and "†" not in text
    assert s.command() in text and "measured at commit abc1234 (18 cells)" in text
    assert "4 domains x 1,000 triples, seed 0, generator v1" in text
    # Each stage once: per seed the model (30 s) and four distinct evals (90 + 30 + 30 + 30 s): 630 s.
    assert "758,208 parameters" in text and "Compute spent by the finished stages: 0.17 h" in text


def test_mean_rows_sum_the_split_costs_and_quote_the_paper_on_those_splits(grid, paper, settings):
    s = replace(settings, splits=("W", "C"), rows=("raw_sft",), n_values=())
    cells = [record(grid, s, "p1", "raw_sft", sp, seed, 20.0, 80.0, minutes=m)
             for seed in s.seeds for sp, m in (("W", 2.0), ("C", 3.0))]
    text = render(grid, paper, s, cells, FakeCommits(), when="today")
    mean = next(line for line in text.splitlines() if "**mean W+C**" in line)
    assert "| Σ 5.0 |" in mean and "16.52 / 86.93 (W+C); 23.25 / 79.32 (4 splits)" in mean


def test_cells_measured_before_valid_since_are_marked_and_the_stale_note_heads_the_page(grid, paper, settings):
    s = replace(settings, splits=("W",), rows=("raw_sft", "raw_rl", "full_rl"), n_values=(1, 50))
    cells = ladder(grid, s, commit_of=lambda seed: "old0001" if seed == 0 else "new0002")
    text = render(grid, paper, s, cells, FakeCommits(), when="today")
    assert grid.stale_note in text and f"before {grid.valid_since}" in text
    assert "| Raw labels, SFT | W † |" in text and "| 1 † |" in text
    assert "old0001 (6 cells), new0002 (12 cells)" in text
    fresh = render(grid, paper, s, ladder(grid, s, commit_of=lambda seed: "new0002"), FakeCommits(), when="today")
    assert grid.stale_note not in fresh


def test_the_page_shows_the_last_record_of_each_planned_cell_with_these_settings(grid, settings):
    s = replace(settings, splits=("W",), rows=("raw_sft",), n_values=())
    old = record(grid, s, "p1", "raw_sft", "W", 0, 50.0, 50.0)
    new = record(grid, s, "p1", "raw_sft", "W", 0, 20.0, 80.0)
    longer = replace(s, sft_steps=s.sft_steps + 1)
    other = record(grid, longer, "p1", "raw_sft", "W", 1, 99.0, 1.0)
    unplanned = record(grid, s, "p1", "raw_sft", "C", 0, 99.0, 1.0)
    shown = shown_records(grid, s, [old, new, other, unplanned], DATA, "digest")
    assert shown == [new]
    assert shown_records(grid, s, [old, new], {"lists": "x"}, "digest") == []  # other data


def test_the_cnn_rows_have_no_answer_columns_and_the_closest_printed_row_beside_them(grid, paper, settings):
    s = replace(settings, splits=("W",), rows=("cnn", "full_rl"), n_values=())
    cells = []
    for seed in s.seeds:
        cells += [record(grid, s, "p1", "cnn", "W", seed, 12.0 + seed, 93.0),
                  record(grid, s, "p1", "full_rl", "W", seed, 30.0 + seed, 70.0),
                  record(grid, s, "p2", "cnn", "W", seed, 12.0 + seed, 93.0, ("test", *MISSING_SETS)),
                  record(grid, s, "p2", "full_rl", "W", seed, 30.0 + seed, 70.0, ("test", *MISSING_SETS))]
    text = render(grid, paper, s, cells, FakeCommits(), when="today")
    assert "| Three-stream CNN from scratch (baseline) | W | 13.00 ± 1.00 | 12.00 ± 1.00 | 93.00 ± 0.00 | — | — | " \
           "3 | 1.0 | 38.92 / 65.39 |" in text
    assert "Paper column: Table 1 unless named here: Three-stream CNN from scratch (baseline): Table 1, " \
           "MM-CDCN" in text
    assert "| Three-stream CNN from scratch (baseline) | missing depth & IR | W | 13.00 ± 1.00 | 12.00 ± 1.00 | " \
           "93.00 ± 0.00 | — | 3 | 44.54 / 55.08 |" in text
    n_table = text[text.index("## Paths per sample N"):]
    assert "| Three-stream CNN from scratch (baseline) | — | — | 13.00 ± 1.00 | 12.00 ± 1.00 | 93.00 ± 0.00 | — " \
           "| 3 |" in n_table, "the floor is in every table"
    claim = next(line for line in text.splitlines() if "three-stream CNN" in line)
    assert "cnn 13.00 vs full_rl 31.00" in claim and "**does not hold**" in claim


def test_the_reasoning_rates_are_shown_per_cell_and_cells_recorded_without_them_still_render(grid, paper, settings):
    s = replace(settings, splits=("W",), rows=("raw_sft", "full_rl"), n_values=())
    text = render(grid, paper, s, ladder(grid, s), FakeCommits(), when="today")  # cells recorded before the rates
    assert "Not recorded yet: the shown cells were measured before eval recorded these rates" in text

    def rates(seed):
        return {"clauses_per_face": 6.0 + seed, "parsed_rate": 90.0, "clause_accuracy": 60.0 + 10 * seed,
                "grounded_rate": 50.0, "hallucination_rate": 20.0 + seed}
    cells = [record(grid, s, "p1", "raw_sft", "W", seed, 20.0, 80.0) for seed in s.seeds]  # answer only: none
    cells += [record(grid, s, "p1", "full_rl", "W", seed, 10.0, 90.0, reasoning=rates(seed)) for seed in s.seeds]
    cells += [record(grid, s, "p2", "full_rl", "W", seed, 10.0, 90.0, ("test", *MISSING_SETS), reasoning=rates(seed))
              for seed in s.seeds]
    text = render(grid, paper, s, cells, FakeCommits(), when="today")
    label = grid.row("full_rl").label
    assert f"| {label} | W | 7.00 ± 1.00 | 90.00 ± 0.00 | 70.00 ± 10.00 | 50.00 ± 0.00 | 3 |" in text
    assert f"| {grid.row('raw_sft').label} | W | — | — | — | — | 0 |" in text
    assert f"| {label} | missing IR | W | 70.00 ± 10.00 | 50.00 ± 0.00 | 21.00 ± 1.00 | 3 |" in text
