"""The `pafas serve` page in headless Chromium: pick a face's three files, check, read what the page shows.

Skipped where no Chromium is installed (`apt-get install -y chromium`; CI's .ci/run installs it). By default
the server runs in this process on a tiny model overfitted to one answer (whose reasoning cites the IR image),
so the page has a real answer with a marked clause to show. To refresh docs/serve_screenshot.png with a
trained model (the workspace's default model and its eval threshold, like `pafas serve`):

    PAFAS_SERVE_SCREENSHOT_WS=workspace/demo PAFAS_SERVE_SCREENSHOT_FACE=workspace/demo/explain/faces/face2 \\
    PAFAS_SERVE_SCREENSHOT_OUT=docs/serve_screenshot.png .venv/bin/python -m pytest tests/serve/test_page.py
"""

from __future__ import annotations

import io
import math
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cdp_browser import Browser, find_browser
from pafas_cli.serve.client import Client
from serve_helpers import ThreadServer

pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install 'pafas[serve]'")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(find_browser() is None, reason="no Chromium installed (apt-get install -y chromium)")]
WIDTH, HEIGHT = 1100, 1000


def _service():
    from pafas_cli.infer.plan import Reading
    from pafas_cli.serve.policy import Policy, Threshold
    from pafas_cli.serve.service import Limits

    if os.environ.get("PAFAS_SERVE_SCREENSHOT_WS"):
        from pafas_cli.commands.serve import load_service, prepare
        from pafas_cli.config import RECIPES_DIR, load_recipe
        from pafas_cli.workspace import Workspace

        ws = Workspace(os.environ["PAFAS_SERVE_SCREENSHOT_WS"])
        recipe = load_recipe(RECIPES_DIR / "quickstart" / "eval.yaml")
        return load_service(recipe, ws, prepare(recipe, ws, allow_missing=["ir"],
                                                condition_thresholds=["missing_ir=0.5"]))
    from infer_helpers import build_tiny_model, overfit
    from pafas_cli.paths.taxonomy import default_taxonomy
    from pafas_cli.paths.tree import load_tree
    from pafas_cli.serve.service import LivenessService
    from pafas_cli.workspace import Resolved

    tiny = overfit(build_tiny_model())
    reading = Reading(side=56, require_think=True, max_new_tokens=160, tree=load_tree("", default_taxonomy()))
    return LivenessService(tiny.model, tiny.processor, name="tiny (overfitted)", resolved=Resolved("tiny", None),
                           reading=reading,
                           # IR may be left out (the page's missing-modality marks), decided at its own threshold.
                           policy=Policy(("ir",), {"full": Threshold(0.5, "--threshold", "given with --threshold"),
                                                   "missing_ir": Threshold(0.6, "--condition-threshold",
                                                                           "given with --condition-threshold")}),
                           limits=Limits())


@pytest.fixture(scope="module")
def page_server():
    from pafas_cli.serve.app import create_app

    with ThreadServer(create_app(_service())) as server:
        yield server


def _face(folder: Path) -> dict[str, Path]:
    if os.environ.get("PAFAS_SERVE_SCREENSHOT_FACE"):
        stem = os.environ["PAFAS_SERVE_SCREENSHOT_FACE"]
        return {m: Path(f"{stem}_{m}.png") for m in ("rgb", "depth", "ir")}
    from infer_helpers import face_images

    folder.mkdir(parents=True)
    face = {}
    for modality, image in zip(("rgb", "depth", "ir"), face_images(3)):  # what the tiny model was overfitted on
        face[modality] = folder / f"noise_{modality}.png"
        image.save(face[modality])
    return face


SHOWN = """(() => ({
  badge: document.getElementById('badge').textContent,
  path: [...document.querySelectorAll('#path span')].map((s) => s.textContent),
  marked: [...document.querySelectorAll('#reasoning .clause')].map((c) => c.dataset.modalities),
  irClauses: document.querySelectorAll('#reasoning .clause.m-ir').length,
  unseen: [...document.querySelectorAll('#reasoning .clause.missing')].map((c) => ({
    missing: c.dataset.missing, tag: c.querySelector('.unseen').textContent,
    outline: getComputedStyle(c).outlineStyle, struck: getComputedStyle(c).textDecorationLine,
    shown: c.getBoundingClientRect().width > 0})),
  warning: document.getElementById('reasoning-warning').hidden ? null
    : document.getElementById('reasoning-warning').textContent,
  score: document.getElementById('score').textContent,
  needle: document.getElementById('needle').getAttribute('x2'),
  images: [...document.querySelectorAll('.zone.has img')].filter((i) => i.naturalWidth > 0).length,
  meta: document.getElementById('meta').textContent,
}))()"""


def test_a_face_picked_on_the_page_is_read_and_shown_like_the_api_answers(page_server, tmp_path):
    face = _face(tmp_path / "faces")
    browser = Browser(find_browser(), str(tmp_path / "profile"), WIDTH, HEIGHT)
    try:
        browser.open(page_server.url + "/")
        assert browser.js("document.getElementById('check').disabled"), "nothing to check before a file is picked"
        for modality, path in face.items():
            browser.set_files(f"#file-{modality}", str(path))
        assert browser.wait("document.querySelectorAll('.zone.has img').length === 3")
        browser.js("document.getElementById('check').click()")
        state = browser.wait("['done', 'error'].includes(document.getElementById('result').dataset.state) && "
                             "document.getElementById('result').dataset.state")
        assert state == "done", browser.js("document.getElementById('error').textContent")
        shown = browser.js(SHOWN)
        shot = browser.screenshot()

        api = Client(page_server.url).liveness(face).json  # the same face through the API
        assert shown["badge"] == api["decision"].upper()
        assert shown["path"] == (api["answer"]["path"] or [])
        assert shown["marked"] == [" ".join(c["modalities"]) for c in api["clauses"]]
        assert shown["score"] == f"{api['liveness']:.3f}"
        assert float(shown["needle"]) == pytest.approx(115 + 78 * math.cos(math.pi * (1 - api["liveness"])), abs=0.2)
        assert shown["images"] == 3 and api["model"]["ref"] in shown["meta"]
        if not os.environ.get("PAFAS_SERVE_SCREENSHOT_WS"):  # the overfitted model's answer
            assert shown["path"][:1] == ["Spoof Face"] and len(shown["path"]) == 5, api["text"]
            assert shown["irClauses"] == 1, "the reasoning's IR sentence is marked as the IR image's"

        pixels = np.asarray(Image.open(io.BytesIO(shot)).convert("L"), dtype=float)
        assert pixels.shape == (HEIGHT, WIDTH) and pixels.std() > 20  # a rendered page, not a blank one
        if os.environ.get("PAFAS_SERVE_SCREENSHOT_OUT"):
            Path(os.environ["PAFAS_SERVE_SCREENSHOT_OUT"]).write_bytes(shot)

        assert shown["unseen"] == [] and "cites" not in (shown["warning"] or "")  # every image was given
        if not os.environ.get("PAFAS_SERVE_SCREENSHOT_WS"):  # "The IR image is dark and flat" is no tree clause
            assert shown["warning"] == "the verdict rests on no observation of an image that was sent"

        # Without the IR image: the clause citing IR is marked as evidence the model cannot have seen.
        browser.js("document.querySelector('.zone[data-modality=ir] .clear').click()")
        browser.js("document.getElementById('check').click()")
        assert browser.wait("document.getElementById('result').dataset.state === 'done' && "
                            "!!document.querySelector('#meta').textContent.includes('missing: ir')")
        shown = browser.js(SHOWN)
        api = Client(page_server.url).liveness({m: p for m, p in face.items() if m != "ir"}).json
        assert shown["marked"] == [" ".join(c["modalities"]) for c in api["clauses"]]
        assert [u["missing"] for u in shown["unseen"]] == [" ".join(c["missing"]) for c in api["clauses"]
                                                           if c["missing"]]
        if not os.environ.get("PAFAS_SERVE_SCREENSHOT_WS"):  # the overfitted model's reasoning names IR
            assert api["cites_missing"] == ["ir"] and api["grounded"] is False, api["reasoning"]
            assert shown["unseen"] == [{"missing": "ir", "tag": "no IR image", "outline": "dashed",
                                        "struck": "line-through", "shown": True}]
            assert shown["warning"] == ("the reasoning cites IR, but no IR image was sent; the verdict rests on no "
                                        "observation of an image that was sent")

        # A file that is no image: the page shows the server's error, it does not break.
        notes = tmp_path / "notes.txt"
        notes.write_text("not a face")
        browser.set_files("#file-rgb", str(notes))
        browser.js("document.getElementById('check').click()")
        assert browser.wait("document.getElementById('result').dataset.state === 'error'")
        assert "text/plain" in browser.js("document.getElementById('error').textContent")
        assert browser.js("document.getElementById('badge').textContent") == "ERROR"
    finally:
        browser.close()
        shutil.rmtree(tmp_path / "profile", ignore_errors=True)


def test_with_an_api_key_the_page_asks_for_it_and_sends_it(tmp_path):
    """The open page holds nothing about the server until the key is given; a wrong key is refused; with the
    right one the page reads faces like without a key (the model: a stand-in, no torch)."""
    from pafas_cli.serve.app import create_app
    from pafas_cli.serve.auth import ApiKey
    from serve_helpers import stand_in_service

    key = "page-key-0123456789abcdef"
    service = stand_in_service()
    face = _face(tmp_path / "faces")
    browser = Browser(find_browser(), str(tmp_path / "profile"), WIDTH, HEIGHT)
    try:
        with ThreadServer(create_app(service, api_key=ApiKey(key, "PAFAS_API_KEY"))) as server:
            browser.open(server.url + "/")
            assert browser.js("!document.getElementById('key-card').hidden && document.getElementById('input').hidden")
            browser.js("document.getElementById('api-key').value = 'not-the-key-0123456789'; "
                       "document.getElementById('key-form').requestSubmit()")
            assert browser.wait("document.getElementById('key-note').textContent.includes('refused')")
            browser.js(f"document.getElementById('api-key').value = '{key}'; "
                       "document.getElementById('key-form').requestSubmit()")
            assert browser.wait("!document.getElementById('input').hidden")
            assert "model stand-in" in browser.js("document.getElementById('subtitle').textContent")
            for modality, path in list(face.items())[:2]:
                browser.set_files(f"#file-{modality}", str(path))
            assert browser.js("document.getElementById('check').disabled"), "IR is required: nothing to check yet"
            assert "needs IR" in browser.js("document.getElementById('status').textContent")
            browser.set_files("#file-ir", str(face["ir"]))
            browser.js("document.getElementById('check').click()")
            state = browser.wait("['done', 'error'].includes(document.getElementById('result').dataset.state) && "
                                 "document.getElementById('result').dataset.state")
            assert state == "done", browser.js("document.getElementById('error').textContent")
            assert "condition full" in browser.js("document.getElementById('meta').textContent")
            assert len(service.seen) == 1
    finally:
        browser.close()
        shutil.rmtree(tmp_path / "profile", ignore_errors=True)
