"""Mean ± std, the paired comparison over seeds and the verdict rules (unchanged from the first harness)."""

import pytest

from pafas_cli.reproduce.stats import (ONE_SEED, Results, bounded_increase_verdict, compare, fmt_ms, mean_std,
                                       peak_verdict, small_difference_verdict, verdict, within)


def test_mean_and_sample_std():
    assert mean_std([1.0, 2.0, 3.0]) == (2.0, 1.0)
    assert mean_std([4.0]) == (4.0, None)
    assert fmt_ms([1.0, 2.0, 3.0]) == "2.00 ± 1.00" and fmt_ms([4.0]) == "4.00" and fmt_ms([]) == "—"


def test_paired_comparison_resolves_only_beyond_two_standard_errors():
    clear = compare({0: 10.0, 1: 12.0, 2: 11.0}, {0: 20.0, 1: 21.0, 2: 22.0})
    assert clear.diff == pytest.approx(10.0) and clear.sign == 1 and clear.n == 3
    assert verdict(clear, +1) == "**holds**" and verdict(clear, -1).startswith("**does not hold**")
    noisy = compare({0: 10.0, 1: 12.0, 2: 11.0}, {0: 14.0, 1: 8.0, 2: 12.0})
    assert noisy.sign == 0 and verdict(noisy, -1).startswith("**not resolved at this scale**")
    assert compare({0: 1.0}, {1: 2.0}) is None
    assert verdict(compare({0: 1.0}, {0: 5.0}), -1) == ONE_SEED
    # Paired: only seeds measured on both sides count.
    assert compare({0: 1.0, 1: 2.0, 2: 100.0}, {0: 2.0, 1: 3.0}).n == 2


def test_a_claim_of_small_difference_needs_the_whole_interval_inside_the_bound():
    assert within(1.0, 0.4, 2.0) == "yes"       # 1 + 0.8 <= 2
    assert within(1.0, 3.0, 2.0) == "unclear"   # noise alone never confirms "no change"
    assert within(19.5, 13.5, 2.0) == "unclear"
    assert within(9.0, 1.0, 2.0) == "no"        # 9 - 2 > 2
    assert within(1.5, None, 2.0) == "yes"
    small = compare({0: 10.0, 1: 11.0, 2: 12.0}, {0: 10.5, 1: 11.4, 2: 12.6})
    assert small_difference_verdict(small, 2.0) == "**holds**"
    big = compare({0: 10.0, 1: 11.0, 2: 12.0}, {0: 20.0, 1: 21.5, 2: 22.0})
    assert "changes HTER by more than 2 points" in small_difference_verdict(big, 2.0, "path shuffling")
    assert small_difference_verdict(compare({0: 1.0}, {0: 1.5}), 2.0) == ONE_SEED


def test_the_peak_rule():
    clear = {1: {0: 50.0, 1: 52.0, 2: 51.0}, 50: {0: 80.0, 1: 81.0, 2: 79.0}, 100: {0: 70.0, 1: 71.0, 2: 72.0}}
    assert peak_verdict(clear, 50) == (50, "**holds**")
    assert peak_verdict(clear, 1) == (50, "**does not hold** (AUC peaks at N = 50)")
    close = {50: {0: 80.0, 1: 70.0, 2: 75.0}, 100: {0: 71.0, 1: 82.0, 2: 76.0}}
    best, text = peak_verdict(close, 50)
    assert best == 100 and "within seed noise of N = 50" in text
    assert peak_verdict({50: {0: 1.0}, 100: {0: 2.0}}, 50) == (100, ONE_SEED)


def test_the_bounded_increase_rule():
    same = compare({0: 10.0, 1: 11.0, 2: 12.0}, {0: 10.2, 1: 11.1, 2: 12.3})
    worse = compare({0: 10.0, 1: 11.0, 2: 12.0}, {0: 20.0, 1: 21.0, 2: 22.5})
    assert bounded_increase_verdict({"missing depth": same}, 2.11, 3) == "**holds**"
    assert bounded_increase_verdict({"missing depth": same, "missing IR": worse}, 2.11, 3) == \
        "**does not hold** for missing IR"
    assert bounded_increase_verdict({"missing depth": same}, 2.11, 1) == ONE_SEED


def test_results_pair_seeds_over_splits():
    cells = [{"table": "p1", "row": "a", "split": sp, "seed": seed, "sets": {"test": {"auc": 10.0 * seed + i}}}
             for i, sp in enumerate(("W", "C")) for seed in (0, 1)]
    cells.append({"table": "p1", "row": "a", "split": "W", "seed": 2, "sets": {"test": {"auc": 99.0}}})
    res = Results(cells)
    assert res.by_seed("p1", "a", "W", "auc") == {0: 0.0, 1: 10.0, 2: 99.0}
    assert res.split_mean("p1", "a", ("W", "C"), "auc") == {0: 0.5, 1: 10.5}  # seed 2 lacks C
    assert res.by_seed("p1", "a", "W", "hter_dev") == {}
