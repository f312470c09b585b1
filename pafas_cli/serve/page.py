"""The page `pafas serve` shows at `/`: drop a face's three images, read the model's reasoning and verdict.

It is the explain report (`infer/html.py`, whose CSS it reuses) made live: three drop zones (RGB, depth,
IR; only those the server allows to be missing may stay empty, and several files dropped at once are sorted
by their `_rgb` / `_depth` / `_ir` names), the images side by side, then the decision at the threshold of
the face's condition with a score gauge, the model's hierarchical answer, and its reasoning with each clause
marked by the modality it cites (struck out in red when that modality's image was not sent: evidence the
model cannot have seen). One self-contained file: no external assets, no framework; the page calls `v1/...`
(relative, so it also works behind a reverse proxy under a path prefix) and writes every server text with
`textContent`, never as HTML.

With an API key the page itself is open (a browser cannot send a bearer token when it opens a URL) but holds
nothing about the server: it asks for the key, checks it against `v1/model`, keeps it in the tab's
sessionStorage (gone when the tab closes, never in a cookie the browser would send by itself) and sends it
with every request.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from pafas_cli.data.sample import MODALITIES
from pafas_cli.infer.html import CSS as REPORT_CSS
from pafas_cli.infer.html import LABELS

# Modality colours: the clause marks, the legend and the drop zones' captions share them.
COLOURS = {"rgb": "#db2777", "depth": "#7c3aed", "ir": "#ea580c"}

PAGE_CSS = """
[hidden]{display:none !important}
.hint{color:#6b7280;font-size:13px}
.zone{position:relative;width:170px;height:170px;border:2px dashed #cbd5e1;border-radius:10px;background:#f9fafb;
      display:flex;flex-direction:column;align-items:center;justify-content:center;cursor:pointer;overflow:hidden;
      transition:border-color .15s,background .15s}
.zone:hover,.zone.over{border-color:#2563eb;background:#eff6ff}
.zone img{position:absolute;inset:0;width:100%;height:100%;object-fit:cover;image-rendering:pixelated;display:none}
.zone.has img{display:block} .zone.has .zhint{display:none}
.zone .zlabel{position:absolute;left:8px;bottom:6px;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:700;
              color:#fff;z-index:1}
.zone .zhint{font-size:13px;color:#6b7280;text-align:center;padding:0 12px}
.zone .zname{position:absolute;right:6px;top:6px;max-width:120px;font-size:11px;background:rgba(17,24,39,.7);
             color:#fff;padding:1px 6px;border-radius:4px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;
             display:none;z-index:1}
.zone.has .zname{display:block}
.zone .clear{position:absolute;left:6px;top:6px;width:22px;height:22px;border-radius:50%;border:0;background:#111827;
             color:#fff;font-size:14px;line-height:22px;padding:0;cursor:pointer;display:none;z-index:2}
.zone.has .clear{display:block}
.actions{display:flex;gap:12px;align-items:center;margin-top:14px}
button.primary{background:#2563eb;color:#fff;border:0;border-radius:8px;padding:9px 18px;font-size:14px;font-weight:600;
               cursor:pointer} button.primary:disabled{background:#93c5fd;cursor:default}
button.plain{background:#fff;border:1px solid #d1d5db;border-radius:8px;padding:8px 14px;font-size:14px;cursor:pointer}
#status{font-size:13px;color:#4b5563}
.gauge{width:230px;text-align:center} .gauge svg{width:230px;height:135px;display:block}
.gauge .value{font-size:30px;font-weight:700;margin-top:-6px} .gauge .sub{font-size:12px;color:#6b7280}
.think .clause{border-radius:4px;padding:1px 2px}
.think .clause sup{font-size:9px;font-weight:700;letter-spacing:.04em;margin-left:2px;color:#fff;padding:0 4px;
                   border-radius:3px;vertical-align:top}
.legend{display:inline-flex;gap:6px;margin-left:8px;text-transform:none;letter-spacing:0}
.legend span{color:#fff;border-radius:3px;padding:0 6px;font-size:10px;font-weight:700}
.meta{font-size:12px;color:#6b7280;margin:10px 0 0}
.card.failed{border-left-color:#b91c1c}
.twoverdicts{font-size:13px;color:#4b5563}
#key-form{display:flex;gap:10px;align-items:center} #key-form input{padding:8px 10px;border:1px solid #d1d5db;
  border-radius:8px;font-size:14px;width:320px}
"""


def _modality_css() -> str:
    rules = []
    for m, colour in COLOURS.items():
        rules.append(f".m-{m}{{background:{colour}1f;box-shadow:inset 0 -2px 0 {colour}}} .m-{m} sup,"
                     f".legend .l-{m},.zone[data-modality={m}] .zlabel{{background:{colour}}}")
    return "\n".join(rules)


SCRIPT = r"""
const PAGE = JSON.parse(document.getElementById('server-info').textContent);
const NAMES = PAGE.names;
const MODALITIES = ['rgb', 'depth', 'ir'];
const NAME_RE = /[_-](rgb|color|colour|depth|ir)\.[a-z0-9]+$/i;
const ALIAS = {rgb: 'rgb', color: 'rgb', colour: 'rgb', depth: 'depth', ir: 'ir'};
const KEY_STORE = 'pafas-api-key';
const files = {};
let server = null;  // GET v1/model
const $ = (id) => document.getElementById(id);

function headers() {
  const key = sessionStorage.getItem(KEY_STORE);
  return key ? {Authorization: `Bearer ${key}`} : {};
}

function setup(info) {
  server = info;
  const t = info.threshold;
  const allowed = info.modalities.allow_missing;
  const missing = allowed.length ? `${allowed.map((m) => NAMES[m]).join(', ')} may be missing (decided at `
    + 'its condition\'s threshold)' : 'every image required';
  $('subtitle').textContent = `model ${info.model.ref} · threshold ${t.value.toPrecision(4)} (${t.rule}) · `
    + `${missing} · ${info.reading.image_size} px · up to ${info.batching.max_batch} faces per batch · `
    + 'API: POST /v1/liveness, schema: /openapi.json';
  document.title = `pafas serve · ${info.model.ref}`;
  $('required-hint').textContent = allowed.length
    ? `one image per sensor; ${allowed.map((m) => NAMES[m]).join(' and ')} may be missing (the model is told, `
      + 'sees a blank image, and the decision uses the threshold calibrated for that)'
    : 'one image per sensor; all three are required';
  $('key-card').hidden = true;
  $('input').hidden = false;
  refresh();
}

async function unlock(key) {
  $('key-note').textContent = 'checking…';
  let response = null;
  try {
    response = await fetch('v1/model', {headers: key ? {Authorization: `Bearer ${key}`} : {}});
  } catch (e) {
    $('key-note').textContent = `the server did not answer (${e})`;
    return;
  }
  if (response.ok) {
    sessionStorage.setItem(KEY_STORE, key);
    setup(await response.json());
  } else {
    sessionStorage.removeItem(KEY_STORE);
    $('key-card').hidden = false;
    $('key-note').textContent = response.status === 401 ? 'the server refused this key' : `HTTP ${response.status}`;
  }
}

function lacking() {
  return MODALITIES.filter((m) => !files[m] && !server.modalities.allow_missing.includes(m));
}

function refresh() {
  const n = Object.keys(files).length;
  const needs = server ? lacking() : MODALITIES;
  $('check').disabled = n === 0 || needs.length > 0;
  const blank = 3 - n;
  $('status').textContent = !n ? '' : needs.length ? `needs ${needs.map((m) => NAMES[m]).join(', ')}`
    : `${n} of 3 images` + (blank ? ' (the missing ones are read as blank)' : '');
}

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function setFile(modality, file) {
  const zone = document.querySelector(`.zone[data-modality="${modality}"]`);
  const img = zone.querySelector('img');
  if (img.dataset.url) URL.revokeObjectURL(img.dataset.url);
  if (file) {
    files[modality] = file;
    img.dataset.url = URL.createObjectURL(file);
    img.src = img.dataset.url;
    zone.querySelector('.zname').textContent = file.name;
    zone.classList.add('has');
  } else {
    delete files[modality];
    img.removeAttribute('src');
    delete img.dataset.url;
    zone.querySelector('input').value = '';
    zone.classList.remove('has');
  }
  refresh();
}

function assign(list, fallback) {
  // Several files at once: sort them by NAME_rgb / NAME_depth / NAME_ir; one file goes where it was dropped.
  const dropped = Array.from(list);
  if (dropped.length === 1) { setFile(fallback, dropped[0]); return; }
  for (const file of dropped) {
    const match = file.name.match(NAME_RE);
    if (match) setFile(ALIAS[match[1].toLowerCase()], file);
  }
}

for (const zone of document.querySelectorAll('.zone')) {
  const modality = zone.dataset.modality;
  const input = zone.querySelector('input');
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault(); zone.classList.remove('over');
    if (e.dataTransfer.files.length) assign(e.dataTransfer.files, modality);
  });
  input.addEventListener('change', () => { if (input.files.length) assign(input.files, modality); });
  zone.querySelector('.clear').addEventListener('click', (e) => {
    e.preventDefault(); e.stopPropagation(); setFile(modality, null);
  });
}
document.addEventListener('dragover', (e) => e.preventDefault());
document.addEventListener('drop', (e) => e.preventDefault());

function point(score, radius) {
  const angle = Math.PI * (1 - Math.min(1, Math.max(0, score)));
  return [115 + radius * Math.cos(angle), 118 - radius * Math.sin(angle)];
}

function gauge(score, threshold) {
  const [nx, ny] = point(score, 78);
  const [t1x, t1y] = point(threshold, 84);
  const [t2x, t2y] = point(threshold, 112);
  $('needle').setAttribute('x2', nx.toFixed(1));
  $('needle').setAttribute('y2', ny.toFixed(1));
  $('tick').setAttribute('x1', t1x.toFixed(1)); $('tick').setAttribute('y1', t1y.toFixed(1));
  $('tick').setAttribute('x2', t2x.toFixed(1)); $('tick').setAttribute('y2', t2y.toFixed(1));
  $('score').textContent = score.toFixed(3);
  $('score-sub').textContent = `liveness (1 = live) · threshold ${threshold.toFixed(3)}`;
}

function showError(message, code) {
  const result = $('result');
  result.hidden = false;
  result.dataset.state = 'error';
  result.className = 'card failed';
  $('badge').textContent = 'ERROR';
  $('verdict-note').textContent = code ? `(${code})` : '';
  $('details').hidden = true;
  $('error').hidden = false;
  $('error').textContent = message;
}

function render(r) {
  const result = $('result');
  result.hidden = false;
  result.dataset.state = 'done';
  result.className = `card ${r.decision}`;
  $('details').hidden = false;
  $('error').hidden = true;
  $('badge').textContent = r.decision.toUpperCase();
  const own = r.answer.verdict;
  $('verdict-note').textContent = own === null ? 'the model gave no parsable answer'
    : (own === r.decision ? `the model's own answer agrees (${own})` : `the model's own answer says ${own}`);
  gauge(r.liveness, r.threshold.value);
  const path = $('path');
  path.replaceChildren();
  if (r.answer.path && r.answer.path.length) {
    r.answer.path.forEach((node, i) => {
      if (i) path.appendChild(el('i', null, '\u203a'));
      path.appendChild(el('span', null, node));
    });
  } else {
    path.appendChild(el('i', null, `no parsable answer: ${r.answer.format_error || 'malformed'}`));
  }
  const think = $('reasoning');
  think.replaceChildren();
  if (!r.clauses.length) think.appendChild(el('i', null, '(no reasoning)'));
  const named = (list) => list.map((m) => NAMES[m]).join(' and ');
  r.clauses.forEach((clause, i) => {
    if (i) think.appendChild(document.createTextNode(' '));
    const marks = clause.modalities.map((m) => ` m-${m}`).join('') + (clause.missing.length ? ' missing' : '');
    const span = el('span', 'clause' + marks, clause.text);
    span.dataset.modalities = clause.modalities.join(' ');
    span.dataset.missing = clause.missing.join(' ');
    if (clause.modalities.length) {
      span.appendChild(el('sup', null, clause.modalities.map((m) => NAMES[m]).join('+')));
    }
    if (clause.missing.length) {
      span.title = `cites ${named(clause.missing)}, but no ${named(clause.missing)} image was sent`;
      span.appendChild(el('em', 'unseen', `no ${named(clause.missing)} image`));
    }
    think.appendChild(span);
  });
  const warnings = [];
  if (r.cites_missing.length) {
    warnings.push(`the reasoning cites ${named(r.cites_missing)}, but no ${named(r.cites_missing)} image was sent`);
  }
  if (r.grounded === false) warnings.push('the verdict rests on no observation of an image that was sent');
  $('reasoning-warning').hidden = !warnings.length;
  $('reasoning-warning').textContent = warnings.join('; ');
  const t = r.timings_ms;
  const missing = r.missing.length ? `missing: ${r.missing.join(', ')} (read as blank) · ` : '';
  const hter = r.threshold.hter === null ? 'HTER not measured' : `HTER ${r.threshold.hter.toFixed(3)}`;
  $('meta').textContent = `${missing}condition ${r.condition}: threshold ${r.threshold.value.toPrecision(4)} from `
    + `${r.threshold.source} (${hter}) · ${r.model.ref} · ${t.total.toFixed(0)} ms (model ${t.model.toFixed(0)} ms, `
    + `batch of ${r.batch_size}, queued ${t.queue.toFixed(0)} ms) · request ${r.request_id}`;
}

async function check() {
  const form = new FormData();
  for (const m of MODALITIES) if (files[m]) form.append(m, files[m], files[m].name);
  $('check').disabled = true;
  $('status').textContent = 'reading the face…';
  $('result').dataset.state = 'running';
  try {
    const response = await fetch('v1/liveness', {method: 'POST', body: form, headers: headers()});
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (response.status === 401) {  // the key was changed on the server: ask again
      sessionStorage.removeItem(KEY_STORE);
      $('key-card').hidden = false;
    }
    if (!response.ok) {
      const err = body && body.error ? body.error : {message: `HTTP ${response.status}`, code: null};
      showError(err.message, err.code);
      $('status').textContent = `failed (HTTP ${response.status})`;
    } else {
      render(body);
      $('status').textContent = `done in ${body.timings_ms.total.toFixed(0)} ms`;
    }
  } catch (e) {
    showError(`the server did not answer (${e})`, null);
    $('status').textContent = 'failed';
  } finally {
    refresh();
  }
}

$('check').addEventListener('click', check);
$('key-form').addEventListener('submit', (e) => { e.preventDefault(); unlock($('api-key').value.trim()); });
if (PAGE.info) setup(PAGE.info);
else if (sessionStorage.getItem(KEY_STORE)) unlock(sessionStorage.getItem(KEY_STORE));
else $('key-card').hidden = false;
$('reset').addEventListener('click', () => {
  for (const m of MODALITIES) setFile(m, null);
  $('result').hidden = true;
  $('result').dataset.state = 'idle';
});
"""


def render_page(info: dict[str, Any], auth: bool = False) -> str:
    """The page for the server `info` describes (GET /v1/model); with `auth`, a page that holds only the
    modality names and asks for the API key before it loads the rest."""
    names = info["reading"]["modality_names"]
    zones = "".join(
        f'<label class="zone" data-modality="{m}"><input type="file" id="file-{m}" accept="image/*" multiple '
        f'hidden><img alt="{escape(LABELS[m])}"><span class="zname"></span>'
        f'<button class="clear" type="button" title="remove">&times;</button>'
        f'<span class="zhint">drop the {escape(names[m])} image here, or click</span>'
        f'<span class="zlabel">{escape(names[m])}</span></label>'
        for m in MODALITIES)
    legend = "".join(f'<span class="l-{m}">{escape(names[m])}</span>' for m in MODALITIES)
    data = json.dumps({"names": names, "info": None if auth else info}).replace("</", "<\\/")
    title = "pafas serve" if auth else f"pafas serve · {escape(info['model']['ref'])}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title}</title>
<style>{REPORT_CSS}{PAGE_CSS}{_modality_css()}</style></head>
<body><header><h1>pafas serve</h1><p id="subtitle">this server needs an API key</p></header>
<main>
<section class="card" id="key-card" hidden><div class="top"><h2>API key</h2>
<span class="hint">this server's key; kept in this tab only, sent as Authorization: Bearer</span></div>
<form id="key-form"><input type="password" id="api-key" autocomplete="current-password" placeholder="API key">
<button class="primary" type="submit">Use key</button><span id="key-note" class="hint"></span></form></section>
<section class="card" id="input" hidden><div class="top"><h2>face</h2>
<span class="hint" id="required-hint"></span></div>
<div class="row">{zones}</div>
<div class="actions"><button class="primary" id="check" disabled>Check liveness</button>
<button class="plain" id="reset" type="button">Clear</button><span id="status"></span></div></section>
<section class="card" id="result" hidden data-state="idle">
<div class="top"><h2>decision</h2><span class="badge" id="badge"></span><span class="twoverdicts" id="verdict-note"></span></div>
<p class="error" id="error" hidden></p>
<div class="row" id="details">
<div class="gauge"><svg viewBox="0 0 230 135" role="img" aria-label="liveness gauge">
<defs><linearGradient id="grad" x1="0" x2="1" y1="0" y2="0"><stop offset="0" stop-color="#dc2626"/>
<stop offset=".5" stop-color="#f59e0b"/><stop offset="1" stop-color="#16a34a"/></linearGradient></defs>
<path d="M 17 118 A 98 98 0 0 1 213 118" fill="none" stroke="url(#grad)" stroke-width="16" stroke-linecap="round"/>
<line id="tick" stroke="#111827" stroke-width="3" x1="115" y1="34" x2="115" y2="6"/>
<line id="needle" stroke="#111827" stroke-width="4" stroke-linecap="round" x1="115" y1="118" x2="115" y2="40"/>
<circle cx="115" cy="118" r="7" fill="#111827"/></svg>
<div class="value" id="score"></div><div class="sub" id="score-sub"></div></div>
<div class="info"><h3>answer</h3><div class="path" id="path"></div>
<h3>reasoning <span class="legend">{legend}</span></h3><p class="think" id="reasoning"></p>
<p class="warn" id="reasoning-warning" hidden></p>
<p class="meta" id="meta"></p></div></div></section>
</main>
<script type="application/json" id="server-info">{data}</script>
<script>{SCRIPT}</script>
</body></html>
"""
