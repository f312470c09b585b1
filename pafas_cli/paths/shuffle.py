"""Answer / path shuffling for SFT (paper §3): break the image -> answer shortcut before RL.

`answer` shuffling gives a row another sample's <answer> (its image and reasoning stay), the paper's
method; `path` shuffling gives it another sample's <think> instead, the paper's diagnostic. Values are
only moved between rows, never invented, so the label distribution of the answers is unchanged.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence


def swap_sources(groups: Sequence[int], rate: float, rng: random.Random) -> list[int]:
    """For each row, the row whose value it takes (itself when not shuffled); `groups[i]` is row i's sample.

    A `rate` fraction of the rows is chosen, laid out sample by sample in random order, and each takes the
    value of the row `m` places further on (cyclically), m being the largest number of chosen rows of one
    sample. That map is a bijection (the multiset of values is preserved exactly) and, whenever no sample
    holds more than half of the chosen rows, it always pairs rows of different samples.
    """
    n = len(groups)
    sources = list(range(n))
    k = round(rate * n)
    if k < 2:
        return sources
    chosen = rng.sample(range(n), k)
    rank = {g: i for i, g in enumerate(dict.fromkeys(groups[r] for r in chosen))}
    chosen.sort(key=lambda r: rank[groups[r]])
    shift = min(max(Counter(groups[r] for r in chosen).values()), k - 1)
    for pos, row in enumerate(chosen):
        sources[row] = chosen[(pos + shift) % k]
    return sources
