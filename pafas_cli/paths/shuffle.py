"""Answer / path shuffling for SFT (paper §3): break the image -> answer shortcut before RL.

`answer` shuffling gives a row another sample's <answer> (its image and reasoning stay), the paper's
method; `path` shuffling gives it another sample's <think> instead, the paper's diagnostic. Values are
only moved between rows, never invented, so the label distribution of the answers is unchanged.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from itertools import chain

# Random partners tried per row when repairing a swap that stayed inside one sample.
REPAIR_TRIES = 64


def swap_sources(groups: Sequence[int], rate: float, rng: random.Random) -> list[int]:
    """For each row, the row whose value it takes (itself when not shuffled); `groups[i]` is row i's sample.

    A `rate` fraction of the rows is chosen and their values are permuted at random among them, so the
    map is a bijection (the multiset of values is preserved exactly). Each row draws on its own: the
    rows of one sample take values from many different samples, so SFT cannot tie an image to any one
    answer. A row left with a value of its own sample swaps with a random partner for which neither
    does; that always succeeds when no sample holds more than half of the chosen rows, and no chosen
    row keeps its own value.
    """
    n = len(groups)
    sources = list(range(n))
    k = round(rate * n)
    if k < 2:
        return sources
    chosen = rng.sample(range(n), k)
    taken = chosen[:]
    rng.shuffle(taken)
    for i in range(k):
        if groups[taken[i]] == groups[chosen[i]]:
            _repair(i, chosen, taken, groups, rng)
    for row, source in zip(chosen, taken):
        sources[row] = source
    return sources


def _repair(i: int, chosen: list[int], taken: list[int], groups: Sequence[int], rng: random.Random) -> None:
    """Swap `taken[i]` with another position so both rows take a value of another sample (else, of
    another row); random tries first, then a scan, so the result does not hinge on luck."""
    def fits(a: int, b: int, same: Sequence[int]) -> bool:
        return same[taken[b]] != same[chosen[a]] and same[taken[a]] != same[chosen[b]]

    k = len(chosen)
    rows = range(len(groups))
    candidates = [rng.randrange(k) for _ in range(REPAIR_TRIES)]
    for same in (groups, rows):
        for j in chain(candidates, range(k)):
            if fits(i, j, same):
                taken[i], taken[j] = taken[j], taken[i]
                return
