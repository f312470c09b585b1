"""`pafas explain` end to end on files the test writes: single, JSON, folder, HTML, missing and bad files."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from pafas_cli.commands.explain import exit_code, run
from pafas_cli.infer.models import default_model
from pafas_cli.errors import PafasError
from pafas_cli.workspace import Workspace

from infer_helpers import write_face
from pafas_cli.infer.plan import resolve_explain

pytestmark = pytest.mark.slow
MODEL = "model:v001"


def test_default_model_needs_rl_or_sft(tmp_path):
    with pytest.raises(PafasError, match="no complete rl or sft model yet.*--model REF"):
        default_model(Workspace(tmp_path))


def test_single_face_panel(mini_workspace, tmp_path, capsys):
    ws, recipe = mini_workspace
    files = write_face(tmp_path, "alice", True, 7)
    run(resolve_explain(recipe, ws, [str(files["rgb"]), str(files["depth"]), str(files["ir"])], model=MODEL))
    out = capsys.readouterr().out
    assert "alice" in out and "liveness" in out and "reasoning" in out and "verdict" in out


def test_single_face_json_with_missing_modality(mini_workspace, tmp_path, capsys):
    ws, recipe = mini_workspace
    files = write_face(tmp_path, "bob", False, 8)
    args = [str(files["rgb"]), "-", str(files["ir"])]
    with pytest.raises(PafasError, match=r"^bob lacks the depth image: every face needs rgb, depth, ir .*"
                                         r"--allow-missing depth"):
        run(resolve_explain(recipe, ws, args, model=MODEL, json_out=True))  # by default: one error line, exit 2
    run(resolve_explain(recipe, ws, args, model=MODEL, json_out=True, allow_missing=["depth"]))
    captured = capsys.readouterr()
    obj = json.loads(captured.out)  # stdout holds exactly one JSON object
    assert obj["name"] == "bob" and obj["modalities"] == ["rgb", "ir"] and obj["files"]["depth"] is None
    assert 0.0 <= obj["liveness"] <= 1.0 and obj["model"] == MODEL
    assert obj["error"] is None and isinstance(obj["reasoning"], str)


def test_a_clause_citing_a_missing_modality_is_flagged_in_json_and_the_panel(mini_workspace, tmp_path, capsys,
                                                                             monkeypatch):
    """The model's reasoning (fixed here) cites IR, which was not given: the record and the panel say so."""
    import pafas_cli.commands.explain as explain
    from pafas_cli.infer.predict import Prediction
    from pafas_cli.paths.answer import parse_answer
    from pafas_cli.paths.taxonomy import default_taxonomy

    reasoning = "IR shows no face image at all, pointing to Replay Attacks. Verdict: Replay Attacks."
    text = f"<think>{reasoning}</think><answer>['Spoof Face']</answer>"
    said = Prediction(text, parse_answer(text, default_taxonomy()), reasoning, 0.1)
    monkeypatch.setattr(explain, "_predict", lambda *args, **kwargs: [said])
    ws, recipe = mini_workspace
    files = write_face(tmp_path, "eve", False, 10)
    args = [str(files["rgb"]), str(files["depth"]), "-"]
    run(resolve_explain(recipe, ws, args, model=MODEL, json_out=True, allow_missing=["ir"]))
    obj = json.loads(capsys.readouterr().out)
    assert [(c["kind"], c["modality"], c["missing"]) for c in obj["clauses"]] == [("step", "ir", ["ir"]),
                                                                               ("conclude", None, [])]
    assert obj["cites_missing"] == ["ir"] and obj["grounded"] is False
    run(resolve_explain(recipe, ws, args, model=MODEL, allow_missing=["ir"]))
    panel = " ".join(capsys.readouterr().out.split())
    assert "[no IR image]" in panel and "the reasoning cites IR, but no IR image was given" in panel
    assert "the verdict rests on no observation of an image that was given" in panel


def test_folder_jsonl_html_with_incomplete_and_bad_files(mini_workspace, tmp_path):
    """By default an incomplete triple is an error row, like an unreadable file; the complete face still runs."""
    ws, recipe = mini_workspace
    faces = tmp_path / "faces"
    write_face(faces, "f1", True, 1)
    write_face(faces, "f2", False, 2)
    (faces / "f2_depth.png").unlink()  # incomplete triple
    write_face(faces, "f3", True, 3)
    (faces / "f3_rgb.png").unlink()
    (faces / "f3_rgb.jpg").write_bytes(_jpeg_bytes()[:200])  # truncated JPEG
    out, html = tmp_path / "out.jsonl", tmp_path / "report.html"
    assert exit_code(run(resolve_explain(recipe, ws, [str(faces)], model=MODEL, out=out, html=html))) == 3
    rows = {r["name"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert sorted(rows) == ["f1", "f2", "f3"]
    assert rows["f1"]["error"] is None and rows["f1"]["modalities"] == ["rgb", "depth", "ir"]
    assert rows["f2"]["error"].startswith("f2 lacks the depth image") and "liveness" not in rows["f2"]
    assert rows["f2"]["modalities"] == ["rgb", "ir"]
    assert "f3_rgb.jpg" in rows["f3"]["error"] and "liveness" not in rows["f3"]
    page = html.read_text()
    assert page.count("data:image/png;base64,") == 3 and "f3_rgb.jpg" in page and "f2 lacks the depth" in page


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
        run(resolve_explain(recipe, ws, [str(text), "-", "-"], model=MODEL))
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(_jpeg_bytes()[:300])
    with pytest.raises(PafasError, match="cut.jpg: cannot read the rgb image"):
        run(resolve_explain(recipe, ws, [str(truncated), str(files["depth"]), str(files["ir"])], model=MODEL))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(PafasError, match="c_rgb.png: image too large"):
        run(resolve_explain(recipe, ws, [str(files["rgb"]), "-", "-"], model=MODEL))


def test_unusual_modes_are_converted(mini_workspace, tmp_path, capsys):
    ws, recipe = mini_workspace
    rgba, grey, deep = tmp_path / "a_rgb.png", tmp_path / "a_depth.png", tmp_path / "a_ir.png"
    Image.new("RGBA", (70, 50), (200, 100, 50, 128)).save(rgba)
    Image.new("L", (64, 64), 128).save(grey)
    Image.fromarray(np.full((64, 64), 40000, dtype=np.uint16)).save(deep)  # 16-bit
    assert Image.open(deep).mode.startswith("I")
    run(resolve_explain(recipe, ws, [str(rgba), str(grey), str(deep)], model=MODEL, json_out=True))
    obj = json.loads(capsys.readouterr().out)
    assert obj["error"] is None and obj["modalities"] == ["rgb", "depth", "ir"]


@pytest.mark.fault
def test_a_nan_score_prints_valid_json_with_null_and_an_error(mini_workspace, tmp_path, capsys, monkeypatch):
    """A diverged model's NaN score used to print `"liveness": NaN`, which no JSON parser accepts."""
    import pafas_cli.infer.predict as predict_module

    ws, recipe = mini_workspace
    monkeypatch.setattr(predict_module, "liveness_scores", 
                        lambda model, processor, prompts, images, answers: [float("nan")] * len(prompts))
    files = write_face(tmp_path, "dan", True, 9)
    args = [str(files["rgb"]), str(files["depth"]), str(files["ir"])]
    out, html = tmp_path / "dan.jsonl", tmp_path / "dan.html"
    records = run(resolve_explain(recipe, ws, args, model=MODEL, json_out=True, out=out, html=html))
    printed = capsys.readouterr().out

    def no_constants(name):
        raise AssertionError(f"{name} is not JSON")

    obj = json.loads(printed, parse_constant=no_constants)
    assert obj["liveness"] is None and "not finite" in obj["error"]
    assert json.loads(out.read_text(), parse_constant=no_constants) == obj
    assert "not finite" in html.read_text()
    assert exit_code(records) == 3
    run(resolve_explain(recipe, ws, args, model=MODEL))  # the panel view does not crash on it either
    assert "liveness n/a" in capsys.readouterr().out


@pytest.mark.fault
def test_cli_folder_with_a_broken_face_exits_3_and_writes_the_rest(mini_workspace, tmp_path):
    """Bracketed names print verbatim (Rich markup used to eat `[x]`), the good face is written, exit code 3."""
    import os
    import subprocess
    import sys

    ws, _ = mini_workspace
    faces = tmp_path / "b[" / "x]faces"  # every path reads .../b[/x]faces/..., which crashed the printer
    write_face(faces, "a[x]", True, 5)
    (faces / "c[y]_rgb.png").write_text("not an image")
    out = tmp_path / "out.jsonl"
    proc = subprocess.run([sys.executable, "-m", "pafas_cli", "--workspace", str(ws.root), "explain", str(faces),
                           "--model", MODEL, "--out", str(out), "--set", "eval.max_new_tokens=12"],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    rows = {r["name"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert rows["a[x]"]["error"] is None and 0 <= rows["a[x]"]["liveness"] <= 1
    assert f"{faces / 'c[y]_rgb.png'}: cannot read the rgb image" in rows["c[y]"]["error"]
    assert "a[x]" in proc.stdout and "c[y]" in proc.stdout  # the summary table shows the names verbatim
    assert f"wrote {out}" in proc.stdout
    assert "1 of 2 face(s) failed" in proc.stderr and "exit code 3" in proc.stderr
