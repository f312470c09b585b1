"""A self-contained HTML report of explained faces (images inline as base64, no external assets).

One card per face: the three modality images, the hierarchical verdict, the liveness score as a
bar, and the model's reasoning. The page opens offline and can be mailed as one file.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from html import escape
from typing import Any

from pafas_cli.data.sample import MODALITIES

LABELS = {"rgb": "RGB", "depth": "Depth", "ir": "IR"}

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;background:#f3f4f6;color:#111827}
header{background:#111827;color:#f9fafb;padding:16px 28px}
header h1{margin:0;font-size:20px} header p{margin:4px 0 0;color:#9ca3af;font-size:13px}
main{padding:20px 28px;display:flex;flex-direction:column;gap:18px}
.card{background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:16px 20px;
      border-left:6px solid #9ca3af}
.card.live{border-left-color:#16a34a} .card.spoof{border-left-color:#dc2626}
.top{display:flex;align-items:center;gap:12px;margin-bottom:12px}
.top h2{margin:0;font-size:17px;font-family:ui-monospace,monospace}
.badge{padding:3px 10px;border-radius:999px;font-size:12px;font-weight:700;letter-spacing:.05em;color:#fff;
       background:#6b7280}
.live .badge{background:#16a34a} .spoof .badge{background:#dc2626}
.row{display:flex;gap:22px;align-items:flex-start;flex-wrap:wrap}
figure{margin:0;text-align:center} figcaption{font-size:12px;color:#4b5563;margin-top:4px}
figure img,.blank{width:150px;height:150px;border-radius:6px;image-rendering:pixelated;display:block;
                  border:1px solid #e5e7eb}
.blank{background:repeating-linear-gradient(45deg,#e5e7eb 0 8px,#f9fafb 8px 16px);display:flex;
       align-items:center;justify-content:center;color:#6b7280;font-size:13px}
.info{flex:1;min-width:300px}
.path{display:flex;flex-wrap:wrap;gap:4px;align-items:center;font-size:13px;margin-bottom:10px}
.path span{background:#eef2ff;color:#3730a3;padding:2px 8px;border-radius:4px}
.path i{color:#9ca3af;font-style:normal}
.score{display:flex;align-items:center;gap:10px;font-size:13px;margin-bottom:10px}
.bar{width:220px;height:10px;border-radius:5px;background:linear-gradient(90deg,#dc2626,#f59e0b,#16a34a);
     position:relative}
.bar b{position:absolute;top:-4px;width:4px;height:18px;background:#111827;border-radius:2px}
.think{font-size:13.5px;line-height:1.5;background:#f9fafb;border:1px solid #e5e7eb;border-radius:6px;
       padding:8px 12px;white-space:pre-wrap;margin:0}
.error{color:#b91c1c;font-size:14px}
h3{margin:0 0 5px;font-size:11px;text-transform:uppercase;letter-spacing:.08em;color:#6b7280}
.think i{color:#9ca3af}
.think .clause.missing{background:#fee2e2;box-shadow:none;outline:2px dashed #b91c1c;outline-offset:1px;
                       text-decoration:line-through #b91c1c}
.think .unseen{font-style:normal;font-size:10px;font-weight:700;color:#fff;background:#b91c1c;border-radius:3px;
               padding:0 4px;margin-left:3px;vertical-align:top;white-space:nowrap}
.warn{color:#b91c1c;font-size:13px;margin:6px 0 0}
"""


def data_uri(image: Any) -> str:
    """A PIL image as an inline PNG data URI."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(modality: str, image: Any | None) -> str:
    label = LABELS[modality]
    if image is None:
        return f'<figure><div class="blank">missing</div><figcaption>{label}</figcaption></figure>'
    return f'<figure><img alt="{label}" src="{data_uri(image)}"><figcaption>{label}</figcaption></figure>'


def _card(face: dict, images: dict[str, Any]) -> str:
    name = escape(face["name"])
    if face.get("error"):
        return (f'<section class="card"><div class="top"><h2>{name}</h2><span class="badge">ERROR</span></div>'
                f'<p class="error">{escape(face["error"])}</p></section>')
    verdict = face.get("verdict") or "malformed"
    figures = "".join(_figure(m, images.get(m)) for m in MODALITIES)
    nodes = face.get("answer") or []
    path = '<i>&rsaquo;</i>'.join(f"<span>{escape(n)}</span>" for n in nodes) \
        or f"<i>no parsable answer: {escape(face.get('format_error') or 'malformed')}</i>"
    score = face["liveness"]
    return (
        f'<section class="card {escape(verdict)}"><div class="top"><h2>{name}</h2>'
        f'<span class="badge">{escape(verdict.upper())}</span></div>'
        f'<div class="row">{figures}<div class="info">'
        f'<h3>verdict</h3><div class="path">{path}</div>'
        f'<div class="score">liveness <div class="bar"><b style="left:calc({score * 100:.1f}% - 2px)"></b></div>'
        f"<strong>{score:.3f}</strong></div>"
        f'<h3>reasoning</h3><p class="think">{_reasoning(face)}</p>{_warnings(face)}'
        f"</div></div></section>"
    )


def named(modalities: Sequence[str]) -> str:
    """Modalities as a reader names them: "Depth and IR"."""
    return " and ".join(LABELS[m] for m in modalities)


def _reasoning(face: dict) -> str:
    """The reasoning clause by clause; a clause citing a modality that was not given is struck out and tagged."""
    clauses = face.get("clauses")
    if not clauses:
        return escape(face.get("reasoning") or "") or "<i>(no reasoning)</i>"
    spans = []
    for c in clauses:
        if c["missing"]:
            names = named(c["missing"])
            spans.append(f'<span class="clause missing" data-missing="{escape(" ".join(c["missing"]))}" '
                         f'title="cites {names}, but no {names} image was given">{escape(c["text"])}'
                         f'<em class="unseen">no {names} image</em></span>')
        else:
            spans.append(f'<span class="clause">{escape(c["text"])}</span>')
    return " ".join(spans)


def reasoning_warnings(face: dict) -> list[str]:
    """What the clause reader says the verdict cannot rest on (infer/faithfulness.py `check_reasoning`)."""
    notes = []
    if face.get("cites_missing"):
        names = named(face["cites_missing"])
        notes.append(f"the reasoning cites {names}, but no {names} image was given")
    if face.get("grounded") is False:
        notes.append("the verdict rests on no observation of an image that was given")
    return notes


def _warnings(face: dict) -> str:
    notes = reasoning_warnings(face)
    return f'<p class="warn">{escape("; ".join(notes))}</p>' if notes else ""


def render(faces: Sequence[dict], images: Sequence[dict[str, Any]], title: str, subtitle: str) -> str:
    """The full page: `faces` are explain records, `images[i]` the PIL images of face i by modality."""
    cards = "\n".join(_card(f, i) for f, i in zip(faces, images))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(title)}</title><style>{CSS}</style></head>\n"
        f"<body><header><h1>{escape(title)}</h1><p>{escape(subtitle)}</p></header>\n<main>\n{cards}\n</main>"
        "</body></html>\n"
    )
