"""A seeded subsample of an eval set that keeps the share of every stratum.

Eval sets are stored ordered by stratum, so their first N rows are one domain (and often one class):
metrics on them say nothing about the whole set. `eval.max_samples` therefore takes N rows spread over
the strata (label, domain, attack type) in proportion to their sizes.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Hashable, Sequence


def stratified_indices(strata: Sequence[Hashable], n: int, seed: int) -> list[int]:
    """Sorted indices of `n` rows, where `strata[i]` is row i's stratum key (keys must be sortable).

    Each stratum gets its quota n * size / total rounded by largest remainder, so it is within one row of
    its quota. When n >= the number of strata, every stratum keeps at least one row (rare attack types are
    not lost); the rows this costs are taken back from the strata furthest above their quotas, which can
    leave one of those more than a row short when n is close to the number of strata. Rows inside a
    stratum are drawn with `random.Random(seed)`, strata in sorted order, so a seed gives one subsample.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    total = len(strata)
    if n >= total:
        return list(range(total))
    rows: dict[Hashable, list[int]] = defaultdict(list)
    for i, key in enumerate(strata):
        rows[key].append(i)
    keys = sorted(rows)
    # Integer arithmetic: stratum k is over(k) / total rows above its quota n * size / total.
    take = {k: max(n * len(rows[k]) // total, 1 if n >= len(keys) else 0) for k in keys}

    def over(k: Hashable) -> int:
        return take[k] * total - n * len(rows[k])

    while sum(take.values()) > n:
        take[max((k for k in keys if take[k] > 1), key=lambda k: (over(k), k))] -= 1
    while sum(take.values()) < n:
        take[min(keys, key=lambda k: (over(k), k))] += 1
    rng = random.Random(seed)
    return sorted(i for k in keys for i in rng.sample(rows[k], take[k]))
