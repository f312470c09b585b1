"""`pafas init-model`'s plan: the paths version whose corpus trains the tokenizer, and the image size it fixes."""

from __future__ import annotations

from pafas_cli.config import Recipe
from pafas_cli.errors import PafasError
from pafas_cli.plan import Plan, settle
from pafas_cli.spec import Spec, inherit, read_spec
from pafas_cli.workspace import Workspace


def resolve(recipe: Recipe, ws: Workspace, paths: str = "paths:latest") -> Plan:
    """The model section with `model.image_size` inherited from the paths version (and checked), and the spec
    the new model version will carry."""
    source = ws.resolve(paths, stage="paths")
    upstream = read_spec(source.path)
    size = inherit("model.image_size", recipe.model.image_size, upstream.image_size if upstream else None, source.ref)
    if size is None:
        raise PafasError(f"model.image_size: {source.ref} does not say its image size; set model.image_size")
    settled = settle(recipe, "model", source.ref, image_size=size)
    spec = Spec("model", size, upstream.answer_format if upstream else None, str(source.path),
                details={"preset": settled.model.preset})
    return Plan("model", ws, settled, (("paths", source),), spec)
