"""`pafas ls`: a table of workspace versions with status, inputs and headline metrics."""

from __future__ import annotations

from pafas_cli.console import console, fmt, rows_table
from pafas_cli.workspace import Workspace

STATUS_STYLE = {"complete": "green", "running": "yellow", "failed": "red", "interrupted": "red"}


def headline(metrics: dict, limit: int = 4) -> str:
    """The first few scalar metrics of a manifest, as `key=value` text."""
    scalars = [(k, v) for k, v in metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return "  ".join(f"{k}={fmt(v)}" for k, v in scalars[:limit])


def run(ws: Workspace, stage: str | None = None) -> None:
    stages = [stage] if stage else ws.stages()
    if not stages or not any(ws.versions(s) for s in stages):
        console.print(f"workspace {ws.root} has no versions yet (start with `pafas build-paths`)")
        return
    rows = []
    for name in stages:
        for info in ws.versions(name):
            style = STATUS_STYLE.get(info.status, "white")
            inputs = ", ".join(
                i.get("ref") or i.get("name", "?") for i in info.manifest.get("inputs", []) if isinstance(i, dict)
            )
            rows.append((
                f"{name}:{info.version}",
                f"[{style}]{info.status}[/]",
                (info.manifest.get("created") or "")[:19].replace("T", " "),
                inputs or "-",
                headline(info.manifest.get("metrics") or {}),
            ))
    console.print(rows_table(f"workspace {ws.root}", ["version", "status", "created", "inputs", "metrics"], rows))
