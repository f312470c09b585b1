"""docs/results.md from the recorded cells: per regime, the tables beside the paper's numbers and the claims
judged; the cost and what limits the conclusions.

Everything on the page comes from the cell records (`record.py`), the grid and the paper's numbers and claims
(`recipes/reproduce/paper_numbers.yaml`); nothing is read from a workspace, so the page can be regenerated
from the committed cells file alone (`pafas reproduce --report-only`). Cells measured at a commit that does
not contain the grid's `valid_since` are marked † and the grid's stale note heads the page. Each regime gets
the same sections (`regime_section`); a claim not resolved at 3 to 4 seeds is listed with the command that
adds the seeds up to 5.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pafas_cli.errors import PafasError
from pafas_cli.recipe_files import shipped
from pafas_cli.reproduce.grid import MISSING_SETS, REGIMES, Grid, Settings, read_yaml
from pafas_cli.reproduce.record import Commits, latest_records, record_key, record_stale, regime_of
from pafas_cli.reproduce.stats import (Comparison, Results, bounded_increase_verdict, compare, fmt_ms, peak_verdict,
                                       small_difference_verdict, unresolved, verdict)

PAPER_FILE = "reproduce/paper_numbers.yaml"
SET_LABELS = {"test": "all modalities", "test_missing_depth": "missing depth", "test_missing_ir": "missing IR",
              "test_missing_both": "missing depth & IR"}
METRICS = ("hter_dev", "hter_oracle", "auc", "answer_balanced_accuracy", "reasoning_balanced_accuracy", "format_rate")
METRIC_HEADERS = ("HTER @dev thr", "HTER @oracle thr", "AUC", "answer bal. acc.", "reasoning verdict bal. acc.",
                  "format rate")
REASONING = ("clauses_per_face", "parsed_rate", "clause_accuracy", "grounded_rate")
REASONING_P2 = ("clause_accuracy", "grounded_rate", "hallucination_rate")
REGIME_TITLES = {
    "pretrained": ("Pretrained regime (the headline)", "every SFT starts from `pafas pretrain` of its split and "
                   "seed's model (next-token training on the material corpus, docs/pretraining.md), the CNN from the "
                   "trunk the same pretrain version trained on the corpus's attributes (`baseline.init`)"),
    "scratch": ("Scratch regime", "every SFT starts from the same model at its random initialisation (the same "
                "tokenizer and weights the pretrained regime's pretraining started from), the CNN from scratch"),
}
# Seeds a claim not resolved at 3 gets (the rule: >= 3 seeds everywhere, 5 where 3 do not resolve).
SEEDS_WANTED = 5
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
    """What one regime's tables and claims read: the grid, the settings, its results, which cells are stale."""

    grid: Grid
    paper: Paper
    s: Settings
    res: Results
    stale: set[tuple[str, str, str]]  # (table, row, split) with a stale cell
    cost: dict[tuple[str, str, str], dict[int, float]]  # (table, row, split) -> seed -> minutes
    regime: str = "pretrained"

    def mark(self, table: str, row: str, split: str) -> str:
        return f" {STALE_MARK}" if (table, row, split) in self.stale else ""

    def splits(self, *rows: str) -> tuple[str, ...]:
        """The splits run that every one of `rows` runs on (a row may be limited to some: grid.yaml)."""
        return tuple(sp for sp in self.s.splits if all(self.grid.row(r).runs_on(sp) for r in rows))


@dataclass(frozen=True)
class Judged:
    """One claim as the page states it; `rows` are the rows it compares, `unresolved` whether more seeds are
    wanted (not resolved at 3 or 4 seeds)."""

    text: str
    rows: tuple[str, ...] = ()
    unresolved: bool = False


def wants_seeds(result: str, seeds: int) -> bool:
    """A verdict not resolved with at least 3 seeds and fewer than SEEDS_WANTED."""
    return unresolved(result) and 3 <= seeds < SEEDS_WANTED


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
    lines = ["| method | split | " + " | ".join(METRIC_HEADERS) + " | seeds | cost (min) | paper HTER / AUC |",
             "|---|---|" + "---|" * len(METRICS) + "---|---|---|"]
    for key in s.rows:
        row, splits = v.grid.row(key), v.splits(key)
        for split in splits:
            values = {m: v.res.by_seed("p1", key, split, m) for m in METRICS}
            paper = v.paper.protocol1.get(key, {}).get(split)
            lines.append(f"| {row.label} | {split}{v.mark('p1', key, split)} | " + " | ".join(metric_cells(values)) +
                         f" | {len(values['auc'])} | {fmt_minutes(v.cost.get(('p1', key, split), {}))} | "
                         f"{paper_cell(paper)} |")
        if len(splits) > 1:
            values = {m: v.res.split_mean("p1", key, splits, m) for m in METRICS}
            same = v.paper.mean(key, splits)
            paper = v.paper.protocol1.get(key, {}).get("avg")
            note = paper_cell(paper) + (" (4 splits)" if paper else "")
            if same is not None and set(splits) != set(v.grid.splits):
                note = f"{paper_cell(same)} ({'+'.join(splits)}); {note}"
            costs = [v.cost.get(("p1", key, sp), {}) for sp in splits]
            total = f"Σ {sum(statistics.fmean(c.values()) for c in costs):.1f}" if all(costs) else "—"
            lines.append(f"| {row.label} | **mean {'+'.join(splits)}** | " + " | ".join(metric_cells(values)) +
                         f" | {len(values['auc'])} | {total} | {note} |")
    sources = [f"{v.grid.row(k).label}: {v.paper.sources[k]}" for k in s.rows
               if v.paper.sources.get(k) and v.paper.sources[k] != "Table 1"]
    if sources:
        lines += ["", "Paper column: Table 1 unless named here: " + "; ".join(sources) + "."]
    return lines


def curve_cell(ends: Mapping, scale: float = 1.0) -> str:
    """'start → end' of a GRPO curve's ends (x `scale`), mean over seeds; '—' without."""
    if not ends:
        return "—"
    start = statistics.fmean(e[0] for e in ends.values()) * scale
    end = statistics.fmean(e[1] for e in ends.values()) * scale
    return f"{start:.2f} → {end:.2f}"


def table_grpo(v: View) -> list[str]:
    """What each GRPO row's training did: its sampled reward and the share of groups without reward spread (first
    and last logs), the dev reward at the start and at the step the selection chose, and the step."""
    s = v.s
    lines = ["| method | split | reward start → end (sampled) | groups without reward spread, % start → end | "
             "dev reward start → chosen (greedy) | chosen step / steps trained, per seed | seeds |",
             "|---|---|---|---|---|---|---|"]
    for key in (r for r in s.rows if v.grid.row(r).rewards is not None):
        for split in v.splits(key):
            chosen = v.res.chosen("p1", key, split)
            steps = ", ".join(f"{c['step']}/{c['steps']}" for _, c in sorted(chosen.items())) or "—"
            dev = {seed: c["dev_reward"] for seed, c in chosen.items() if None not in c["dev_reward"]}
            lines.append(f"| {v.grid.row(key).label} | {split}{v.mark('p1', key, split)} | "
                         f"{curve_cell(v.res.curve('p1', key, split))} | "
                         f"{curve_cell(v.res.curve('p1', key, split, 'frac_reward_zero_std'), 100)} | "
                         f"{curve_cell(dev)} | {steps} | {len(v.res.curve('p1', key, split))} |")
    return lines + ["", "Start and end: the means of the first and the last three logged values (every 5 steps). "
                    "The dev reward: the greedy answers of the selection's dev faces scored with the run's rewards "
                    "(train/select.py); the run stops after the grid's patience and keeps the chosen step's weights. "
                    "— = a run without step selection."]


def table_p2(v: View) -> list[str]:
    s = v.s
    lines = ["| method | test condition | split | " + " | ".join(METRIC_HEADERS) + " | seeds | "
             "paper HTER / AUC (4-split avg) |", "|---|---|---|" + "---|" * len(METRICS) + "---|---|"]
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
             "| paths per sample N | rows in the version | epochs SFT saw | " + " | ".join(METRIC_HEADERS) +
             " | seeds | cost (min) |", "|---|---|---|" + "---|" * len(METRICS) + "---|---|"]
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


def claim_pair(v: View, claim: Mapping) -> Judged | None:
    """Row b has lower (expect: lower) or higher HTER @dev thr than row a, beyond two standard errors."""
    a, b, title, paper = claim["a"], claim["b"], claim["title"], claim["paper"]
    if a not in v.s.rows or b not in v.s.rows:
        return None
    splits = v.splits(a, b)
    c = compare(v.res.split_mean("p1", a, splits, "hter_dev"), v.res.split_mean("p1", b, splits, "hter_dev"))
    if c is None:
        return Judged(f"- **{title}** ({paper}): not measured yet.", (a, b))
    auc = compare(v.res.split_mean("p1", a, splits, "auc"), v.res.split_mean("p1", b, splits, "auc"))
    text = f"- **{title}** ({paper}). Measured on {'+'.join(splits)}: {describe(c, a, b, 'HTER @dev thr')}"
    if auc is not None:
        text += f"; {describe(auc, a, b, 'AUC')}"
    result = verdict(c, -1 if claim["expect"] == "lower" else +1)
    return Judged(text + f". Verdict: {result}.", (a, b), wants_seeds(result, c.n))


def claim_small_difference(v: View, claim: Mapping) -> Judged | None:
    """|b - a| in HTER @dev thr, ± 2 SE, within `bound` points."""
    a, b, bound = claim["a"], claim["b"], float(claim["bound"])
    if a not in v.s.rows or b not in v.s.rows:
        return None
    splits = v.splits(a, b)
    c = compare(v.res.split_mean("p1", a, splits, "hter_dev"), v.res.split_mean("p1", b, splits, "hter_dev"))
    title, paper = claim["title"], claim["paper"]
    if c is None:
        return Judged(f"- **{title}** ({paper}): not measured yet.", (a, b))
    result = small_difference_verdict(c, bound, str(claim.get("change", "the change")))
    return Judged(f"- **{title}** ({paper}). Measured on {'+'.join(splits)}: {describe(c, a, b, 'HTER @dev thr')}. "
                  f"Verdict (rule: |difference| ± 2 SE within {bound:g} points): {result}.", (a, b),
                  wants_seeds(result, c.n))


def claim_n_peak(v: View, claim: Mapping) -> Judged | None:
    s, n_paper, row = v.s, v.grid.paper_n, v.grid.pafas_row
    aucs = {n: v.res.by_seed("n", f"n{n}", s.n_split, "auc") for n in s.n_values}
    aucs = {n: values for n, values in aucs.items() if values}
    title = f"Paths per sample: AUC peaks near N = {n_paper}"
    if len(aucs) < 2 or n_paper not in aucs:
        return Judged(f"- **{title}** ({v.paper.fig5}): not measured yet.", (row,)) if len(s.n_values) > 1 else None
    best, result = peak_verdict(aucs, n_paper)
    listing = ", ".join(f"N={n}: {statistics.fmean(vals.values()):.2f}" for n, vals in aucs.items())
    return Judged(f"- **{title}** ({v.paper.fig5}). Measured mean AUC on {s.n_split}: {listing}; highest at N = "
                  f"{best}. Verdict: {result}.", (row,), wants_seeds(result, min(map(len, aucs.values()))))


def claim_missing(v: View, claim: Mapping) -> Judged | None:
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
            return Judged(f"- **{title}** ({paper}): not measured yet.", (row,))
        increases[SET_LABELS[name]] = c
    parts = [f"{label} {c.diff:+.2f}" + (f" ± {c.se:.2f}" if c.se is not None else "")
             for label, c in increases.items()]
    result = bounded_increase_verdict(increases, worst, len(full))
    return Judged(f"- **{title}** ({paper}). Measured HTER @dev thr change vs all modalities: {'; '.join(parts)}. "
                  f"Verdict (rule: increase ± 2 SE at most +{worst:.2f}): {result}.", (row,),
                  wants_seeds(result, len(full)))


CLAIMS = {"pair": claim_pair, "small_difference": claim_small_difference, "n_peak": claim_n_peak,
          "missing": claim_missing}


def claims(v: View) -> list[Judged]:
    out = [CLAIMS[claim["kind"]](v, claim) for claim in v.paper.claims]
    return [c for c in out if c]


def more_seeds(v: View, judged: Sequence[Judged]) -> list[str]:
    """The claims not resolved at 3 to 4 seeds, and the command that measures their rows at the missing seeds."""
    open_ = [j for j in judged if j.unresolved]
    if not open_:
        return []
    rows = tuple(dict.fromkeys(r for j in open_ for r in j.rows))
    extra = tuple(x for x in range(max(v.s.seeds) + 1 + SEEDS_WANTED) if x not in v.s.seeds)
    add = replace(v.s, regimes=(v.regime,), seeds=extra[:SEEDS_WANTED - len(v.s.seeds)], rows=rows,
                  n_values=v.s.n_values if v.grid.pafas_row in rows else ())
    titles = "; ".join(j.text.split("**")[1] for j in open_)
    return ["", f"Not resolved at {len(v.s.seeds)} seeds, so measured at {SEEDS_WANTED} (the rule above): {titles}. "
            "The seeds they still need:", "", "```bash", add.command(), "```"]


def scale_notes(grid: Grid, s: Settings, records: Sequence[Mapping]) -> list[str]:
    sft, rl = grid.recipe("sft", s.overrides).sft, grid.recipe("rl", s.overrides).rl
    paths = grid.recipe("paths", s.overrides).paths
    rows = s.sft_steps * sft.batch_size * sft.grad_accum
    prompts = s.rl_steps * rl.prompts_per_step(1)
    parameters = next((r["model_parameters"] for r in records if r.get("model_parameters")), None)
    size = f"{parameters:,} parameters, " if parameters else ""
    side = paths.image_size
    defaults = tuple(grid.defaults[k] for k in ("pretrain_steps", "sft_steps", "rl_steps"))
    notes = [
        f"- Model: the tiny Qwen2.5-VL of `recipes/{grid.recipes['model']}` ({size}{side}x{side} images, "
        f"{(side // 28) ** 2} vision tokens per image) against the paper's Qwen2.5-VL-3B; data: the synthetic "
        "benchmark, not the four licensed datasets; pretraining: a synthetic corpus of materials through the same "
        "sensors (docs/pretraining.md), not web-scale images. Absolute numbers are not comparable with the paper's, "
        "only the directions.",
        f"- Training length: {grid.training(s)}, i.e. {rows:,} SFT rows ({rows / (grid.paper_n * s.n_train):.2g} "
        f"epoch(s) of the N = {grid.paper_n} version's {grid.paper_n * s.n_train:,} rows) and at most {prompts} GRPO "
        f"prompts ({prompts / s.n_train:.2g} passes over the {s.n_train} training samples), against the paper's 500 "
        "SFT + 500 GRPO steps" + ("; the grid's defaults (`recipes/reproduce/grid.yaml` says why)." if
                                  (s.pretrain_steps, s.sft_steps, s.rl_steps) == defaults else "."),
        f"- The raw baseline is trained on the same {s.n_train} labelled samples (the paper's used ~35k raw samples); "
        "its paths version is answer-only, so its GRPO and its evaluation inherit `require_think: false` and accept a "
        "bare `<answer>`; its score is read after `<answer>['`.",
    ]
    cnn = [r for r in grid.rows if r.baseline and r.key in s.rows]
    if cnn:
        baseline = grid.recipe("baseline", s.overrides).baseline
        notes.append(f"- {cnn[0].label}: `pafas baseline` (docs/baseline.md; width {baseline.width}, {baseline.epochs} "
                     f"epochs) on the same {s.n_train} training samples, dev and test faces as the VLM rows; it writes "
                     "no answer, so its answer columns are empty.")
    notes += reproducibility(records)
    spent: dict[tuple, float] = {}
    for r in records:
        for st in r.get("stages") or []:
            spent[(r["split"], r["seed"], st.get("key"), st.get("version"))] = float(st.get("seconds") or 0.0)
    if spent:
        cores = sorted({r.get("cores") for r in records if r.get("cores")})
        where = f" ({', '.join(map(str, cores))} cores)" if cores else ""
        notes.append(f"- Compute spent by the finished stages: {sum(spent.values()) / 3600:.2f} h of wall time"
                     f"{where}; a row's cost is the mean over seeds of the minutes of every stage behind one of its "
                     "cells, shared ones (paths, model, pretrain) included, i.e. what it costs from scratch.")
    return notes


def reproducibility(records: Sequence[Mapping]) -> list[str]:
    """How the cells were computed: the thread counts their stages recorded, how many reproduction processes
    shared the machine and its load when each finished (the first round recorded none of it)."""
    counts = sorted({st["threads"] for r in records for st in r.get("stages") or [] if st.get("threads")})
    processes = sorted({r["processes"] for r in records if r.get("processes")})
    loads = [r["load_1min"] for r in records if r.get("load_1min") is not None]
    if not counts and not processes:
        return []
    text = f"- Reproducibility: every stage computes with a pinned thread count ({', '.join(map(str, counts))})"
    if processes:
        shared = f"{processes[0]}-{processes[-1]}" if len(processes) > 1 else str(processes[0])
        text += f"; {shared} reproduction process(es) shared the machine"
    if loads:
        text += f"; its 1-minute load average was {min(loads):.1f}-{max(loads):.1f} when the cells finished"
    return [text + " (each cell records its own; tests/reproduce/test_repeat.py states how far a rerun agrees)."]


def answers_note(v: View) -> list[str]:
    """The PA-FAS model's generated answers, and (pretrained regime) the perception probe of its pretraining."""
    s, row, notes = v.s, v.grid.pafas_row, []
    if row in s.rows:
        accuracy = v.res.split_mean("p1", row, s.splits, "answer_accuracy")
        fmt_rate = v.res.split_mean("p1", row, s.splits, "format_rate")
        if accuracy and fmt_rate:
            notes.append(f"- The PA-FAS model's generated answers: format rate {fmt_ms(list(fmt_rate.values()))}%, "
                         f"answer accuracy {fmt_ms(list(accuracy.values()))}% on the held-out domain (mean ± std over "
                         "seeds; the balanced accuracies are in the table: 50% = one class for every face or "
                         "chance).")
    probes = list({(c["split"], c["seed"]): c["probe"] for c in v.res.cells.values()
                   if c.get("probe") and None not in c["probe"].values()}.values())  # one pretraining per pair
    if probes and REGIMES[v.regime] == "pretrain":
        pre = statistics.fmean(p["pretrained"] for p in probes)
        scratch = statistics.fmean(p["scratch"] for p in probes)
        notes.append(f"- Perception before any FAS label (the pretrain versions' probe: a logistic regression on the "
                     f"vision features, fitted on the split's source faces, AUC on its held-out domain): pretrained "
                     f"{100 * pre:.1f} vs the same model at its random initialisation {100 * scratch:.1f} (mean over "
                     f"{len(probes)} split(s) x seed(s)).")
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
    """The last record of each planned cell with these settings and data, in plan order (a scratch cell's may be
    the first round's, recorded before regimes under the cell's old name)."""
    latest = latest_records(records)
    out = []
    for cell in grid.plan(s):
        settings = grid.cell_settings(cell, s, digest)
        found = next((r for name in cell.names if (r := latest.get(record_key(name, settings, data)))), None)
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


def regime_section(v: View) -> list[str]:
    """One regime's tables and claims, the same for every regime."""
    s, grid = v.s, v.grid
    title, what = REGIME_TITLES[v.regime]
    lines = [f"## {title}", "", f"In this regime {what}.", "",
             "### Protocol 1: the ablation ladder (Tables 1, 4, 5)", "", *table_p1(v)]
    if any(grid.row(k).rewards is not None for k in s.rows):
        lines += ["", "### What GRPO did", "", *table_grpo(v)]
    if any(row in s.rows for row in grid.p2_rows):
        lines += ["", "### Protocol 2: missing modalities at test time (Table 2)", "", *table_p2(v)]
    lines += ["", "### Is the reasoning true of the face?", "",
              "Each clause of a model's reasoning read back against the reasoning tree (docs/scoring.md): the share "
              "the reader parses, the share of observations true of the face's class, the share of correct "
              "verdicts resting on a true observation of a given modality, and on the Protocol-2 sets the share "
              "of faces whose reasoning cites a modality that was missing.", "", *table_reasoning(v)]
    lines += ["", f"### Paths per sample N on {s.n_split} (Fig. 5)", "", f"Paper: {v.paper.fig5}.", "", *table_n(v)]
    judged = claims(v)
    lines += ["", "### Claims", "", *(j.text for j in judged), *more_seeds(v, judged)]
    notes = answers_note(v)
    return lines + (["", *notes] if notes else [])


def render(grid: Grid, paper: Paper, s: Settings, records: Sequence[Mapping], commits: Commits | None = None,
           cells_file: str = "bench/results/cells.jsonl", when: str | None = None) -> str:
    """The results page for `records` (already selected for these settings: `shown_records`)."""
    commits = commits or Commits(grid.valid_since)
    stale_records = [r for r in records if record_stale(r, commits)]
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
        "its Tables 1, 2, 4, 5 and Fig. 5 text (`recipes/reproduce/paper_numbers.yaml`). HTER, AUC, balanced "
        "accuracies and format rate are in %, mean ± sample std over seeds; cost in minutes of wall time per seed.",
        "HTER @dev thr applies the dev set's EER threshold (source domains: honest); HTER @oracle thr the test "
        "set's own EER threshold (the MMDG-family convention, which the paper's tables most likely follow). AUC "
        "needs no threshold. Answer balanced accuracy: the generated answers' live/spoof decisions; reasoning "
        "verdict balanced accuracy: the verdict the `<think>` text states (50 = one class for every face).",
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
        f"- Regimes: {', '.join(REGIME_TITLES[r][0] for r in s.regimes)}: one section each below, with the same "
        "tables and claims.",
        f"- Seeds {', '.join(map(str, s.seeds))}; Protocol 1 splits {', '.join(f'{sp} (->{sp})' for sp in s.splits)}; "
        f"N sweep on {s.n_split}; Protocol 2 on the same splits.",
        f"- Data: {describe_data(records)}; "
        f"{s.n_train} labelled training samples per split (stratified); dev {s.n_dev} and test {s.n_test} faces "
        f"per split (stratified subsamples; the same faces for every row of a split and seed).",
        f"- Paths: `recipes/{grid.recipes['paths']}` (PNRPS, alpha {paths.alpha:g}, N = {grid.paper_n} unless varied, "
        f"shuffle rate {paths.shuffle_rate:g}, {paths.image_size}x{paths.image_size} images). "
        "Variants: raw = answer only; single = one canonical path; path = N paths; + path shuffling = reasoning "
        "swapped between rows; + answer shuffling = answers swapped (PA-FAS).",
        f"- Model: one tokenizer + tiny Qwen2.5-VL per (split, seed), its tokenizer trained on the PA-FAS corpus and "
        f"the pretraining corpus ({s.corpus_samples:,} scenes, drawn once), shared by every variant and both regimes; "
        f"pretraining: `recipes/{grid.recipes['pretrain']}`, {s.pretrain_steps} steps, once per (split, seed). "
        f"SFT: `recipes/{grid.recipes['sft']}`, {s.sft_steps} steps. GRPO: `recipes/{grid.recipe_file('rl')}` "
        f"(lr {rl.learning_rate:g}, beta {rl.beta:g}, temperature {rl.temperature:g}, loss {rl.loss_type}, "
        f"G {rl.num_generations}, {rl.prompts_per_step(1)} prompts per step, "
        f"{budget_text(rl.max_completion_length, records)} new tokens), up to {s.rl_steps} steps"
        + (f", the step chosen on the source-domain dev set (every {rl.select.every} steps, {rl.select.faces} faces, "
           f"patience {rl.select.patience})" if rl.select.every else "") +
        ", rewards format + classification (binary); the consistency row adds the consistency reward; the "
        "ablation rows change the GRPO settings or its faces (grid.yaml `grpo`).",
        f"- Eval: `recipes/{grid.recipes['eval']}` (greedy, {recipes['eval'].eval.max_new_tokens} new tokens); the "
        "score is the teacher-forced P(live branch) after the model's own reasoning (docs/scoring.md).",
    ]
    if s.overrides:
        lines.append(f"- Extra overrides on every stage: {', '.join(f'`{o}`' for o in s.overrides)}.")
    lines += ["", "## How the claims are judged", "",
              "Each claim compares per-seed means over the splits both rows ran on, paired by seed (the same seed = "
              "the same training draw and initial weights). A difference is resolved when it exceeds two standard "
              "errors of the paired per-seed differences (with 3 seeds that is a loose screen, not a significance "
              "test); a claim of no or small difference holds only when the whole interval (difference ± 2 SE) lies "
              f"inside its bound. A claim not resolved at 3 seeds is measured at {SEEDS_WANTED}: each regime lists "
              "those and the command that adds the seeds."]
    for regime in s.regimes:
        mine = [r for r in records if regime_of(r) == regime]
        cost: dict[tuple[str, str, str], dict[int, float]] = {}
        for r in mine:
            cost.setdefault((r["table"], r["row"], r["split"]), {})[r["seed"]] = minutes(r)
        stale = {(r["table"], r["row"], r["split"]) for r in mine if record_stale(r, commits)}
        lines += ["", *regime_section(View(grid, paper, s, Results(mine), stale, cost, regime))]
    lines += ["", "## What limits these conclusions", "", *scale_notes(grid, s, records), ""]
    return "\n".join(lines)
