"""A tiny workspace (paths + model versions) shared by the training tests; copied per test that writes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


@pytest.fixture(scope="session")
def base_workspace(tmp_path_factory) -> Path:
    from fixtures import build_workspace

    root = tmp_path_factory.mktemp("ws-base")
    build_workspace(root)
    return root


@pytest.fixture()
def workspace(base_workspace, tmp_path):
    from pafas_cli.workspace import Workspace

    root = tmp_path / "ws"
    shutil.copytree(base_workspace, root)
    return Workspace(root)
