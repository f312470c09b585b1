import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pafas_cli.paths.shuffle import swap_sources


@settings(max_examples=200, deadline=None)
@given(sizes=st.lists(st.integers(1, 6), min_size=1, max_size=30), rate=st.floats(0, 1), seed=st.integers(0, 99))
def test_swaps_are_a_bijection_between_samples(sizes, rate, seed):
    groups = [g for g, size in enumerate(sizes) for _ in range(size)]
    sources = swap_sources(groups, rate, random.Random(seed))
    assert sorted(sources) == list(range(len(groups)))  # every value moves to exactly one row
    moved = [i for i, s in enumerate(sources) if s != i]
    k = round(rate * len(groups))
    assert len(moved) == (k if k >= 2 else 0)
    if k >= 2 and max(Counter(groups[i] for i in moved).values()) * 2 <= k:
        assert all(groups[sources[i]] != groups[i] for i in moved)


def test_same_seed_same_swaps():
    groups = [i // 5 for i in range(100)]
    assert swap_sources(groups, 0.5, random.Random(3)) == swap_sources(groups, 0.5, random.Random(3))
    assert swap_sources(groups, 0.5, random.Random(3)) != swap_sources(groups, 0.5, random.Random(4))


@pytest.mark.parametrize("rate", [0.0, 0.001])
def test_nothing_moves_at_rate_zero(rate):
    assert swap_sources([0, 1, 2], rate, random.Random(0)) == [0, 1, 2]


def test_rows_of_one_sample_take_answers_from_many_samples():
    """A per-sample block swap would tie every row of an image to one other sample's answer."""
    groups = [i // 20 for i in range(40 * 20)]
    sources = swap_sources(groups, 1.0, random.Random(0))
    for sample in range(40):
        donors = {groups[sources[i]] for i, g in enumerate(groups) if g == sample}
        assert sample not in donors
        assert len(donors) >= 10


class _UnluckyRandom(random.Random):
    """Every random repair try lands on the first chosen position (as bad luck might)."""

    def randrange(self, *args, **kwargs):
        return 0


def test_repair_does_not_hinge_on_luck():
    """When every random try fails, the scan still finds a partner: no chosen row keeps its own sample's value."""
    groups = [0] * 10 + list(range(1, 11))
    for seed in range(20):
        rng = _UnluckyRandom(seed)
        sources = swap_sources(groups, 1.0, rng)
        assert sorted(sources) == list(range(20))
        assert all(groups[s] != groups[i] for i, s in enumerate(sources)), seed
