"""Files -> faces: argument forms, folder pairing by stem, and the model's square side."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from pafas_cli.errors import PafasError
from pafas_cli.infer.explain_io import faces_from_args, pair_folder


def _png(path: Path, mode: str = "RGB", size=(40, 30)) -> Path:
    Image.new(mode, size).save(path)
    return path


def test_three_files_make_one_face_with_dash_as_missing(tmp_path):
    rgb, ir = _png(tmp_path / "a.png"), _png(tmp_path / "b.png")
    request = faces_from_args([str(rgb), "-", str(ir)])
    assert request.folder is None and len(request.faces) == 1
    face = request.faces[0]
    assert face.present == ("rgb", "ir") and face.missing == ("depth",)
    assert face.files["rgb"] == rgb and face.name == "a"


def test_wrong_argument_counts_and_missing_files_are_clear(tmp_path):
    with pytest.raises(PafasError, match="RGB DEPTH IR .* or one folder; got 2"):
        faces_from_args(["x.png", "y.png"])
    with pytest.raises(PafasError, match="nope.png: no such file \\(the DEPTH image"):
        faces_from_args([str(_png(tmp_path / "a.png")), "nope.png", "-"])
    with pytest.raises(PafasError, match="at least one image"):
        faces_from_args(["-", "-", "-"])


def test_folder_pairs_by_stem_and_reports_incomplete_triples(tmp_path):
    for name in ("f1_rgb.png", "f1_depth.png", "f1_ir.png", "f2_color.jpg", "f2_IR.png", "f3_depth.png",
                 "notes.png"):
        _png(tmp_path / name)
    (tmp_path / "readme.txt").write_text("not an image")
    request = faces_from_args([str(tmp_path)])
    assert request.folder == tmp_path
    faces = {f.name: f for f in request.faces}
    assert sorted(faces) == ["f1", "f2", "f3"]
    assert faces["f1"].missing == ()
    assert faces["f2"].present == ("rgb", "ir") and faces["f2"].files["rgb"].name == "f2_color.jpg"
    assert faces["f3"].present == ("depth",)
    notes = "\n".join(request.notes)
    assert "notes.png: skipped" in notes
    assert "f2: incomplete triple, depth missing" in notes
    assert "f3: incomplete triple, rgb, ir missing" in notes
    assert "readme.txt" not in notes


def test_folder_duplicates_and_empty_folders(tmp_path):
    _png(tmp_path / "f_rgb.png")
    _png(tmp_path / "f_color.png")
    request = pair_folder(tmp_path)
    assert len(request.faces) == 1 and any("already has a rgb image" in n for n in request.notes)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(PafasError, match="no face images found"):
        pair_folder(empty)
