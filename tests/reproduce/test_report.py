"""The page is made from cell records and the paper's numbers alone: tables, costs, claims, stale marks."""

from dataclasses import replace

import pytest

from pafas_cli.reproduce.grid import MISSING_SETS, Cell
from pafas_cli.reproduce.record import regime_of
from pafas_cli.reproduce.report import render, shown_records


DATA = {"synth": {"per_domain": 1000, "seed": 0, "version": 1}}


class FakeCommits:
    """Commits whose staleness the test decides ("old..." is before valid_since)."""

    def fresh(self, commit):
        return not str(commit).startswith("old")

    def stale(self, commit):
        return self.fresh(commit) is False


def record(grid, s, table, row, split, seed, hter, auc, sets=("test",), commit="abc1234", minutes=1.0,
           curve=None, regime="pretrained", chosen=None, reasoning=None):
    metrics = {"hter_dev": hter, "hter_oracle": hter - 1, "auc": auc, "eer": hter, "format_rate": 90.0,
               "answer_accuracy": 80.0, "answer_balanced_accuracy": 75.0, "reasoning_balanced_accuracy": 70.0,
               "consistency": 95.0, "n": 150, **(reasoning or {})}
    if row == "cnn":  # a classifier: no answer to rate
        metrics.update(dict.fromkeys(("format_rate", "answer_accuracy", "answer_balanced_accuracy",
                                      "reasoning_balanced_accuracy", "consistency")))
    cell = Cell(table, row, split, seed, regime)
    return {"cell": cell.name, "regime": regime, "table": table, "row": row, "split": split, "seed": seed,
            "settings": grid.cell_settings(cell, s, "digest"), "data": DATA, "commit": commit,
            "cores": 2, "model_parameters": 758208, "processes": 2, "load_1min": 1.5 + seed,
            "stages": [{"key": "model", "version": "v001", "seconds": 30.0, "commit": commit, "threads": 1},
                       {"key": grid.result_of(cell), "version": f"v00{seed}", "seconds": 60 * minutes - 30,
                        "commit": commit, "threads": 1}],
            "sets": {name: dict(metrics) for name in sets}, "rl_curve": curve, "rl_select": chosen}


def ladder(grid, s, commit_of=lambda seed: "abc1234", regime="pretrained", shift=0.0):
    cells = []
    for seed in s.seeds:
        c = commit_of(seed)
        kw = {"commit": c, "regime": regime}
        cells += [record(grid, s, "p1", "raw_sft", "W", seed, 20.0 + seed + shift, 80.0, minutes=2.0, **kw),
                  record(grid, s, "p1", "raw_rl", "W", seed, 30.0 + seed + shift, 70.0, **kw,
                         curve={"reward": [1.0 + 0.1 * seed, 1.5 + 0.1 * seed], "format": [0.5, 0.9],
                                "frac_reward_zero_std": [0.1, 0.6 + 0.1 * seed]},
                         chosen={"step": 20 * seed, "steps": 40 + 20 * seed, "dev_reward": [1.0, 1.2 + 0.1 * seed],
                                 "stopped": True}),
                  record(grid, s, "p1", "full_rl", "W", seed, 10.0 + seed + shift, 90.0, **kw),
                  record(grid, s, "p2", "full_rl", "W", seed, 10.0 + seed + shift, 90.0, ("test", *MISSING_SETS),
                         **kw),
                  record(grid, s, "n", "n1", "W", seed, 15.0 + seed, 85.0 + seed, **kw),
                  record(grid, s, "n", "n50", "W", seed, 10.0 + seed, 90.0 + seed, **kw)]
    return cells


def section(text, regime):
    """The part of the page about one regime."""
    titles = {"pretrained": "## Pretrained regime", "scratch": "## Scratch regime"}
    start = text.index(titles[regime])
    ends = [text.find(t, start + 1) for t in (*titles.values(), "## What limits")]
    return text[start:min(e for e in ends if e > start)]


def test_the_paper_numbers_are_the_first_harness_constants(paper):
    assert paper.protocol1["raw_sft"]["W"] == (5.12, 97.65) and paper.protocol1["full_rl"]["avg"] == (15.21, 89.14)
    assert paper.protocol1["pathshuf_rl"] == {"avg": (24.12, 84.23)} and paper.sources["path_rl"] == "Tables 4, 5"
    assert paper.protocol2["full_rl"]["test_missing_ir"] == (17.32, 88.23)
    assert paper.protocol1["cnn"]["avg"] == (42.84, 60.10) and "MM-CDCN" in paper.p2_sources["cnn"]
    assert paper.mean("raw_sft", ("W", "C")) == pytest.approx((16.515, 86.925))
    assert paper.mean("path_rl", ("W",)) is None
    assert [c["kind"] for c in paper.claims] == ["pair"] * 3 + ["small_difference"] + ["pair"] * 3 + \
        ["n_peak", "missing", "pair", "pair", "pair", "pair"]


def test_report_tables_costs_and_discussion_come_from_the_cells(grid, paper, settings):
    s = replace(settings, regimes=("pretrained",), splits=("W",), rows=("raw_sft", "raw_rl", "full_rl"),
                n_values=(1, 50))
    text = render(grid, paper, s, ladder(grid, s), FakeCommits(), when="today")
    assert "| Raw labels, SFT | W | 21.00 ± 1.00 | 20.00 ± 1.00 | 80.00 ± 0.00 | 75.00 ± 0.00 | 70.00 ± 0.00 | " \
           "90.00 ± 0.00 | 3 | 2.0 | 5.12 / 97.65 |" in text
    assert "| Raw labels, SFT+GRPO | W | 31.00 ± 1.00 | 30.00 ± 1.00 | 70.00 ± 0.00 | 75.00 ± 0.00 | 70.00 ± 0.00 | " \
           "90.00 ± 0.00 | 3 | 1.0 | 7.75 / 97.36 |" in text
    # What GRPO did: means over seeds of the reward ends (1.0, 1.1, 1.2 -> 1.5, 1.6, 1.7), the no-spread share
    # (10 % -> 60, 70, 80 %), the dev reward (1.0 -> 1.2, 1.3, 1.4) and each seed's chosen step of those trained.
    assert "| Raw labels, SFT+GRPO | W | 1.10 → 1.60 | 10.00 → 70.00 | 1.00 → 1.30 | 0/40, 20/60, 40/80 | 3 |" in text
    assert "| PA-FAS: path augmentation + answer shuffling, SFT+GRPO | W | — | — | — | — | 0 |" in text
    assert "| 50 | ~10,000 | 1 | 11.00 ± 1.00 | 10.00 ± 1.00 | 91.00 ± 1.00 | 75.00 ± 0.00 | 70.00 ± 0.00 | " \
           "90.00 ± 0.00 | 3 | 1.0 |" in text
    assert "| 1 | ~200 | 50 |" in text and "SFT saw 10,000 rows in every cell (1250 steps x 8)" in text
    claim = next(line for line in text.splitlines() if "GRPO after raw-label SFT" in line)
    assert "raw_sft 21.00 vs raw_rl 31.00" in claim and "**holds**" in claim
    n_claim = next(line for line in text.splitlines() if "AUC peaks near" in line)
    assert "highest at N = 50" in n_claim and "**holds**" in n_claim
    p2_claim = next(line for line in text.splitlines() if "Robust to missing" in line)
    assert "at most +2.11 points" in p2_claim and "**holds**" in p2_claim
    assert "not measured yet" not in text and "Stale" not in text and "†" not in text
    assert "resolved when it exceeds two standard errors of the paired per-seed differences" in text
    assert "## Scratch regime" not in text and "Not resolved at" not in text
    assert s.command() in text and "measured at commit abc1234 (18 cells)" in text
    assert "4 domains x 1,000 triples, seed 0, generator v1" in text
    assert "pinned thread count (1); 2 reproduction process(es) shared the machine; its 1-minute load average was " \
           "1.5-3.5" in text
    # Each stage once: per seed the model (30 s) and four distinct evals (90 + 30 + 30 + 30 s): 630 s.
    assert "758,208 parameters" in text and "Compute spent by the finished stages: 0.17 h" in text


def test_each_regime_has_its_own_section_with_the_same_tables_and_its_own_verdicts(grid, paper, settings):
    s = replace(settings, splits=("W",), rows=("raw_sft", "raw_rl", "full_rl"), n_values=(1, 50))
    # scratch: raw_rl 10 points better than raw_sft instead of 10 worse
    scratch = [{**r, "sets": {k: {**m, "hter_dev": m["hter_dev"] - 20.0 if r["row"] == "raw_rl" else m["hter_dev"]}
                              for k, m in r["sets"].items()}}
               for r in ladder(grid, s, regime="scratch")]
    text = render(grid, paper, s, ladder(grid, s) + scratch, FakeCommits(), when="today")
    assert text.index("## Pretrained regime (the headline)") < text.index("## Scratch regime")
    pre, scr = section(text, "pretrained"), section(text, "scratch")
    for part in (pre, scr):
        assert [line for line in part.splitlines() if line.startswith("###")] == [
            "### Protocol 1: the ablation ladder (Tables 1, 4, 5)", "### What GRPO did",
            "### Protocol 2: missing modalities at test time (Table 2)", "### Is the reasoning true of the face?",
            "### Paths per sample N on W (Fig. 5)",
            "### Claims"]
    verdicts = [next(line for line in part.splitlines() if "GRPO after raw-label SFT" in line) for part in (pre, scr)]
    assert "raw_rl 31.00" in verdicts[0] and "**holds**" in verdicts[0]
    assert "raw_rl 11.00" in verdicts[1] and "**does not hold**" in verdicts[1]
    assert "from `pafas pretrain`" in pre and "random initialisation" in scr


def test_a_claim_not_resolved_at_three_seeds_is_listed_with_the_command_for_seeds_3_and_4(grid, paper, settings):
    s = replace(settings, regimes=("scratch",), splits=("W",), rows=("raw_sft", "raw_rl"), n_values=())
    noisy = {0: 25.0, 1: 15.0, 2: 32.0}  # raw_rl - raw_sft: +4, -6, +10: within two standard errors
    cells = []
    for seed in s.seeds:
        cells += [record(grid, s, "p1", "raw_sft", "W", seed, 20.0 + seed, 80.0, regime="scratch"),
                  record(grid, s, "p1", "raw_rl", "W", seed, noisy[seed], 80.0, regime="scratch")]
    text = render(grid, paper, s, cells, FakeCommits(), when="today")
    assert "**not resolved at this scale**" in text
    assert "Not resolved at 3 seeds, so measured at 5 (the rule above): GRPO after raw-label SFT makes " \
           "cross-domain HTER worse." in text
    more = replace(s, seeds=(3, 4), rows=("raw_sft", "raw_rl"))
    assert more.command() in text
    resolved = render(grid, paper, s, [c for c in cells if c["seed"] < 2], FakeCommits(), when="today")
    assert "Not resolved at" not in resolved, "fewer than 3 seeds: the 3 come first"


def test_a_first_round_record_without_a_regime_reads_as_a_stale_scratch_cell(grid, paper, settings):
    """The cells the first round recorded (before regimes: no `regime`, `@` in no name, no threads, no
    processes) stay readable: scratch, marked stale when measured before valid_since."""
    s = replace(settings, regimes=("pretrained", "scratch"), splits=("W",), rows=("raw_sft",), n_values=())
    old = []
    for seed in s.seeds:
        r = record(grid, s, "p1", "raw_sft", "W", seed, 20.0 + seed, 80.0, regime="scratch", commit="old0001")
        r["cell"] = r["cell"].split("@")[0]
        for key in ("regime", "processes", "load_1min", "rl_select"):
            del r[key]
        for st in r["stages"]:
            del st["threads"]
        old.append(r)
    assert regime_of(old[0]) == "scratch"
    shown = shown_records(grid, s, old, DATA, "digest")
    assert shown == old
    text = render(grid, paper, s, shown, FakeCommits(), when="today")
    assert "| Raw labels, SFT | W † | 21.00 ± 1.00 |" in section(text, "scratch")
    assert "| Raw labels, SFT | W | — |" in section(text, "pretrained")
    assert grid.stale_note in text and "Reproducibility" not in text


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
    s = replace(settings, regimes=("pretrained",), splits=("W",), rows=("cnn", "full_rl"), n_values=())
    cells = []
    for seed in s.seeds:
        cells += [record(grid, s, "p1", "cnn", "W", seed, 12.0 + seed, 93.0),
                  record(grid, s, "p1", "full_rl", "W", seed, 30.0 + seed, 70.0),
                  record(grid, s, "p2", "cnn", "W", seed, 12.0 + seed, 93.0, ("test", *MISSING_SETS)),
                  record(grid, s, "p2", "full_rl", "W", seed, 30.0 + seed, 70.0, ("test", *MISSING_SETS))]
    text = render(grid, paper, s, cells, FakeCommits(), when="today")
    assert "| Three-stream CNN (baseline) | W | 13.00 ± 1.00 | 12.00 ± 1.00 | 93.00 ± 0.00 | — | — | — | " \
           "3 | 1.0 | 38.92 / 65.39 |" in text
    assert "Paper column: Table 1 unless named here: Three-stream CNN (baseline): Table 1, MM-CDCN" in text
    assert "| Three-stream CNN (baseline) | missing depth & IR | W | 13.00 ± 1.00 | 12.00 ± 1.00 | " \
           "93.00 ± 0.00 | — | — | — | 3 | 44.54 / 55.08 |" in text
    n_table = text[text.index("### Paths per sample N"):]
    assert "| Three-stream CNN (baseline) | — | — | 13.00 ± 1.00 | 12.00 ± 1.00 | 93.00 ± 0.00 | — | — | — " \
           "| 3 |" in n_table, "the floor is in every table"
    claim = next(line for line in text.splitlines() if "three-stream CNN" in line)
    assert "cnn 13.00 vs full_rl 31.00" in claim and "**does not hold**" in claim
    assert "| Three-stream CNN (baseline) | W |" not in text[text.index("### What GRPO did"):
                                                           text.index("### Protocol 2")], "no GRPO behind it"

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


def test_rows_limited_to_some_splits_are_shown_and_judged_on_those(grid, paper, settings):
    s = replace(settings, regimes=("pretrained",), splits=("W", "C"), rows=("full_rl", "full_rl_held"),
                n_values=())
    cells = []
    for seed in s.seeds:
        cells += [record(grid, s, "p1", "full_rl", sp, seed, 30.0 + seed, 70.0) for sp in ("W", "C")]
        cells += [record(grid, s, "p1", "full_rl_held", "W", seed, 20.0 + seed, 80.0)]
    text = render(grid, paper, s, cells, FakeCommits(), when="today")
    held = [line for line in text.splitlines() if line.startswith("| PA-FAS SFT+GRPO on held-back faces")]
    assert [line.split(" | ")[1] for line in held[:2]] == ["W", "W"], "one split: no mean row, no C row"
    claim = next(line for line in text.splitlines() if "GRPO on held-back faces beats" in line)
    assert "Measured on W:" in claim and "full_rl 31.00 vs full_rl_held 21.00" in claim and "**holds**" in claim
