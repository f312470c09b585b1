"""What a stage will do, settled before any heavy work: the `Plan` each stage resolves first.

Every stage runs in two steps. `resolve(recipe, workspace, ...)` (in the stage's package: `paths/plan.py`,
`model/plan.py`, `train/plan.py`, `infer/plan.py`, `baseline/plan.py`) reads its input versions' specs once,
fills every recipe key left null to inherit (image size, answer format, the GRPO completion budget), checks the
result with the section's own `validate()` (an inherited value meets the same rules as a typed one), and
returns a plan that states what the stage will record (sections, inputs, spec) and how it will read its model.
`commands/<stage>.run(plan)` then does the work in the order a reader expects. The reproduction harness asks
the same `resolve` which version a cell needs, so nothing restates what a stage records or inherits.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pafas_cli import threads
from pafas_cli.config import Recipe
from pafas_cli.errors import PafasError
from pafas_cli.spec import Spec
from pafas_cli.workspace import Resolved, VersionWriter, Workspace

# The recipe sections each stage records in its manifest: the one list (reuse, `Workspace.find`, the echo).
RECORDS: dict[str, tuple[str, ...]] = {
    "paths": ("seed", "data", "paths"),
    "model": ("seed", "model"),
    "pretrain": ("seed", "data", "pretrain"),
    "sft": ("seed", "sft"),
    "rl": ("seed", "rl"),
    "eval": ("seed", "eval", "model"),
    "baseline": ("seed", "baseline"),
}


@dataclass(frozen=True)
class Plan:
    """A stage's settled recipe, its inputs and the spec its version will carry."""

    stage: str
    workspace: Workspace
    # The recipe with every inherited null filled in (a copy: the caller's recipe is never edited).
    recipe: Recipe
    # (name in the manifest, what the reference resolved to), in the order the manifest lists them.
    inputs: tuple[tuple[str, Resolved], ...] = ()
    spec: Spec | None = None
    # Facts the stage settled that are not recipe keys, shown with the plan (e.g. where a value came from).
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def seed(self) -> int:
        return self.recipe.seed

    @property
    def recorded(self) -> dict:
        """The recipe sections this stage records in its manifest, as resolved, and the thread count it computes
        with (`threads`: the count, not null, since it changes float rounding and so the results)."""
        sections = self.recipe.to_dict()
        recorded = {name: sections[name] for name in RECORDS[self.stage]}
        return {"threads": threads.resolve(self.recipe.threads), **recorded}

    @property
    def input_records(self) -> list[dict]:
        return [resolved.as_input(name) for name, resolved in self.inputs]

    def start(self, resume: Any = None, inputs: Sequence[dict] = ()) -> VersionWriter:
        """Open this stage's new version (or reopen `resume`, an unfinished one) in the workspace; `inputs` are
        manifest entries the run found itself (build-paths' data sources)."""
        return self.workspace.start(self.stage, self.recorded, [*self.input_records, *inputs], seed=self.seed,
                                    resume=resume)


def settle(recipe: Recipe, section: str, source: str, **values: Any) -> Recipe:
    """`recipe` with keys of `section` set to values inherited from `source`, checked as if typed.

    Only keys whose value is not None are set. A value the section refuses is an error that names the key, the
    rule and where the value came from, e.g. "model.image_size: must be a multiple of 28 (84 or 112), got 100
    (inherited from paths:v001)".
    """
    current = getattr(recipe, section)
    given = {key: value for key, value in values.items() if value is not None}
    if not given:
        return recipe
    updated = dataclasses.replace(current, **given)
    check = getattr(updated, "validate", None)
    if check is not None:
        try:
            check()
        except ValueError as exc:
            raise PafasError(f"{section}.{exc} (inherited from {source})") from None
    return dataclasses.replace(recipe, **{section: updated})
