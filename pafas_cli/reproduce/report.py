"""docs/results.md from the recorded cells: the tables beside the paper's numbers, the claims judged, the cost.

Everything on the page comes from the cell records (`record.py`), the grid and the paper's numbers and claims
(`recipes/reproduce/paper_numbers.yaml`); nothing is read from a workspace, so the page can be regenerated
from the committed cells file alone (`pafas reproduce --report-only`). Cells measured at a commit that does
not contain the grid's `valid_since` are marked † and the grid's stale note heads the page.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pafas_cli.errors import PafasError
from pafas_cli.recipe_files import shipped
from pafas_cli.reproduce.grid import MISSING_SETS, Grid, Settings, read_yaml
from pafas_cli.reproduce.record import Commits, latest_records, record_key, record_stale
from pafas_cli.reproduce.stats import (Comparison, Results, bounded_increase_verdict, compare, fmt_ms, peak_verdict,
                                       small_difference_verdict, verdict)

PAPER_FILE = "reproduce/paper_numbers.yaml"
SET_LABELS = {"test": "all modalities", "test_missing_depth": "missing depth", "test_missing_ir": "missing IR",
              "test_missing_both": "missing depth & IR"}
METRICS = ("hter_dev", "hter_oracle", "auc", "format_rate")
REASONING = ("clauses_per_face", "parsed_rate", "clause_accuracy", "grounded_rate")
REASONING_P2 = ("clause_accuracy", "grounded_rate", "hallucination_rate")
CLAIM_KINDS = {"pair": {"a", "b", "expect", "title", "paper"},
               "small_difference": {"a", "b", "bound", "title", "paper"},
               "n_peak": set(), "missing": {"title", "paper"}}
STALE_MARK = "†"

Pair = tuple[float, float]


@dataclass(frozen=True)
class Paper:
    """The paper's numbers ([HTER, AUC] in %) and the claims the discussion judges, from paper_numbers.yaml."""

    protocol1: dict[str, dict[str, Pair]]
    sources: dict[str, str]
    protocol2: dict[str, dict[str, Pair]]  # row -> eval set -> 4-split average
    p2_sources: dict[str, str]
    fig5: str
    claims: tuple[dict, ...]

    @classmethod
    def load(cls, path: str | Path | None = None) -> "Paper":
        file = Path(path) if path is not None else shipped(PAPER_FILE)
        raw = read_yaml(file)
        try:
            p1 = {row: {k: (float(v[0]), float(v[1])) for k, v in entry.items() if k != "source"}
                  for row, entry in raw["protocol1"].items()}
            sources = {row: str(entry.get("source", "")) for row, entry in raw["protocol1"].items()}
            p2 = {row: {k: (float(v[0]), float(v[1])) for k, v in entry.items() if k != "source"}
                  for row, entry in raw["protocol2"].items()}
            p2_sources = {row: str(entry.get("source", "")) for row, entry in raw["protocol2"].items()}
            claims = tuple(dict(c) for c in raw["claims"])
            fig5 = str(raw["fig5"])
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            raise PafasError(f"{file}: malformed ({type(exc).__name__}: {exc}); see the comments in the file") from None
        for claim in claims:
            kind = claim.get("kind")
            if kind not in CLAIM_KINDS:
                raise PafasError(f"{file}: claim kind '{kind}' unknown (one of {', '.join(CLAIM_KINDS)})")
            lacking = CLAIM_KINDS[kind] - set(claim)
            if lacking:
                raise PafasError(f"{file}: {kind} claim needs {', '.join(sorted(lacking))}: {claim}")
            if kind == "pair" and claim["expect"] not in ("lower", "higher"):
                raise PafasError(f"{file}: a pair claim expects lower or higher, got {claim['expect']!r}")
        for row, entry in p2.items():
            if set(entry) != {"test", *MISSING_SETS}:
                raise PafasError(f"{file}: protocol2: {row} needs test, {', '.join(MISSING_SETS)}")
        return cls(p1, sources, p2, p2_sources, fig5, claims)

    def mean(self, row: str, splits: Sequence[str]) -> Pair | None:
        """The paper's mean over `splits` for a row, when it gives every one of them."""
        per = self.protocol1.get(row, {})
        if not all(sp in per for sp in splits):
            return None
        return (statistics.fmean(per[sp][0] for sp in splits), statistics.fmean(per[sp][1] for sp in splits))


@dataclass
class View:
    """What the tables and claims read: the grid, the settings, the results, which cells are stale."""

    grid: Grid
    paper: Paper
    s: Settings
    res: Results
    stale: set[tuple[str, str, str]]  # (table, row, split) with a stale cell
    cost: dict[tuple[str, str, str], dict[int, float]]  # (table, row, split) -> seed -> minutes

    def mark(self, table: str, row: str, split: str) -> str:
        return f" {STALE_MARK}" if (table, row, split) in self.stale else ""


def paper_cell(values: Pair | None) -> str:
    return "—" if values is None else f"{values[0]:.2f} / {values[1]:.2f}"


def metric_cells(values: Mapping[str, Mapping[int, float]]) -> list[str]:
    return [fmt_ms(list(values[m].values())) for m in METRICS]


def minutes(record: Mapping) -> float:
    """Minutes of every stage behind a cell (shared stages included): what it costs from scratch."""
    return sum(float(st.get("seconds") or 0.0) for st in record.get("stages") or []) / 60


def fmt_minutes(per_seed: Mapping[int, float]) -> str:
    return f"{statistics.fmean(per_seed.values()):.1f}" if per_seed else "—"


# -- tables -------------------------------------------------------------------------------------------------
def table_p1(v: View) -> list[str]:
    s = v.s
    lines = ["| method | split | HTER @dev thr | HTER @oracle thr | AUC | format rate | GRPO reward start → end | "
             "seeds | cost (min) | paper HTER / AUC |", "|---|---|---|---|---|---|---|---|---|---|"]
    for key in s.rows:
        row = v.grid.row(key)
        for split in s.splits:
            values = {m: v.res.by_seed("p1", key, split, m) for m in METRICS}
            paper = v.paper.protocol1.get(key, {}).get(split)
            lines.append(f"| {row.label} | {split}{v.mark('p1', key, split)} | " + " | ".join(metric_cells(values)) +
                         f" | {curve_cell(v.res.curve('p1', key, split))} | {len(values['auc'])} | "
                         f"{fmt_minutes(v.cost.get(('p1', key, split), {}))} | {paper_cell(paper)} |")
        if len(s.splits) > 1:
            values = {m: v.res.split_mean("p1", key, s.splits, m) for m in METRICS}
            same = v.paper.mean(key, s.splits)
            paper = v.paper.protocol1.get(key, {}).get("avg")
            note = paper_cell(paper) + (" (4 splits)" if paper else "")
            if same is not None and set(s.splits) != set(v.grid.splits):
                note = f"{paper_cell(same)} ({'+'.join(s.splits)}); {note}"
            costs = [v.cost.get(("p1", key, sp), {}) for sp in s.splits]
            total = f"Σ {sum(statistics.fmean(c.values()) for c in costs):.1f}" if all(costs) else "—"
            curves = [v.res.curve("p1", key, sp) for sp in s.splits]
            pooled = {(sp, seed): ends for sp, c in zip(s.splits, curves) for seed, ends in c.items()}
            lines.append(f"| {row.label} | **mean {'+'.join(s.splits)}** | " + " | ".join(metric_cells(values)) +
                         f" | {curve_cell(pooled)} | {len(values['auc'])} | {total} | {note} |")
    sources = [f"{v.grid.row(k).label}: {v.paper.sources[k]}" for k in s.rows
               if v.paper.sources.get(k) and v.paper.sources[k] != "Table 1"]
    if sources:
        lines += ["", "Paper column: Table 1 unless named here: " + "; ".join(sources) + "."]
    return lines


def curve_cell(ends: Mapping) -> str:
    """'start → end' of the mean GRPO reward (format + classification [+ consistency]) over seeds; '—' without."""
    if not ends:
        return "—"
    start = statistics.fmean(e[0] for e in ends.values())
    end = statistics.fmean(e[1] for e in ends.values())
    return f"{start:.2f} → {end:.2f}"


def table_p2(v: View) -> list[str]:
    s = v.s
    lines = ["| method | test condition | split | HTER @dev thr | HTER @oracle thr | AUC | format rate | seeds | "
             "paper HTER / AUC (4-split avg) |", "|---|---|---|---|---|---|---|---|---|"]
    for row in (r for r in v.grid.p2_rows if r in s.rows):
        label = v.grid.row(row).label
        for set_name in ("test", *MISSING_SETS):
            groups = [(f"{sp}{v.mark('p2', row, sp)}",
                       {m: v.res.by_seed("p2", row, sp, m, set_name) for m in METRICS}) for sp in s.splits]
            if len(s.splits) > 1:
                groups.append((f"**mean {'+'.join(s.splits)}**",
                               {m: v.res.split_mean("p2", row, s.splits, m, set_name) for m in METRICS}))
            for i, (split, values) in enumerate(groups):
                # The paper's Table 2 gives 4-split averages only: shown on the mean row (or the one split's row).
                printed = v.paper.protocol2.get(row, {}).get(set_name)
                paper = paper_cell(printed) if i == len(groups) - 1 and printed else ""
                lines.append(f"| {label} | {SET_LABELS[set_name]} | {split} | " + " | ".join(metric_cells(values)) +
                             f" | {len(values['auc'])} | {paper} |")
    sources = [f"{v.grid.row(k).label}: {v.paper.p2_sources[k]}" for k in v.grid.p2_rows
               if k in s.rows and v.paper.p2_sources.get(k)]
    if sources:
        lines += ["", "Paper column: " + "; ".join(sources) + "."]
    return lines


def table_n(v: View) -> list[str]:
    s = v.s
    sft = v.grid.recipe("sft", s.overrides).sft
    seen = s.sft_steps * sft.batch_size * sft.grad_accum
    lines = [f"SFT saw {seen:,} rows in every cell ({s.sft_steps} steps x {sft.batch_size * sft.grad_accum}); the "
             "version's rows are N x its samples, so the rows seen cover each version's rows this many times.", "",
             "| paths per sample N | rows in the version | epochs SFT saw | HTER @dev thr | HTER @oracle thr | AUC | "
             "format rate | seeds | cost (min) |", "|---|---|---|---|---|---|---|---|---|"]
    for n in s.n_values:
        values = {m: v.res.by_seed("n", f"n{n}", s.n_split, m) for m in METRICS}
        rows = n * s.n_train
        lines.append(f"| {n}{v.mark('n', f'n{n}', s.n_split)} | ~{rows:,} | {seen / rows:.2g} | " +
                     " | ".join(metric_cells(values)) + f" | {len(values['auc'])} | "
                     f"{fmt_minutes(v.cost.get(('n', f'n{n}', s.n_split), {}))} |")
    for row in (r for r in v.grid.rows if r.baseline and r.key in s.rows):  # the floor, from its P1 cells
        values = {m: v.res.by_seed("p1", row.key, s.n_split, m) for m in METRICS}
        cost = fmt_minutes(v.cost.get(("p1", row.key, s.n_split), {}))
        lines.append(f"| {row.label}{v.mark('p1', row.key, s.n_split)} | — | — | " +
                     " | ".join(metric_cells(values)) + f" | {len(values['auc'])} | {cost} |")
    return lines


def table_reasoning(v: View) -> list[str]:
    """The reasoning rates (docs/scoring.md) of every model that writes text: Protocol 1 on the held-out domain,
    and on each Protocol-2 set with the share of faces whose reasoning cites a modality that was missing."""
    s = v.s
    text_rows = [k for k in s.rows if not v.grid.row(k).baseline]
    p2 = [r for r in v.grid.p2_rows if r in text_rows]
    wanted = [("p1", k, sp, "test") for k in text_rows for sp in s.splits] + \
        [("p2", r, sp, name) for r in p2 for sp in s.splits for name in MISSING_SETS]
    if not any(v.res.by_seed(t, k, sp, "parsed_rate", name) for t, k, sp, name in wanted):
        return ["Not recorded yet: the shown cells were measured before eval recorded these rates (cells measured "
                "from now on record them)."]

    def cells(table: str, row: str, split: str, metrics: Sequence[str], set_name: str = "test") -> str:
        values = {m: v.res.by_seed(table, row, split, m, set_name) for m in metrics}
        return " | ".join(fmt_ms(list(values[m].values())) for m in metrics) + \
            f" | {max(len(x) for x in values.values())} |"

    lines = ["| method | split | clauses per face | parsed | clause accuracy | grounded verdicts | seeds |",
             "|---|---|---|---|---|---|---|"]
    for key in text_rows:
        for split in s.splits:
            lines.append(f"| {v.grid.row(key).label} | {split}{v.mark('p1', key, split)} | "
                         + cells("p1", key, split, REASONING))
    if p2:
        lines += ["", "| method | test condition | split | clause accuracy | grounded verdicts | cites a missing "
                  "modality | seeds |", "|---|---|---|---|---|---|---|"]
        for row in p2:
            for set_name in MISSING_SETS:
                for split in s.splits:
                    lines.append(f"| {v.grid.row(row).label} | {SET_LABELS[set_name]} | "
                                 f"{split}{v.mark('p2', row, split)} | "
                                 + cells("p2", row, split, REASONING_P2, set_name))
    return lines + ["", "Rates in % (clauses per face: a count), mean ± std over seeds; — = not recorded: a cell "
                    "measured before these rates existed, or a model that writes no reasoning."]


# -- claims -------------------------------------------------------------------------------------------------
def describe(c: Comparison, name_a: str, name_b: str, metric: str) -> str:
    se = "" if c.se is None else f", paired difference {c.diff:+.2f} ± {c.se:.2f} (SE)"
    return f"{metric} {name_a} {c.a:.2f} vs {name_b} {c.b:.2f} (mean of {c.n} seed(s){se})"


def claim_pair(v: View, claim: Mapping) -> str | None:
    """Row b has lower (expect: lower) or higher HTER @dev thr than row a, beyond two standard errors."""
    a, b, title, paper = claim["a"], claim["b"], claim["title"], claim["paper"]
    if a not in v.s.rows or b not in v.s.rows:
        return None
    splits = v.s.splits
    c = compare(v.res.split_mean("p1", a, splits, "hter_dev"), v.res.split_mean("p1", b, splits, "hter_dev"))
    if c is None:
        return f"- **{title}** ({paper}): not measured yet."
    auc = compare(v.res.split_mean("p1", a, splits, "auc"), v.res.split_mean("p1", b, splits, "auc"))
    text = f"- **{title}** ({paper}). Measured: {describe(c, a, b, 'HTER @dev thr')}"
    if auc is not None:
        text += f"; {describe(auc, a, b, 'AUC')}"
    return text + f". Verdict: {verdict(c, -1 if claim['expect'] == 'lower' else +1)}."


def claim_small_difference(v: View, claim: Mapping) -> str | None:
    """|b - a| in HTER @dev thr, ± 2 SE, within `bound` points."""
    a, b, bound = claim["a"], claim["b"], float(claim["bound"])
    if a not in v.s.rows or b not in v.s.rows:
        return None
    c = compare(v.res.split_mean("p1", a, v.s.splits, "hter_dev"), v.res.split_mean("p1", b, v.s.splits, "hter_dev"))
    title, paper = claim["title"], claim["paper"]
    if c is None:
        return f"- **{title}** ({paper}): not measured yet."
    result = small_difference_verdict(c, bound, str(claim.get("change", "the change")))
    return f"- **{title}** ({paper}). Measured: {describe(c, a, b, 'HTER @dev thr')}. " \
           f"Verdict (rule: |difference| ± 2 SE within {bound:g} points): {result}."


def claim_n_peak(v: View, claim: Mapping) -> str | None:
    s, n_paper = v.s, v.grid.paper_n
    aucs = {n: v.res.by_seed("n", f"n{n}", s.n_split, "auc") for n in s.n_values}
    aucs = {n: values for n, values in aucs.items() if values}
    title = f"Paths per sample: AUC peaks near N = {n_paper}"
    if len(aucs) < 2 or n_paper not in aucs:
        return f"- **{title}** ({v.paper.fig5}): not measured yet." if len(s.n_values) > 1 else None
    best, result = peak_verdict(aucs, n_paper)
    listing = ", ".join(f"N={n}: {statistics.fmean(vals.values()):.2f}" for n, vals in aucs.items())
    return f"- **{title}** ({v.paper.fig5}). Measured mean AUC on {s.n_split}: {listing}; highest at N = {best}. " \
           f"Verdict: {result}."


def claim_missing(v: View, claim: Mapping) -> str | None:
    """Missing modalities cost little: each increase (± 2 SE) at most the paper's largest."""
    s, row = v.s, v.grid.pafas_row
    if row not in s.rows:
        return None
    full = v.res.split_mean("p2", row, s.splits, "hter_dev", "test")
    printed = v.paper.protocol2[row]
    worst = max(printed[m][0] for m in MISSING_SETS) - printed["test"][0]
    title, paper = claim["title"], f"{claim['paper']}, at most +{worst:.2f} points"
    increases: dict[str, Comparison] = {}
    for name in MISSING_SETS:
        c = compare(full, v.res.split_mean("p2", row, s.splits, "hter_dev", name))
        if c is None:
            return f"- **{title}** ({paper}): not measured yet."
        increases[SET_LABELS[name]] = c
    parts = [f"{label} {c.diff:+.2f}" + (f" ± {c.se:.2f}" if c.se is not None else "")
             for label, c in increases.items()]
    result = bounded_increase_verdict(increases, worst, len(full))
    return f"- **{title}** ({paper}). Measured HTER @dev thr change vs all modalities: {'; '.join(parts)}. " \
           f"Verdict (rule: increase ± 2 SE at most +{worst:.2f}): {result}."


CLAIMS = {"pair": claim_pair, "small_difference": claim_small_difference, "n_peak": claim_n_peak,
          "missing": claim_missing}


def claims(v: View) -> list[str]:
    out = [CLAIMS[claim["kind"]](v, claim) for claim in v.paper.claims]
    return [c for c in out if c]


# -- the page -----------------------------------------------------------------------------------------------
def scale_notes(v: View, records: Sequence[Mapping]) -> list[str]:
    s, grid = v.s, v.grid
    sft, rl = grid.recipe("sft", s.overrides).sft, grid.recipe("rl", s.overrides).rl
    paths = grid.recipe("paths", s.overrides).paths
    rows = s.sft_steps * sft.batch_size * sft.grad_accum
    prompts = s.rl_steps * rl.prompts_per_step(1)
    parameters = next((r["model_parameters"] for r in records if r.get("model_parameters")), None)
    size = f"{parameters:,} parameters, " if parameters else ""
    side = paths.image_size
    defaults = (grid.defaults["sft_steps"], grid.defaults["rl_steps"])
    notes = [
        f"- Model: the tiny Qwen2.5-VL of `recipes/{grid.recipes['model']}` ({size}{side}x{side} images, "
        f"{(side // 28) ** 2} vision tokens per image) against the paper's Qwen2.5-VL-3B; data: the synthetic "
        "benchmark, not the four licensed datasets. Absolute numbers are not comparable with the paper's, only "
        "the directions.",
        f"- Training length: {grid.training(s)}, i.e. {rows:,} SFT rows ({rows / (grid.paper_n * s.n_train):.2g} "
        f"epoch(s) of the N = {grid.paper_n} version's {grid.paper_n * s.n_train:,} rows) and {prompts} GRPO prompts "
        f"({prompts / s.n_train:.2g} passes over the {s.n_train} training samples), against the paper's 500 SFT + "
        "500 GRPO steps" + ("; the grid's defaults (`recipes/reproduce/grid.yaml` says why)." if
                            (s.sft_steps, s.rl_steps) == defaults else "."),
        f"- The raw baseline is trained on the same {s.n_train} labelled samples (the paper's used ~35k raw samples); "
        "its paths version is answer-only, so its GRPO and its evaluation inherit `require_think: false` and accept a "
        "bare `<answer>`; its score is read after `<answer>['`.",
    ]
    cnn = [r for r in grid.rows if r.baseline and r.key in s.rows]
    if cnn:
        baseline = grid.recipe("baseline", s.overrides).baseline
        notes.append(f"- {cnn[0].label}: `pafas baseline` (docs/baseline.md; width {baseline.width}, {baseline.epochs} "
                     f"epochs) on the same {s.n_train} training samples, dev and test faces as the VLM rows; it writes "
                     "no answer, so its format rate is empty.")
    row = grid.pafas_row
    if row in s.rows:
        accuracy = v.res.split_mean("p1", row, s.splits, "answer_accuracy")
        fmt_rate = v.res.split_mean("p1", row, s.splits, "format_rate")
        if accuracy and fmt_rate:
            note = (f"- The PA-FAS model's generated answers: format rate {fmt_ms(list(fmt_rate.values()))}%, "
                    f"answer accuracy {fmt_ms(list(accuracy.values()))}%")
            for key, label in (("answer_balanced_accuracy", "answer balanced accuracy"),
                               ("reasoning_balanced_accuracy",
                                "balanced accuracy of the verdict its reasoning states")):
                values = v.res.split_mean("p1", row, s.splits, key)
                if values and all(x is not None for x in values.values()):
                    note += f", {label} {fmt_ms(list(values.values()))}%"
            notes.append(note + " on the held-out domain (mean ± std over seeds; 50% balanced = one class for "
                         "every face or chance).")
    spent: dict[tuple, float] = {}
    for r in records:
        for st in r.get("stages") or []:
            spent[(r["split"], r["seed"], st.get("key"), st.get("version"))] = float(st.get("seconds") or 0.0)
    if spent:
        cores = sorted({r.get("cores") for r in records if r.get("cores")})
        where = f" ({', '.join(map(str, cores))} cores)" if cores else ""
        notes.append(f"- Compute spent by the finished stages: {sum(spent.values()) / 3600:.2f} h of wall time"
                     f"{where}; a row's cost is the mean over seeds of the minutes of every stage behind one of its "
                     "cells, shared ones (paths, model) included, i.e. what it costs from scratch.")
    return notes


def describe_data(records: Sequence[Mapping]) -> str:
    """The benchmark the cells were measured on, from their records."""
    data = next((r.get("data") for r in records if r.get("data")), None) or {}
    if "synth" in data:
        synth = data["synth"]
        per_domain = synth.get("per_domain")
        size = f"{per_domain:,}" if isinstance(per_domain, int) else "?"
        return (f"synthetic benchmark (`pafas synth`: 4 domains x {size} triples, seed {synth.get('seed', '?')}, "
                f"generator v{synth.get('version', '?')})")
    if "lists" in data:
        return f"the synthetic benchmark folder given with --synth (lists digest {data['lists']})"
    return "synthetic benchmark"


def commits_line(records: Sequence[Mapping]) -> str:
    counts: dict[str, int] = {}
    for r in records:
        counts[str(r.get("commit") or "unknown")] = counts.get(str(r.get("commit") or "unknown"), 0) + 1
    return ", ".join(f"{commit} ({n} cell{'s' if n != 1 else ''})" for commit, n in counts.items())


def shown_records(grid: Grid, s: Settings, records: Sequence[Mapping], data: Any, digest: str) -> list[Mapping]:
    """The last record of each planned cell with these settings and data, in plan order."""
    latest = latest_records(records)
    out = []
    for cell in grid.plan(s):
        found = latest.get(record_key(cell.name, grid.cell_settings(cell, s, digest), data))
        if found is not None:
            out.append(found)
    return out


def budget_text(given: int | None, records: Sequence[Mapping]) -> str:
    """The GRPO completion budget: the recipe's, else what each rl version resolved and recorded (its paths
    version's longest SFT target in the model's tokens, plus a margin)."""
    if given is not None:
        return str(given)
    budgets = sorted({r["rl_max_completion_length"] for r in records if r.get("rl_max_completion_length")})
    if not budgets:
        return "per rl version, its longest SFT target plus a margin,"
    shown = str(budgets[0]) if len(budgets) == 1 else f"{budgets[0]}-{budgets[-1]}"
    return f"{shown} (per rl version: its longest SFT target plus a margin)"


def render(grid: Grid, paper: Paper, s: Settings, records: Sequence[Mapping], commits: Commits | None = None,
           cells_file: str = "bench/results/cells.jsonl", when: str | None = None) -> str:
    """The results page for `records` (already selected for these settings: `shown_records`)."""
    commits = commits or Commits(grid.valid_since)
    stale_records = [r for r in records if record_stale(r, commits)]
    stale = {(r["table"], r["row"], r["split"]) for r in stale_records}
    cost: dict[tuple[str, str, str], dict[int, float]] = {}
    for r in records:
        cost.setdefault((r["table"], r["row"], r["split"]), {})[r["seed"]] = minutes(r)
    v = View(grid, paper, s, Results(records), stale, cost)
    total = len(grid.plan(s))
    when = when or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    recipes = {name: grid.recipe(name, s.overrides) for name in ("paths", "rl", "eval")}
    paths, rl = recipes["paths"].paths, recipes["rl"].rl
    measured = f" at commit {commits_line(records)}" if records else ""
    lines = [
        "# Reproducing the PA-FAS claims at small scale",
        "",
        f"Written by `pafas reproduce` from {len(records)} of {total} planned cells recorded in `{cells_file}`, "
        f"measured{measured} ({when}). Every number below was measured by it; the paper's numbers are quoted from "
        "its Tables 1, 2, 4, 5 and Fig. 5 text (`recipes/reproduce/paper_numbers.yaml`). HTER, AUC and format rate "
        "are in %, mean ± sample std over seeds; cost in minutes of wall time per seed.",
        "HTER @dev thr applies the dev set's EER threshold (source domains: honest); HTER @oracle thr the test "
        "set's own EER threshold (the MMDG-family convention, which the paper's tables most likely follow).",
    ]
    if stale_records:
        lines += ["", f"> {grid.stale_note}" if grid.stale_note else "> **Stale cells.**",
                  f"> {STALE_MARK} = {len(stale_records)} of these cells were measured at a commit before "
                  f"{grid.valid_since} (`valid_since` in `recipes/reproduce/grid.yaml`)."]
    lines += [
        "",
        "Rerun (resumes; recorded cells are skipped, stale ones measured again):",
        "",
        "```bash",
        s.command(),
        "```",
        "",
        "## Settings",
        "",
        f"- Seeds {', '.join(map(str, s.seeds))}; Protocol 1 splits {', '.join(f'{sp} (->{sp})' for sp in s.splits)}; "
        f"N sweep on {s.n_split}; Protocol 2 on the same splits.",
        f"- Data: {describe_data(records)}; "
        f"{s.n_train} labelled training samples per split (stratified); dev {s.n_dev} and test {s.n_test} faces "
        f"per split (stratified subsamples; the same faces for every row of a split and seed).",
        f"- Paths: `recipes/{grid.recipes['paths']}` (PNRPS, alpha {paths.alpha:g}, N = {grid.paper_n} unless varied, "
        f"shuffle rate {paths.shuffle_rate:g}, {paths.image_size}x{paths.image_size} images). "
        "Variants: raw = answer only; single = one canonical path; path = N paths; + path shuffling = reasoning "
        "swapped between rows; + answer shuffling = answers swapped (PA-FAS).",
        f"- Model: one tokenizer + tiny Qwen2.5-VL per (split, seed), built from the PA-FAS corpus and shared by "
        f"every variant. SFT: `recipes/{grid.recipes['sft']}`, {s.sft_steps} steps. GRPO: "
        f"`recipes/{grid.recipes['rl']}` (lr {rl.learning_rate:g}, beta {rl.beta:g}, G {rl.num_generations}, "
        f"{rl.prompts_per_step(1)} prompts per step, "
        f"{budget_text(rl.max_completion_length, records)} new tokens), {s.rl_steps} steps, "
        "rewards format + classification (binary); the consistency row adds the consistency reward.",
        f"- Eval: `recipes/{grid.recipes['eval']}` (greedy, {recipes['eval'].eval.max_new_tokens} new tokens); the "
        "score is the teacher-forced P(live branch) after the model's own reasoning (docs/scoring.md).",
    ]
    if s.overrides:
        lines.append(f"- Extra overrides on every stage: {', '.join(f'`{o}`' for o in s.overrides)}.")
    lines += ["", "## Protocol 1: the ablation ladder (Tables 1, 4, 5)", "", *table_p1(v)]
    if any(row in s.rows for row in grid.p2_rows):
        lines += ["", "## Protocol 2: missing modalities at test time (Table 2)", "", *table_p2(v)]
    lines += ["", "## Is the reasoning true of the face?", "",
              "Each clause of a model's reasoning read back against the reasoning tree (docs/scoring.md): the share "
              "the reader parses, the share of observations true of the face's class, the share of correct "
              "verdicts resting on a true observation of a given modality, and on the Protocol-2 sets the share "
              "of faces whose reasoning cites a modality that was missing.", "", *table_reasoning(v)]
    lines += ["", f"## Paths per sample N on {s.n_split} (Fig. 5)", "", f"Paper: {paper.fig5}.", "", *table_n(v)]
    lines += ["", "## Discussion", "",
              "Each claim compares per-seed means over the splits run (paired by seed: same training draw and "
              "initial weights). A difference counts as resolved when it exceeds two standard errors of the "
              "paired differences; with 3 seeds that is a loose screen, not a significance test.", "",
              *claims(v), "", "What limits these conclusions:", "", *scale_notes(v, records), ""]
    return "\n".join(lines)
