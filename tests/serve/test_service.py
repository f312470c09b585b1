"""The pieces of `pafas serve` that need no model: request ids, upload checks, the page's escaping (the clause marks:
tests/infer/test_faithfulness.py)."""

from __future__ import annotations

import pytest
from PIL import Image

from pafas_cli.serve.service import request_id
from pafas_cli.serve.uploads import ApiError, Upload, read_upload
from serve_helpers import png_bytes, png_header_only

NAMES = {"rgb": "RGB", "depth": "Depth", "ir": "IR"}


def test_a_client_request_id_is_kept_only_when_it_is_a_plain_token():
    assert request_id("kiosk-7.entry:42") == "kiosk-7.entry:42"
    for bad in (None, "", "a b", "x" * 200, "id\r\nSet-Cookie: y"):
        generated = request_id(bad)
        assert generated != bad and len(generated) == 32


@pytest.mark.fault
@pytest.mark.parametrize(("data", "content_type", "status", "code"), [
    (b"GIF89a not really", "image/gif", 400, "not_an_image"),
    (b"", "image/png", 400, "empty_file"),
    (b"%PDF-1.7", "application/pdf", 415, "unsupported_media_type"),
    ("header-only", "image/png", 413, "image_too_large"),
    ("truncated", "image/png", 400, "unreadable_image"),
    ("tiny", None, 422, "implausible_image"),
])
def test_each_upload_fault_has_its_status_and_code(data, content_type, status, code):
    if data == "header-only":
        data = png_header_only(2000, 2000)
    elif data == "truncated":
        data = png_bytes(Image.effect_noise((64, 64), 50))[:300]
    elif data == "tiny":
        data = png_bytes(Image.new("RGB", (10, 10)))
    with pytest.raises(ApiError) as exc:
        read_upload(Upload("depth", data, "d.png", content_type), side=56, max_pixels=1_000_000)
    assert (exc.value.status, exc.value.code, exc.value.field) == (status, code, "depth")
    assert exc.value.message.startswith("depth ('d.png')") and "\n" not in exc.value.message


def test_a_good_upload_is_the_model_input_explain_makes_of_the_same_file(tmp_path):
    from pafas_cli.infer.explain_io import load_image

    image = Image.effect_noise((90, 120), 60)
    path = tmp_path / "face_depth.png"
    image.save(path)
    served = read_upload(Upload("depth", path.read_bytes(), path.name, "image/png"), side=56, max_pixels=10**6)
    assert served.size == (56, 56) and served.mode == "RGB"
    assert served.tobytes() == load_image(path, "depth", 56).tobytes()


def test_the_page_escapes_what_it_shows():
    from pafas_cli.serve.page import render_page

    info = {"model": {"ref": "</script><b>x</b>"}, "threshold": {"value": 0.5, "rule": "<i>rule</i>"},
            "reading": {"image_size": 56, "modality_names": NAMES}, "batching": {"max_batch": 16}}
    page = render_page(info)
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page and "<i>rule</i>" not in page
    assert page.count("<script") == 2  # the page's own data and code only
