"""What each real dataset's lists are known to hold, so a list that is far off gets a warning.

A flipped label polarity in a list without a guard (anonymised names, no ground truth) still reads; so
does a list of another dataset, or one whose attack types were lost. Neither error shows in the labels
themselves, but both move the live share or the attack mix far from the dataset's documented figures:
the live shares of MMDG's benchmark lists (C 25 % / 18 % on test, P 53-55 %, S 14 %, W 19-22 %;
docs/data.md) and the attack types each dataset has. A split of at least MIN_FACES faces whose live share
lies outside [share / 2.5, 1 - (1 - share) / 2.5], whose attacks include a type the dataset does not have,
or whose spoofs are mostly untyped where the release types them, is named in a warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from pafas_cli.data.attacks import SPOOF_PATH, attack_path
from pafas_cli.data.registry import by_letter
from pafas_cli.data.sample import LIVE, SPOOF, FaceSample

# Splits smaller than this are not judged (a handful of faces says nothing about a share).
MIN_FACES = 20
# How far (as a factor on the live share, and on the spoof share) a split may stray before a warning.
SLACK = 2.5


def check_mix(samples: Sequence[FaceSample], letter: str, what: str) -> list[str]:
    """Warnings (one line each) for a split of dataset `letter` that is far off its documented figures (the
    dataset's profile in the source registry)."""
    dataset = by_letter(letter)
    profile = dataset.profile if dataset is not None else None
    if profile is None or len(samples) < MIN_FACES:
        return []
    title = dataset.title
    warnings = []
    live = sum(s.label == LIVE for s in samples)
    share = live / len(samples)
    low, high = profile.live_share / SLACK, 1 - (1 - profile.live_share) / SLACK
    if not low <= share <= high:
        warnings.append(f"{what}: {live} of {len(samples)} faces are live ({share:.0%}), while {title}'s "
                        f"lists hold about {profile.live_share:.0%} live faces; is the label polarity flipped "
                        "(data.label_polarity) or the list another dataset's?")
    allowed = [attack_path(word) for word in profile.attacks]
    spoofs = [s for s in samples if s.label == SPOOF]
    foreign = sorted({s.attack[-1] for s in spoofs if s.attack != SPOOF_PATH
                      and not any(_on_path(s.attack, path) for path in allowed)})
    if foreign:
        warnings.append(f"{what}: attack types {', '.join(foreign)} are not among {title}'s "
                        f"({', '.join(profile.attacks)}); is the list another dataset's?")
    untyped = sum(s.attack == SPOOF_PATH for s in spoofs)
    if profile.typed and len(spoofs) >= MIN_FACES // 2 and untyped > len(spoofs) / 2:
        warnings.append(f"{what}: {untyped} of {len(spoofs)} spoofs have no attack type, while {title} "
                        "types its attacks; were the type-bearing folder names lost (anonymised or renamed)?")
    return warnings


def _on_path(attack: tuple[str, ...], path: tuple[str, ...]) -> bool:
    """True when one path is a prefix of the other (a coarser or finer annotation of the same branch)."""
    n = min(len(attack), len(path))
    return attack[:n] == path[:n]
