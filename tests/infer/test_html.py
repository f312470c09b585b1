"""The explain HTML report: self-contained, escaped, one card per face."""

from __future__ import annotations

import re

from PIL import Image

from pafas_cli.infer.html import render


def _face(name, verdict, answer, score, reasoning, modalities=("rgb", "depth", "ir")):
    return {"name": name, "verdict": verdict, "answer": answer, "liveness": score, "reasoning": reasoning,
            "modalities": list(modalities), "error": None}


def test_page_is_self_contained_with_images_verdict_and_score():
    faces = [
        _face("live_1", "live", ["Real Face"], 0.91, "Depth shows a 3D face <b>not</b> flat."),
        _face("print_2", "spoof", ["Spoof Face", "External Spoofing Attacks"], 0.08, "IR is flat.", ("rgb", "ir")),
        {"name": "broken", "error": "broken_rgb.jpg: cannot read the rgb image", "modalities": []},
    ]
    img = Image.new("RGB", (8, 8), (200, 10, 10))
    images = [{"rgb": img, "depth": img, "ir": img}, {"rgb": img, "ir": img}, {}]
    page = render(faces, images, "pafas explain", "model rl:v001")
    assert page.startswith("<!DOCTYPE html>")
    assert len(re.findall(r'src="data:image/png;base64,', page)) == 5
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing fetched from outside
    assert "&lt;b&gt;not&lt;/b&gt;" in page and "<b>not</b>" not in page
    assert 'class="card live"' in page and 'class="card spoof"' in page
    assert "External Spoofing Attacks" in page and "0.910" in page and "0.080" in page
    assert page.count('class="blank">missing') == 1  # print_2 has no depth image
    assert "cannot read the rgb image" in page


def test_every_user_controlled_field_is_escaped():
    """Face names, errors, answer nodes, format errors, reasoning, title and subtitle all come from files or the
    model: none may inject markup."""
    bad = '<script>alert("{}")</script>'
    faces = [
        _face(bad.format("name"), "live", [bad.format("node")], 0.5, bad.format("reasoning")),
        {**_face(bad.format("name2"), None, None, 0.5, ""), "format_error": bad.format("format")},
        {"name": bad.format("name3"), "error": bad.format("error"), "modalities": []},
    ]
    img = Image.new("RGB", (4, 4))
    page = render(faces, [{"rgb": img}, {"rgb": img}, {}], bad.format("title"), bad.format("subtitle"))
    assert "<script" not in page
    for field in ("name", "node", "reasoning", "name2", "format", "name3", "error", "title", "subtitle"):
        assert f"&lt;script&gt;alert(&quot;{field}&quot;)&lt;/script&gt;" in page, field
