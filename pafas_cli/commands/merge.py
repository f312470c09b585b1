"""`pafas merge`: fold a LoRA adapter into its base and write a plain HF model folder."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text

from pafas_cli.console import console
from pafas_cli.workspace import Workspace


def run(ws: Workspace, adapter: str, out: Path) -> Path:
    from pafas_cli.model.loader import merge_adapter

    folder = merge_adapter(adapter, out, ws)
    console.print(Text(f"merged {adapter} into {folder} (loadable with --model {folder})"))
    return folder
