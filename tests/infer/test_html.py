"""The explain HTML report: self-contained, escaped, one card per face."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
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


class _Cards(HTMLParser):
    """What a reader sees of each card: badge, captions, path items and separators, score, reasoning; plus any
    text outside the cards and after the page's end (there should be none)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.cards, self.stray, self.after_end, self._stack, self._ended = [], [], [], [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self._stack.append((tag, attrs.get("class") or ""))
        if tag == "section":
            self.cards.append({"class": attrs["class"], "badge": "", "captions": [], "path": [], "seps": [],
                               "score": "", "think": "", "marker": None, "blank": 0, "stray": ""})
        elif tag == "b" and self.cards:
            self.cards[-1]["marker"] = attrs["style"]

    def handle_endtag(self, tag):
        while self._stack and self._stack.pop()[0] != tag:
            pass
        self._ended |= tag == "html"

    def handle_data(self, data):
        if self._ended:
            self.after_end.append(data.strip())
            return
        tags = [t for t, _ in self._stack]
        classes = [c for _, c in self._stack]
        if "section" not in tags:
            if "main" in tags and data.strip():
                self.stray.append(data)
            return
        card = self.cards[-1]
        if "badge" in classes:
            card["badge"] += data
        elif "figcaption" in tags:
            card["captions"].append(data)
        elif "blank" in classes:
            card["blank"] += 1
        elif "think" in classes:
            card["think"] += data
        elif "path" in classes:
            card["seps" if tags[-1] == "i" else "path"].append(data)
        elif tags[-1] == "strong":
            card["score"] = data
        elif classes[-1] == "row":
            card["stray"] += data.strip()


def test_cards_read_as_a_person_sees_them():
    """Parsed, not searched: each card's badge, captions in modality order, the answer path with its separators,
    the score and its marker position, the reasoning or its placeholder; nothing outside the cards."""
    img = Image.new("RGB", (4, 4))
    faces = [_face("a", "live", ["Real Face"], 0.91, "Depth is round."),
             _face("b", "spoof", ["Spoof Face", "Print"], 0.25, None, ("rgb",)),
             {**_face("c", None, None, 0.5, ""), "format_error": None}]
    page = render(faces, [{"rgb": img, "depth": img, "ir": img}, {"rgb": img}, {"rgb": img}], "t", "s")
    parsed = _Cards()
    parsed.feed(page)
    assert page.endswith("</html>\n") and not any(parsed.after_end) and parsed.stray == []
    a, b, c = parsed.cards
    assert [card["badge"] for card in (a, b, c)] == ["LIVE", "SPOOF", "MALFORMED"]
    assert [card["class"] for card in (a, b, c)] == ["card live", "card spoof", "card malformed"]
    assert all(card["captions"] == ["RGB", "Depth", "IR"] for card in (a, b, c))
    assert (a["blank"], b["blank"]) == (0, 2) and not any(card["stray"] for card in (a, b, c))
    assert (b["path"], b["seps"]) == (["Spoof Face", "Print"], ["\u203a"])
    assert c["seps"] == ["no parsable answer: malformed"]
    assert (a["score"], a["marker"]) == ("0.910", "left:calc(91.0% - 2px)")
    assert (b["score"], b["marker"]) == ("0.250", "left:calc(25.0% - 2px)")
    assert (a["think"], b["think"], c["think"]) == ("Depth is round.", "(no reasoning)", "(no reasoning)")


def _explained(name: str, present: tuple[str, ...], reasoning: str) -> dict:
    """An explain record as `pafas explain` makes it, for a prediction written by hand."""
    from pathlib import Path

    from pafas_cli.commands.explain import record
    from pafas_cli.infer.explain_io import FaceFiles
    from pafas_cli.infer.predict import Prediction
    from pafas_cli.paths.answer import parse_answer
    from pafas_cli.paths.clauses import ClauseReader
    from pafas_cli.paths.taxonomy import default_taxonomy
    from pafas_cli.paths.tree import load_tree

    taxonomy = default_taxonomy()
    text = f"<think>{reasoning}</think><answer>['Spoof Face']</answer>"
    face = FaceFiles(name, {m: Path(f"{name}_{m}.png") if m in present else None for m in ("rgb", "depth", "ir")})
    prediction = Prediction(text, parse_answer(text, taxonomy), reasoning, 0.2)
    return record(face, "rl:v001", prediction, reader=ClauseReader(load_tree("", taxonomy)))


NO_IR = ("IR shows a dark screen with almost no face, pointing to Replay Attacks. "
         "RGB shows moire stripes and screen glare, pointing to Replay Attacks. Verdict: Replay Attacks.")


def test_a_clause_citing_a_missing_modality_is_marked_in_the_record_and_the_page():
    face = _explained("replay_no_ir", ("rgb", "depth"), NO_IR)
    assert [c["missing"] for c in face["clauses"]] == [["ir"], [], []]
    assert face["cites_missing"] == ["ir"] and face["grounded"] is True  # the RGB clause was given
    img = Image.new("RGB", (4, 4))
    page = render([face], [{"rgb": img, "depth": img}], "t", "s")
    assert page.count('class="clause missing"') == 1 and page.count('class="clause"') == 2
    assert '<em class="unseen">no IR image</em>' in page
    assert "the reasoning cites IR, but no IR image was given" in page
    ungrounded = _explained("only_ir_talk", ("rgb",), "IR shows no face image at all, pointing to Replay Attacks.")
    assert ungrounded["grounded"] is False
    assert "the verdict rests on no observation of an image that was given" in render([ungrounded], [{"rgb": img}],
                                                                                        "t", "s")


@pytest.mark.slow
def test_a_browser_sees_the_mark_on_a_clause_citing_a_missing_modality(tmp_path):
    from cdp_browser import Browser, find_browser

    if find_browser() is None:
        pytest.skip("no Chromium installed (apt-get install -y chromium)")
    img = Image.new("RGB", (8, 8), (90, 90, 90))
    page = tmp_path / "report.html"
    faces = [_explained("replay_no_ir", ("rgb", "depth"), NO_IR), _explained("full", ("rgb", "depth", "ir"), NO_IR)]
    page.write_text(render(faces, [{"rgb": img, "depth": img}, {"rgb": img, "depth": img, "ir": img}], "t", "s"))
    browser = Browser(find_browser(), str(tmp_path / "profile"))
    try:
        browser.page("Page.navigate", url=page.as_uri())
        browser.wait("document.readyState === 'complete' && document.querySelectorAll('.card').length === 2")
        seen = browser.js("""[...document.querySelectorAll('.card')].map((card) => ({
          marked: [...card.querySelectorAll('.clause.missing')].map((c) => ({
            text: c.firstChild.textContent, tag: c.querySelector('.unseen').textContent,
            outline: getComputedStyle(c).outlineStyle, struck: getComputedStyle(c).textDecorationLine,
            background: getComputedStyle(c).backgroundColor, shown: c.getBoundingClientRect().height > 0})),
          warning: card.querySelector('.warn') ? card.querySelector('.warn').textContent : null}))""")
    finally:
        browser.close()
    assert seen[0]["marked"] == [{"text": "IR shows a dark screen with almost no face, pointing to Replay Attacks.",
                                  "tag": "no IR image", "outline": "dashed", "struck": "line-through",
                                  "background": "rgb(254, 226, 226)", "shown": True}]
    assert seen[0]["warning"] == "the reasoning cites IR, but no IR image was given"
    assert seen[1] == {"marked": [], "warning": None}  # the same reasoning with the IR image given
