"""`pafas show REF`: one version's manifest (recipe, inputs, metrics) in full, failed ones included."""

from __future__ import annotations

import json

from rich.syntax import Syntax

from pafas_cli.console import console
from pafas_cli.errors import PafasError
from pafas_cli.workspace import STAGES, Workspace, load_manifest


def run(ws: Workspace, ref: str) -> None:
    stage, _, tag = ref.partition(":")
    if stage in STAGES and tag not in ("", "latest"):
        info = ws.get(stage, tag)
        if info.problem:
            # A corrupt manifest: one line naming the file (load_manifest says what is wrong and what to do).
            load_manifest(info.path)
        manifest = info.manifest
    else:
        path = ws.resolve(ref).path
        if path is None or not path.is_dir():
            raise PafasError(f"'{ref}' is not a workspace version folder (it has no manifest.json)")
        manifest = load_manifest(path)
    console.print(Syntax(json.dumps(manifest, indent=2, default=str), "json", theme="ansi_dark",
                         background_color="default"))
