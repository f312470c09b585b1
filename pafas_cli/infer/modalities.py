"""Which modalities a face must have, and the condition a face that lacks some is decided under.

Every model pafas trains reads RGB, depth and IR (a model's spec does not list modalities because none is
trained without one; `paths.modality_dropout` only blanks some of them in some rows). A face sent without one
is read with the P2 policy (a blank image, the prompt saying so), and at the full-triple threshold that turned
every held-out spoof "live" when IR, depth or both were left out (issue #29): the sender chooses what to
omit. So by default a face missing any modality is refused; `--allow-missing depth,ir` (serve, explain)
accepts the named ones, and a decision on such a face is taken at the threshold calibrated for its
condition, named as Protocol 2 names it (`missing_ir`: its sets are `dev_missing_ir`, whose EER threshold
decides it, and `test_missing_ir`, which measures it). RGB is
always required: no condition is calibrated without it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from itertools import combinations

from pafas_cli.data.config import P2_CONDITIONS
from pafas_cli.data.sample import MODALITIES
from pafas_cli.errors import PafasError

ALWAYS_REQUIRED = "rgb"
FULL = "full"  # the condition of a face with every modality
MAY_BE_MISSING = tuple(m for m in MODALITIES if m != ALWAYS_REQUIRED)


def parse_allow_missing(values: Iterable[str], option: str = "--allow-missing") -> tuple[str, ...]:
    """`["depth,ir"]` or `["depth", "ir"]` -> ("depth", "ir") in the canonical order; a PafasError for rgb or a
    name that is no modality."""
    named = [v.strip().lower() for value in values for v in value.split(",") if v.strip()]
    for name in named:
        if name == ALWAYS_REQUIRED:
            raise PafasError(f"{option} rgb: the RGB image is always required (no decision is calibrated without "
                             f"it); allow {' and/or '.join(MAY_BE_MISSING)}")
        if name not in MAY_BE_MISSING:
            close = difflib.get_close_matches(name, MAY_BE_MISSING, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise PafasError(f"{option} {name}: not a modality that may be missing; {hint}choose from "
                             f"{', '.join(MAY_BE_MISSING)} (comma-separated)")
    return tuple(m for m in MAY_BE_MISSING if m in named)


def condition(missing: Sequence[str]) -> str:
    """The condition of a face missing `missing` (FULL when nothing is missing)."""
    key = tuple(m for m in MODALITIES if m in missing)
    if not key:
        return FULL
    if key not in P2_CONDITIONS:
        raise ValueError(f"no condition has {', '.join(key)} missing (RGB is always required)")
    return P2_CONDITIONS[key]


def reachable_conditions(allowed: Sequence[str]) -> tuple[str, ...]:
    """The conditions a face can be in when the modalities `allowed` may be missing (FULL not included)."""
    return tuple(condition(missing) for n in range(1, len(allowed) + 1) for missing in combinations(allowed, n))


def refused(missing: Sequence[str], allowed: Sequence[str]) -> tuple[str, ...]:
    """The modalities of `missing` that may not be missing (empty: the face is accepted)."""
    return tuple(m for m in MODALITIES if m in missing and m not in allowed)


def refusal_message(refused_: Sequence[str], allowed: Sequence[str], what: str) -> str:
    """`what` (a face, a request) lacks the images `refused_`, and which images every face needs; the caller
    adds what to do."""
    images = " and ".join(f"the {m} image" for m in refused_)
    needed = ", ".join(m for m in MODALITIES if m not in allowed)
    return (f"{what} lacks {images}: every face needs {needed} (a face without a modality the model was trained "
            "with is refused: leaving one out can turn a spoof live)")
