"""`pafas explain` end to end on files the test writes: single, JSON, folder, HTML, missing and bad files."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from pafas_cli.commands.explain import default_model, run
from pafas_cli.errors import PafasError
from pafas_cli.workspace import Workspace

from infer_helpers import write_face

pytestmark = pytest.mark.slow
MODEL = "model:v001"


def test_default_model_needs_rl_or_sft(tmp_path):
    with pytest.raises(PafasError, match="no complete rl or sft model yet.*--model REF"):
        default_model(Workspace(tmp_path))


def test_single_face_panel(mini_workspace, tmp_path, capsys):
    ws, recipe = mini_workspace
    files = write_face(tmp_path, "alice", True, 7)
    run(recipe, ws, [str(files["rgb"]), str(files["depth"]), str(files["ir"])], model=MODEL)
    out = capsys.readouterr().out
    assert "alice" in out and "liveness" in out and "reasoning" in out and "verdict" in out


def test_single_face_json_with_missing_modality(mini_workspace, tmp_path, capsys):
    ws, recipe = mini_workspace
    files = write_face(tmp_path, "bob", False, 8)
    run(recipe, ws, [str(files["rgb"]), "-", str(files["ir"])], model=MODEL, json_out=True)
    captured = capsys.readouterr()
    obj = json.loads(captured.out)  # stdout holds exactly one JSON object
    assert obj["name"] == "bob" and obj["modalities"] == ["rgb", "ir"] and obj["files"]["depth"] is None
    assert 0.0 <= obj["liveness"] <= 1.0 and obj["model"] == MODEL
    assert obj["error"] is None and isinstance(obj["reasoning"], str)


def test_folder_jsonl_html_with_incomplete_and_bad_files(mini_workspace, tmp_path):
    ws, recipe = mini_workspace
    faces = tmp_path / "faces"
    write_face(faces, "f1", True, 1)
    write_face(faces, "f2", False, 2)
    (faces / "f2_depth.png").unlink()  # incomplete triple
    write_face(faces, "f3", True, 3)
    (faces / "f3_rgb.png").unlink()
    (faces / "f3_rgb.jpg").write_bytes(_jpeg_bytes()[:200])  # truncated JPEG
    out, html = tmp_path / "out.jsonl", tmp_path / "report.html"
    run(recipe, ws, [str(faces)], model=MODEL, out=out, html=html)
    rows = {r["name"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert sorted(rows) == ["f1", "f2", "f3"]
    assert rows["f1"]["error"] is None and rows["f1"]["modalities"] == ["rgb", "depth", "ir"]
    assert rows["f2"]["error"] is None and rows["f2"]["modalities"] == ["rgb", "ir"]
    assert "f3_rgb.jpg" in rows["f3"]["error"] and "liveness" not in rows["f3"]
    page = html.read_text()
    assert page.count("data:image/png;base64,") == 5 and "f3_rgb.jpg" in page


def _jpeg_bytes() -> bytes:
    import io

    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_bad_single_files_give_clear_errors(mini_workspace, tmp_path, monkeypatch):
    ws, recipe = mini_workspace
    files = write_face(tmp_path, "c", True, 4)
    text = tmp_path / "notes_rgb.png"
    text.write_text("this is not an image")
    with pytest.raises(PafasError, match="notes_rgb.png: cannot read the rgb image"):
        run(recipe, ws, [str(text), "-", "-"], model=MODEL)
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(_jpeg_bytes()[:300])
    with pytest.raises(PafasError, match="cut.jpg: cannot read the rgb image"):
        run(recipe, ws, [str(truncated), str(files["depth"]), str(files["ir"])], model=MODEL)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(PafasError, match="c_rgb.png: image too large"):
        run(recipe, ws, [str(files["rgb"]), "-", "-"], model=MODEL)


def test_unusual_modes_are_converted(mini_workspace, tmp_path, capsys):
    ws, recipe = mini_workspace
    rgba, grey, deep = tmp_path / "a_rgb.png", tmp_path / "a_depth.png", tmp_path / "a_ir.png"
    Image.new("RGBA", (70, 50), (200, 100, 50, 128)).save(rgba)
    Image.new("L", (64, 64), 128).save(grey)
    Image.fromarray(np.full((64, 64), 40000, dtype=np.uint16)).save(deep)  # 16-bit
    assert Image.open(deep).mode.startswith("I")
    run(recipe, ws, [str(rgba), str(grey), str(deep)], model=MODEL, json_out=True)
    obj = json.loads(capsys.readouterr().out)
    assert obj["error"] is None and obj["modalities"] == ["rgb", "depth", "ir"]
