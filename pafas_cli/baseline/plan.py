"""`pafas baseline`'s plan: the paths version it trains and scores on, its image size and its eval sets."""

from __future__ import annotations

from dataclasses import dataclass

from pafas_cli.config import Recipe
from pafas_cli.errors import PafasError
from pafas_cli.plan import Plan
from pafas_cli.spec import Spec, read_spec
from pafas_cli.workspace import Resolved, Workspace

DEV = "dev"


@dataclass(frozen=True)
class BaselinePlan(Plan):
    # Every eval set of the paths version (dev first picks the threshold; the others are reported).
    sets: tuple[str, ...] = ()

    @property
    def paths(self) -> Resolved:
        return dict(self.inputs)["paths"]

    @property
    def side(self) -> int:
        assert self.spec is not None and self.spec.image_size is not None
        return self.spec.image_size

    @property
    def reported(self) -> list[str]:
        from pafas_cli.paths.store import DEV_SETS

        return [s for s in self.sets if s not in DEV_SETS]


def resolve(recipe: Recipe, ws: Workspace) -> BaselinePlan:
    from pafas_cli.paths.store import eval_sets

    paths = ws.resolve(recipe.baseline.paths, stage="paths")
    data = read_spec(paths.path)
    if data is None or not data.image_size:
        raise PafasError(f"{paths.ref} ({paths.path}): its spec gives no image size; "
                         "rebuild it with `pafas build-paths`")
    sets = eval_sets(paths.path)
    if DEV not in sets or not any(s.startswith("test") for s in sets):
        raise PafasError(f"{paths.ref} ({paths.path}) needs a dev set and at least one test set "
                         f"(it has: {', '.join(sets) or 'none'}); rebuild it with `pafas build-paths`")
    inputs: tuple = (("paths", paths),)
    if recipe.baseline.init != "scratch":  # a pretrained trunk (`pafas pretrain`'s cnn_trunk.pt)
        try:
            inputs += (("init", ws.resolve(recipe.baseline.init)),)
        except PafasError as exc:
            raise PafasError(f"baseline.init: {exc}; use 'scratch' or a pretrained CNN trunk") from None
    spec = Spec("baseline", data.image_size, None, paths=str(paths.path))
    return BaselinePlan("baseline", ws, recipe, inputs, spec, sets=tuple(sets))
