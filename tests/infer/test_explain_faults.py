"""`pafas explain` faults caught before any model work: unusable output paths, broken or implausible images,
bracketed file names, atomic writes. The model loaders are replaced by stubs that fail the test if the
weights would load, so these tests are fast (the end-to-end ones live in test_explain_command.py)."""

from __future__ import annotations

import io
import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image
from rich.console import Console

from pafas_cli.commands import explain
from pafas_cli.config import load_recipe
from pafas_cli.errors import PafasError
from pafas_cli.infer import explain_io
from pafas_cli.workspace import Workspace

from infer_helpers import write_face
from pafas_cli.infer.plan import resolve_explain

pytestmark = pytest.mark.fault
SIDE = 56


def pinned_folder(folder: Path, side: int) -> Path:
    """A model folder without weights whose saved processor resizes every image to `side` (what the plan reads)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text("{}")
    size = {"shortest_edge": side * side, "longest_edge": side * side}
    (folder / "processor_config.json").write_text(json.dumps({"image_processor": {"size": size}}))
    return folder


@pytest.fixture
def no_model(monkeypatch, tmp_path):
    """A model folder whose weights must never load (and whose processor must not load either: the plan reads
    its side from the saved JSON). Returns (recipe, workspace, model ref, calls): calls counts processor loads."""
    import pafas_cli.infer.models as models
    import pafas_cli.model.loader as loader

    calls = {"processor": 0}

    def processor_of(*args, **kwargs):
        calls["processor"] += 1
        raise AssertionError("the processor was loaded although the plan reads its side from its JSON")

    def must_not_load(*args, **kwargs):
        raise AssertionError("the model was loaded although the run should have stopped before")

    monkeypatch.setattr(loader, "load_processor_of", processor_of)
    monkeypatch.setattr(models, "load_for_inference", must_not_load)
    model = pinned_folder(tmp_path / "model", SIDE)
    return load_recipe(None), Workspace(tmp_path / "ws"), str(model), calls


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.mark.parametrize("option", ["out-nodir", "html-nodir", "html-dir"])
def test_unusable_output_paths_fail_at_once_before_any_model_work(no_model, tmp_path, option):
    recipe, ws, model, calls = no_model
    faces = tmp_path / "faces"
    write_face(faces, "f1", True, 1)
    outputs = {"out-nodir": {"out": tmp_path / "nodir" / "x.jsonl"},
               "html-nodir": {"html": tmp_path / "nodir" / "x.html"},
               "html-dir": {"html": tmp_path / "faces"}}[option]
    before = _files(tmp_path)
    start = time.perf_counter()
    with pytest.raises(PafasError) as err:
        explain.run(resolve_explain(recipe, ws, [str(faces)], model=model, **outputs))
    assert time.perf_counter() - start < 1.0
    message = str(err.value)
    (flag, path), = outputs.items()
    assert f"--{flag} {path}" in message and "\n" not in message
    assert ("is a folder" if option == "html-dir" else "does not exist; create it first") in message
    assert calls["processor"] == 0  # stopped before even the processor
    assert _files(tmp_path) == before  # nothing written


def test_an_output_that_is_an_input_image_is_refused(no_model, tmp_path):
    recipe, ws, model, _ = no_model
    files = write_face(tmp_path, "f1", True, 1)
    with pytest.raises(PafasError, match="is one of the input images"):
        explain.run(resolve_explain(recipe, ws, [str(files["rgb"]), "-", "-"], model=model, html=files["rgb"]))


def test_broken_and_implausible_single_images_fail_before_the_model_loads(no_model, tmp_path):
    recipe, ws, model, calls = no_model
    broken = tmp_path / "notes_rgb.png"
    broken.write_text("this is not an image")
    with pytest.raises(PafasError, match="notes_rgb.png: cannot read the rgb image"):
        explain.run(resolve_explain(recipe, ws, [str(broken), "-", "-"], model=model))
    tiny = tmp_path / "tiny_rgb.png"
    Image.new("RGB", (8, 8)).save(tiny)
    with pytest.raises(PafasError, match="tiny_rgb.png: the rgb image is 8x8 pixels, too small"):
        explain.run(resolve_explain(recipe, ws, [str(tiny), "-", "-"], model=model))
    strip = tmp_path / "strip_depth.png"
    Image.new("L", (400, 40)).save(strip)
    files = write_face(tmp_path, "s", True, 2)
    with pytest.raises(PafasError, match="strip_depth.png: the depth image is 400x40 pixels, too elongated"):
        explain.run(resolve_explain(recipe, ws, [str(files["rgb"]), str(strip), "-"], model=model))
    assert calls["processor"] == 0  # images are checked before even transformers is imported


def test_a_face_lacking_a_modality_is_refused_before_the_model_loads_unless_allowed(no_model, tmp_path, monkeypatch,
                                                                                   capsys):
    """`pafas explain rgb.png - ir.png` scored a spoof live at 0.98: by default it is now one error line, exit 2;
    in a folder, that face's error row (exit 3) while the complete faces run."""
    from pafas_cli import cli

    recipe, ws, model, calls = no_model
    files = write_face(tmp_path, "spoof", False, 1)
    for args, lacking in (([files["rgb"], "-", files["ir"]], "the depth image"),
                          ([files["rgb"], files["depth"], "-"], "the ir image"),
                          ([files["rgb"], "-", "-"], "the depth image and the ir image"),
                          (["-", files["depth"], files["ir"]], "the rgb image")):
        monkeypatch.setattr(sys, "argv", ["pafas", "--workspace", str(ws.root), "explain", *map(str, args), "--model",
                                          model])
        with pytest.raises(SystemExit) as exit_:
            cli.main()
        err = capsys.readouterr().err.strip()
        assert exit_.value.code == 2 and len(err.splitlines()) == 1, err
        assert err.startswith(f"error: spoof lacks {lacking}: every face needs rgb, depth, ir"), err
    assert "--allow-missing" not in err, "RGB cannot be allowed missing: no hint to try"
    monkeypatch.setattr(sys, "argv", ["pafas", "--workspace", str(ws.root), "explain", str(files["rgb"]), "-", "-",
                                      "--model", model, "--allow-missing", "ir"])
    with pytest.raises(SystemExit):
        cli.main()
    assert capsys.readouterr().err.startswith("error: spoof lacks the depth image: every face needs rgb, depth ")
    assert calls["processor"] == 0, "refused before even the processor loads"
    faces = tmp_path / "faces"
    write_face(faces, "whole", True, 2)
    write_face(faces, "no_ir", False, 3)
    (faces / "no_ir_ir.png").unlink()
    monkeypatch.setattr(explain, "_predict", lambda loaded, recipe, reading, present, *a, **k: [
        SimpleNamespace(answer=SimpleNamespace(decision=0, well_formed=True, nodes=("Spoof Face",),
                                               deepest="Spoof Face", error=None), score=0.25, reasoning="r", text="t")
        for _ in present])
    import pafas_cli.infer.models as models

    monkeypatch.setattr(models, "load_for_inference", lambda *a, **k: SimpleNamespace(resolved=None))
    records = explain.run(resolve_explain(recipe, ws, [str(faces)], model=model, out=tmp_path / "out.jsonl"))
    assert explain.exit_code(records) == 3
    rows = {r["name"]: r for r in records}
    assert rows["whole"]["error"] is None and rows["no_ir"]["error"].startswith("no_ir lacks the ir image")
    again = resolve_explain(recipe, ws, [str(faces)], model=model, out=tmp_path / "out.jsonl", allow_missing=["ir"])
    allowed = {r["name"]: r for r in explain.run(again)}
    assert allowed["no_ir"]["error"] is None and allowed["no_ir"]["liveness"] == 0.25


def test_a_model_without_a_spec_is_read_at_its_processors_pinned_side(no_model, tmp_path, monkeypatch):
    import pafas_cli.infer.models as models

    recipe, ws, _, _ = no_model
    assert recipe.paths.image_size == SIDE
    model = str(pinned_folder(tmp_path / "big", 112))
    monkeypatch.setattr(models, "load_for_inference", lambda *a, **k: SimpleNamespace(resolved=None))
    seen = {}

    def fake_predict(loaded, recipe, reading, present, images, show_progress):
        seen["sizes"] = {img.size for face in images for img in face.values()}
        raise RuntimeError("stop")

    monkeypatch.setattr(explain, "_predict", fake_predict)
    files = write_face(tmp_path, "f", True, 1)
    with pytest.raises(RuntimeError, match="stop"):
        explain.run(resolve_explain(recipe, ws, [str(files["rgb"]), str(files["depth"]), "-"], model=model,
                                    allow_missing=["ir"]))
    assert seen["sizes"] == {(112, 112)}


def test_a_folder_whose_faces_all_fail_writes_their_errors_and_exits_3_without_a_model(no_model, tmp_path):
    recipe, ws, model, _ = no_model
    faces = tmp_path / "faces"
    faces.mkdir()
    (faces / "a[x]_rgb.png").write_text("broken")
    Image.new("RGB", (4, 4)).save(faces / "b_rgb.png")
    out = tmp_path / "out.jsonl"
    records = explain.run(resolve_explain(recipe, ws, [str(faces)], model=model, out=out))
    assert explain.exit_code(records) == explain.EXIT_SOME_FAILED == 3
    rows = {r["name"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert "a[x]_rgb.png: cannot read the rgb image" in rows["a[x]"]["error"]
    assert "too small" in rows["b"]["error"]


def test_bracketed_names_in_a_broken_single_face_print_verbatim(no_model, tmp_path, monkeypatch, capsys):
    """`[/x]` in a path used to crash Rich's markup parser in the CLI's error printer."""
    from pafas_cli import cli

    recipe, ws, model, _ = no_model
    folder = tmp_path / "b["
    folder.mkdir()
    broken = folder / "x]_rgb.png"  # the path reads .../b[/x]_rgb.png
    broken.write_text("not an image")
    monkeypatch.setattr(sys, "argv", ["pafas", "--workspace", str(tmp_path / "ws"), "explain", str(broken), "-", "-",
                                      "--model", model])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"error: {broken}: cannot read the rgb image" in err and "b[/x]_rgb.png" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_write_atomic_leaves_nothing_behind_when_the_write_fails(tmp_path, monkeypatch):
    target = tmp_path / "out.jsonl"
    target.write_text("previous\n")

    def fail(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(explain_io.os, "replace", fail)
    with pytest.raises(OSError):
        explain_io.write_atomic(target, "new\n")
    assert target.read_text() == "previous\n"  # the old file is untouched, not half-overwritten
    assert _files(tmp_path) == {"out.jsonl"}  # and no temporary file is left


def test_non_finite_scores_give_null_and_an_error_never_nan():
    face = explain_io.FaceFiles("f", {"rgb": Path("f_rgb.png"), "depth": None, "ir": None})
    answer = SimpleNamespace(decision=0, well_formed=True, nodes=("Spoof Face",), deepest="Spoof Face", error=None)
    for score in (float("nan"), float("inf")):
        r = explain.record(face, "m", SimpleNamespace(answer=answer, score=score, reasoning="r", text="t"))
        text = json.dumps(r, allow_nan=False)  # raises on NaN/inf
        assert json.loads(text)["liveness"] is None and "not finite" in r["error"]
        assert explain.exit_code([r]) == 3
        shown = io.StringIO()
        Console(file=shown, width=100).print(explain._panel(r))  # the panel view renders without a score
        assert "liveness n/a" in shown.getvalue() and "error: liveness score is" in shown.getvalue()
    good = explain.record(face, "m", SimpleNamespace(answer=answer, score=np.float32(0.25), reasoning="r", text="t"))
    assert good["liveness"] == 0.25 and good["error"] is None and explain.exit_code([good]) == 0


def test_a_112_px_model_is_explained_at_112_px(no_model, tmp_path, monkeypatch):
    """The side comes from the model's spec, not the recipe's paths.image_size (56), when its processor
    does not pin one (as a real Qwen2.5-VL processor does not)."""
    import pafas_cli.infer.models as models
    from infer_helpers import unpinned_model

    recipe, ws, _, _ = no_model
    assert recipe.paths.image_size == SIDE
    model = unpinned_model(tmp_path / "free", 112)
    monkeypatch.setattr(models, "load_for_inference", lambda *a, **k: SimpleNamespace(resolved=None))
    seen = {}

    def fake_predict(loaded, recipe, reading, present, images, show_progress):
        seen["sizes"] = {img.size for face in images for img in face.values()}
        seen["require_think"] = reading.require_think
        raise RuntimeError("stop")

    monkeypatch.setattr(explain, "_predict", fake_predict)
    files = write_face(tmp_path, "f", True, 1)
    with pytest.raises(RuntimeError, match="stop"):
        explain.run(resolve_explain(recipe, ws, [str(files["rgb"]), str(files["depth"]), "-"], model=model,
                                    allow_missing=["ir"]))
    assert seen == {"sizes": {(112, 112)}, "require_think": True}


def test_a_model_whose_spec_and_processor_disagree_on_the_side_is_refused(no_model, tmp_path):
    """Read at either size, the faces would be decoded twice or seen at a size the model never trained on."""
    from pafas_cli.spec import Spec, write_spec

    recipe, ws, model, calls = no_model
    write_spec(Path(model), Spec("sft", 112, "think"))
    files = write_face(tmp_path, "f", True, 1)
    with pytest.raises(PafasError, match=r"its spec says 112-px images, but its processor .* resizes every image to "
                                         r"56 px"):
        resolve_explain(recipe, ws, [str(files["rgb"]), str(files["depth"]), "-"], model=model)
    assert calls["processor"] == 0


def test_eval_require_think_contradicting_the_model_is_refused(tmp_path):
    from pafas_cli.infer.models import model_require_think
    from pafas_cli.spec import Spec, write_spec
    from pafas_cli.workspace import Resolved

    folder = tmp_path / "raw-model"
    folder.mkdir()
    write_spec(folder, Spec("sft", 56, "answer"))
    resolved = Resolved(str(folder), folder)
    assert model_require_think(resolved, None) is False
    with pytest.raises(PafasError, match=r"eval.require_think: the recipe says True, but .*raw-model was made with False"):
        model_require_think(resolved, True)
