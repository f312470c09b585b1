"""Statistics over seeds and the verdict rules the reproduction report applies.

Every claim compares per-seed values paired by seed (the same seed = the same training draw and initial
weights). A difference is *resolved* when it exceeds two standard errors of the paired differences; with 3
seeds that is a loose screen, not a significance test. A claim of no or small difference holds only when the
whole interval (difference ± 2 SE) lies inside its bound: noise alone never confirms "no change".
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

NOT_RESOLVED = "**not resolved"
ONE_SEED = f"{NOT_RESOLVED}** (one seed: no spread to judge by)"


def mean_std(values: Sequence[float]) -> tuple[float, float | None]:
    """Mean and sample standard deviation (None for a single value)."""
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else None


def fmt_ms(values: Sequence[float]) -> str:
    """'mean ± std' with two decimals ('—' for no values, the mean alone for one)."""
    if not values:
        return "—"
    mean, std = mean_std(values)
    return f"{mean:.2f}" if std is None else f"{mean:.2f} ± {std:.2f}"


class Results:
    """Measured values by (table, row, split, seed, set, metric), from cell records."""

    def __init__(self, cells: Sequence[Mapping]):
        self.cells = {(c["table"], c["row"], c["split"], c["seed"]): c for c in cells}

    def by_seed(self, table: str, row: str, split: str, metric: str, set_name: str = "test") -> dict[int, float]:
        out = {}
        for (t, r, sp, seed), c in self.cells.items():
            value = c["sets"].get(set_name, {}).get(metric) if (t, r, sp) == (table, row, split) else None
            if value is not None:
                out[seed] = value
        return out

    def curve(self, table: str, row: str, split: str, name: str = "reward") -> dict[int, tuple[float, float]]:
        """Per seed, the (start, end) of a GRPO reward curve the cell recorded (`rl_curve`)."""
        out = {}
        for (t, r, sp, seed), c in self.cells.items():
            ends = (c.get("rl_curve") or {}).get(name) if (t, r, sp) == (table, row, split) else None
            if ends:
                out[seed] = (float(ends[0]), float(ends[1]))
        return out

    def chosen(self, table: str, row: str, split: str) -> dict[int, dict]:
        """Per seed, the GRPO step the dev reward chose (`rl_select`: step, steps, dev_reward, stopped)."""
        return {seed: c["rl_select"] for (t, r, sp, seed), c in self.cells.items()
                if (t, r, sp) == (table, row, split) and c.get("rl_select")}

    def split_mean(self, table: str, row: str, splits: Sequence[str], metric: str,
                   set_name: str = "test") -> dict[int, float]:
        """Per seed, the mean over `splits` (only seeds measured on every one of them)."""
        per = [self.by_seed(table, row, sp, metric, set_name) for sp in splits]
        seeds = set.intersection(*(set(p) for p in per)) if per else set()
        return {seed: statistics.fmean(p[seed] for p in per) for seed in sorted(seeds)}


@dataclass(frozen=True)
class Comparison:
    """b - a over the seeds both were measured on (paired: same seed = same data draw and initial weights)."""

    a: float
    b: float
    diff: float
    se: float | None
    n: int

    @property
    def sign(self) -> int:
        """+1 / -1 when |diff| exceeds two standard errors of the paired differences, else 0."""
        if self.se is None:
            return 0
        if abs(self.diff) <= 2 * self.se:
            return 0
        return 1 if self.diff > 0 else -1


def compare(a: Mapping[int, float], b: Mapping[int, float]) -> Comparison | None:
    """The paired comparison of two per-seed value maps; None when no seed has both."""
    seeds = sorted(set(a) & set(b))
    if not seeds:
        return None
    diffs = [b[s] - a[s] for s in seeds]
    se = statistics.stdev(diffs) / math.sqrt(len(diffs)) if len(diffs) > 1 else None
    return Comparison(statistics.fmean(a[s] for s in seeds), statistics.fmean(b[s] for s in seeds),
                      statistics.fmean(diffs), se, len(seeds))


def within(diff: float, se: float | None, bound: float) -> str:
    """Is `diff` at most `bound`, judged with two standard errors: "yes", "no" or "unclear".

    "yes" needs the whole interval diff ± 2 SE under the bound (noise alone never confirms a claim of
    no or small difference); "no" needs the whole interval above it.
    """
    margin = 2 * (se or 0.0)
    if diff + margin <= bound:
        return "yes"
    return "no" if diff - margin > bound else "unclear"


def unresolved(result: str) -> bool:
    """Whether a verdict these rules wrote leaves the claim open (more seeds may resolve it)."""
    return result.startswith(NOT_RESOLVED)


def verdict(c: Comparison, wanted: int) -> str:
    """A directional claim (b - a has sign `wanted`): holds, does not hold, or not resolved."""
    if c.n < 2:
        return ONE_SEED
    if c.sign == 0:
        return f"{NOT_RESOLVED} at this scale** (the difference is within two standard errors over seeds)"
    return "**holds**" if c.sign == wanted else "**does not hold** (the measured difference goes the other way)"


def small_difference_verdict(c: Comparison, bound: float, change: str = "the change") -> str:
    """A claim that |b - a| is at most `bound`: the whole interval |diff| ± 2 SE must be inside it
    (`change` names what b changes, for the text)."""
    small = within(abs(c.diff), c.se, bound)
    if c.n < 2:
        return ONE_SEED
    if small == "yes":
        return "**holds**"
    if small == "no":
        return f"**does not hold** ({change} changes HTER by more than {bound:g} points, beyond seed noise)"
    return f"{NOT_RESOLVED} at this scale** (seed noise is too large to tell a change of {bound:g} points or less)"


def peak_verdict(values: Mapping[int, Mapping[int, float]], expected: int) -> tuple[int, str]:
    """A claim that the mean over seeds peaks at `expected` (values: x -> seed -> value); (argmax, verdict)."""
    means = {x: statistics.fmean(v.values()) for x, v in values.items()}
    best = max(means, key=means.get)
    if min(len(v) for v in values.values()) < 2:
        return best, ONE_SEED
    if best == expected:
        return best, "**holds**"
    c = compare(values[expected], values[best])
    if c is None or c.sign == 0:
        return best, f"{NOT_RESOLVED} at this scale** (the peak is within seed noise of N = {expected})"
    return best, f"**does not hold** (AUC peaks at N = {best})"


def bounded_increase_verdict(increases: Mapping[str, Comparison], bound: float, seeds: int) -> str:
    """A claim that every increase (label -> comparison), ± 2 SE, is at most `bound`."""
    ok = {label: within(c.diff, c.se, bound) for label, c in increases.items()}
    if seeds < 2:
        return ONE_SEED
    if all(o == "yes" for o in ok.values()):
        return "**holds**"
    if "no" in ok.values():
        return "**does not hold** for " + ", ".join(label for label, o in ok.items() if o == "no")
    return f"{NOT_RESOLVED} at this scale** (seed noise is too large to bound the increase by +{bound:.2f})"
