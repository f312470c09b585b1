"""`pafas env`: what to paste into a bug report."""

from __future__ import annotations

import os
import platform

from pafas_cli.console import console, kv_table
from pafas_cli.workspace import Workspace, git_revision, package_versions


def run(ws: Workspace) -> None:
    import torch

    rows: dict[str, object] = {"platform": platform.platform(), "git revision": git_revision()}
    rows.update(package_versions())
    rows["torch threads"] = torch.get_num_threads()
    rows["cuda"] = torch.cuda.is_available() and f"{torch.cuda.device_count()} x {torch.cuda.get_device_name(0)}"
    try:
        import torchvision  # noqa: F401

        rows["torchvision"] = torchvision.__version__
    except ImportError:
        rows["torchvision"] = "not installed (image-only processor is used)"
    rows["workspace"] = ws.root.resolve()
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY", "PAFAS_ALLOW_NETWORK"):
        rows[var] = os.environ.get(var, "")
    console.print(kv_table("pafas env", rows))
