"""`pafas ls`: a table of workspace versions with status, inputs and headline metrics."""

from __future__ import annotations

import os
from pathlib import Path

from rich.markup import escape

from pafas_cli.console import console, fmt, rows_table
from pafas_cli.errors import PafasError
from pafas_cli.workspace import STAGES, Workspace, nearby_workspaces

STATUS_STYLE = {"complete": "green", "running": "yellow", "failed": "red", "interrupted": "red",
                "corrupt": "bold red"}


def metrics_cell(metrics: dict, limit: int = 4) -> str:
    """The first few scalar metrics of a manifest, as `key=value` text."""
    scalars = [(k, v) for k, v in metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return "  ".join(f"{k}={fmt(v)}" for k, v in scalars[:limit])


def run(ws: Workspace, stage: str | None = None) -> None:
    """List every version; a corrupt manifest is marked in its row, the rest still list, then one error line."""
    known = list(dict.fromkeys([*STAGES, *(s for s in ws.stages() if ws.versions(s))]))
    if stage is not None and stage not in known:
        raise PafasError(f"pafas ls: no stage '{stage}' (stages: {', '.join(known)})")
    stages = [stage] if stage else ws.stages()
    if not stages or not any(ws.versions(s) for s in stages):
        what = f"no {stage} versions" if stage else "no versions"
        console.print(f"{what} yet in the workspace {ws.root} (start with `pafas build-paths`)", highlight=False)
        others = [(p, n) for p, n in nearby_workspaces(Path.cwd()) if p.resolve() != ws.root.resolve()]
        for path, count in others:
            shown = os.path.relpath(path)
            console.print(f"  found {count} version{'s' * (count != 1)} in {shown}: `pafas --workspace {shown} ls`, or "
                          f"`export PAFAS_WORKSPACE={shown}`", highlight=False)
        return
    rows, broken = [], []
    for name in stages:
        for info in ws.versions(name):
            style = STATUS_STYLE.get(info.status, "white")
            if info.problem:
                broken.append(info)
                rows.append((f"{name}:{info.version}", f"[{style}]corrupt[/]", "-", "-",
                             escape(f"manifest unreadable: {info.path.name}/manifest.json")))
                continue
            inputs = ", ".join(
                str(i.get("ref") or i.get("name", "?")) for i in info.manifest.get("inputs") or []
                if isinstance(i, dict)
            )
            rows.append((
                f"{name}:{info.version}",
                f"[{style}]{info.status}[/]",
                (info.manifest.get("created") or "")[:19].replace("T", " "),
                escape(inputs) or "-",
                escape(metrics_cell(info.manifest.get("metrics") or {})),
            ))
    console.print(rows_table(f"workspace {ws.root}", ["version", "status", "created", "inputs", "metrics"], rows))
    if broken:
        more = f" (and {len(broken) - 1} more corrupt: {', '.join(f'{b.stage}:{b.version}' for b in broken[1:])})" \
            if len(broken) > 1 else ""
        raise PafasError(f"corrupt manifest: {broken[0].problem}{more}; restore it from a backup or delete "
                         f"{broken[0].path} (the versions above are listed)")
