"""`pafas show REF`: one version's manifest (recipe, inputs, metrics) in full, failed ones included."""

from __future__ import annotations

import json

from rich.syntax import Syntax

from pafas_cli.console import console
from pafas_cli.errors import PafasError
from pafas_cli.workspace import MANIFEST, STAGES, Workspace


def run(ws: Workspace, ref: str) -> None:
    stage, _, tag = ref.partition(":")
    if stage in STAGES and tag not in ("", "latest"):
        manifest = ws.get(stage, tag).manifest
    else:
        path = ws.resolve(ref).path
        if path is None or not (path / MANIFEST).is_file():
            raise PafasError(f"'{ref}' has no {MANIFEST}")
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    console.print(Syntax(json.dumps(manifest, indent=2), "json", theme="ansi_dark", background_color="default"))
