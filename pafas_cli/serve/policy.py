"""Which faces the server decides, and at which threshold: the full-triple one, or the one calibrated for the
face's missing-modality condition.

By default every modality is required (`infer.modalities`); `--allow-missing` accepts the named ones, and every
condition a face can then be in needs its own threshold before the server starts: `--condition-threshold
NAME=T`, else the one the newest eval of this very model calibrated on that condition's dev set
(`infer.models.model_condition_thresholds`, the same eval version the full-triple threshold comes from). A
condition with neither stops start-up: deciding a face without IR at the full-triple threshold is the bypass
this module exists to close.

No web framework is imported here.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from pafas_cli.errors import PafasError
from pafas_cli.data.config import P2_CONDITIONS
from pafas_cli.infer.modalities import FULL, reachable_conditions


@dataclass(frozen=True)
class Threshold:
    """A decision threshold, where it came from, and the HTER measured at it (None when none was)."""

    value: float
    source: str  # eval:vNNN, --threshold or --condition-threshold
    rule: str
    hter: float | None = None


@dataclass(frozen=True)
class Policy:
    """The modalities that may be missing and the threshold of every condition a face can be in."""

    allow_missing: tuple[str, ...]
    thresholds: dict[str, Threshold] = field(default_factory=dict)  # FULL and each reachable condition

    @classmethod
    def strict(cls, threshold: Threshold) -> "Policy":
        """Every modality required, one threshold."""
        return cls((), {FULL: threshold})

    @property
    def full(self) -> Threshold:
        return self.thresholds[FULL]

    def describe(self) -> dict[str, Any]:
        """For GET /v1/model: what may be missing and each condition's threshold."""
        return {"allow_missing": list(self.allow_missing),
                "conditions": {name: asdict(t) for name, t in self.thresholds.items()}}


def parse_condition_thresholds(items: Sequence[str]) -> dict[str, float]:
    """`["missing_ir=0.7", ...]` -> {"missing_ir": 0.7}; a PafasError naming the item at fault."""
    names = tuple(P2_CONDITIONS.values())
    found: dict[str, float] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep:
            raise PafasError(f"--condition-threshold {item}: expected CONDITION=THRESHOLD, e.g. missing_ir=0.7")
        if name not in names:
            close = difflib.get_close_matches(name, names, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise PafasError(f"--condition-threshold {item}: '{name}' is no condition; {hint}the conditions are "
                             f"{', '.join(names)}")
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and 0.0 <= value <= 1.0):
            raise PafasError(f"--condition-threshold {item}: the threshold must be a liveness score within 0-1")
        if name in found:
            raise PafasError(f"--condition-threshold {name} given twice; give each condition once")
        found[name] = value
    return found


def build_policy(full: Threshold, allow_missing: Sequence[str], given: dict[str, float], measured: Any,
                 model: str) -> Policy:
    """The policy for `allow_missing` (already parsed): `given` (--condition-threshold) first, else the eval's
    `measured()` (called only when some condition needs it: condition -> infer.models.ConditionThreshold)."""
    reachable = reachable_conditions(allow_missing)
    for name in given:
        if name not in reachable:
            missing = next(k for k, v in P2_CONDITIONS.items() if v == name)
            raise PafasError(f"--condition-threshold {name}: no face can be in that condition unless "
                             f"--allow-missing includes {','.join(missing)}; add it there, or drop this threshold")
    thresholds = {FULL: full}
    found = measured() if any(name not in given for name in reachable) else {}
    for name in reachable:
        if name in given:
            thresholds[name] = Threshold(given[name], "--condition-threshold", "given with --condition-threshold")
        elif name in found:
            t = found[name]
            thresholds[name] = Threshold(t.value, t.eval_ref, f"dev-set EER threshold of {t.dev_set}, {t.eval_ref}",
                                         t.hter)
        else:
            raise PafasError(f"--allow-missing {','.join(allow_missing)}: no threshold is calibrated for {name} "
                             f"(no eval of {model} measured one): run `pafas eval --protocol P2 --model {model}`, or "
                             f"pass --condition-threshold {name}=T")
    return Policy(tuple(allow_missing), thresholds)
