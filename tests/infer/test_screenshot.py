"""The explain HTML page of three synthetic faces, opened in headless Chromium and screenshotted.

Skipped where no Chromium is installed (`apt-get install -y chromium`). By default it explains with a
tiny model of the test workspace; to refresh docs/explain_screenshot.png with a trained model:

    PAFAS_SCREENSHOT_WS=workspace PAFAS_SCREENSHOT_OUT=docs/explain_screenshot.png \\
        .venv/bin/python -m pytest tests/infer/test_screenshot.py

(the workspace's default explain model is used: the newest rl, else sft, version).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pafas_cli.commands.explain import run
from pafas_cli.config import RECIPES_DIR, load_recipe
from pafas_cli.workspace import Workspace

from infer_helpers import write_face
from pafas_cli.infer.plan import resolve_explain

pytestmark = pytest.mark.slow
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
         "--hide-scrollbars")


def _browser() -> str | None:
    return next((b for b in map(shutil.which, BROWSERS) if b), None)


@pytest.mark.skipif(_browser() is None, reason="no Chromium installed")
def test_explain_page_screenshot(mini_workspace, tmp_path):
    ws, recipe = mini_workspace
    model = "model:v001"
    if os.environ.get("PAFAS_SCREENSHOT_WS"):
        ws, model = Workspace(os.environ["PAFAS_SCREENSHOT_WS"]), None
        recipe = load_recipe(RECIPES_DIR / "quickstart" / "eval.yaml")
    faces = tmp_path / "faces"
    write_face(faces, "alice", True, 11)
    write_face(faces, "print_attack", False, 12)
    write_face(faces, "replay_no_depth", False, 13)
    (faces / "replay_no_depth_depth.png").unlink()
    page, shot = tmp_path / "report.html", tmp_path / "shot.png"
    run(resolve_explain(recipe, ws, [str(faces)], model=model, out=tmp_path / "out.jsonl", html=page,
                        allow_missing=["depth"]))
    subprocess.run([_browser(), *FLAGS, "--window-size=1100,1250", f"--screenshot={shot}", page.as_uri()],
                   check=True, capture_output=True, timeout=120)
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert pixels.shape == (1250, 1100) and pixels.std() > 20  # a rendered page, not a blank one
    if os.environ.get("PAFAS_SCREENSHOT_OUT"):
        shutil.copy(shot, Path(os.environ["PAFAS_SCREENSHOT_OUT"]))
