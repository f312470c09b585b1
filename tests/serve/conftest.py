"""Fixtures for the `pafas serve` tests: a mini workspace whose model an eval version has scored, and one real
`pafas serve` process on a free loopback port shared by the API tests."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

# --import-mode=importlib does not put test folders on sys.path; the test modules import the helpers.
sys.path.insert(0, str(Path(__file__).parent))

from serve_helpers import DEV_THRESHOLD, add_eval, start_cli_server, stop_server  # noqa: E402


@pytest.fixture(scope="session")
def serve_workspace(tmp_path_factory):
    """(Workspace, Recipe): the mini inference workspace; eval:v001 scored model:v001 (dev threshold 0.37)."""
    from infer_helpers import build_mini_workspace

    ws, recipe = build_mini_workspace(tmp_path_factory.mktemp("serve"))
    add_eval(ws, ["model:v001"], [DEV_THRESHOLD])
    return ws, recipe


@pytest.fixture(scope="session")
def server(serve_workspace):
    """A real `pafas serve` (child process, tiny untrained model, 12 new tokens, 1 MiB / 1 megapixel limits)."""
    ws, _ = serve_workspace
    running = start_cli_server(ws, "--model", "model:v001", "--set", "eval.max_new_tokens=12", "--max-body-mb", "1",
                               "--max-megapixels", "1", "--max-batch", "8")
    yield running
    # Ctrl-C stops it cleanly: exit 0, a summary line, no traceback.
    assert stop_server(running) == 0, "".join(running.output[-20:])
    assert any(line.startswith("stopped model:v001:") for line in running.output)
    assert "Traceback" not in "".join(running.output)


@pytest.fixture()
def ws(serve_workspace, tmp_path):
    """A private copy of the serve workspace's models (the eval versions are each test's own)."""
    from pafas_cli.workspace import Workspace

    shared, _ = serve_workspace
    root = tmp_path / "ws"
    for stage in ("paths", "model"):
        shutil.copytree(shared.root / stage, root / stage)
    return Workspace(root)
