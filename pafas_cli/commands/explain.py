"""`pafas explain`: reasoning, hierarchical verdict and liveness score for faces given as files.

`pafas explain RGB DEPTH IR` (with `-` for a missing modality) explains one face in a panel, or as
one JSON object with `--json`; `pafas explain DIR` pairs the folder's files by stem and writes one
JSON line per face (`--out`, default `explain_<DIR>.jsonl`). `--html FILE` writes a self-contained
page. A file that cannot be read is reported by name: for one face as an error, in a folder as that
face's `error` field while the others still run. So is a face lacking a modality `--allow-missing` does not
name (every one by default, RGB always: `infer.modalities` says why).

Order of work: the output paths are checked and every image is decoded (and checked for a plausible
face size) before the model loads, so a typo or a broken file costs about a second, not a model load
plus the whole inference. Outputs are written atomically (complete, or not at all).

Exit codes: 0 = every face explained; 2 = a user error (bad argument, unreadable or incomplete single face,
unusable output path, broken model folder: one `error:` line, nothing written); 3 = some faces failed (an
unreadable image or a required modality missing in a folder, or a non-finite liveness score from a diverged
model): the faces that worked are still written, and every failed face carries its `error` field.
A non-finite score is never printed as `NaN` (not JSON): `liveness` is null and `error` says why.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Group
from rich.panel import Panel
from rich.text import Text
from rich.tree import Tree

from pafas_cli.config import Recipe
from pafas_cli.console import console, err_console, print_warning, rows_table, tagged
from pafas_cli.data.images import blank_image
from pafas_cli.data.sample import MODALITIES
from pafas_cli.errors import PafasError
from pafas_cli.infer.explain_io import FaceFiles, load_image, write_atomic
from pafas_cli.infer.modalities import ALWAYS_REQUIRED, refusal_message, refused
from pafas_cli.infer.plan import ExplainPlan, Reading

EXIT_SOME_FAILED = 3


def record(face: FaceFiles, model: str, prediction: Any = None, error: str | None = None, reader: Any = None) -> dict:
    """The JSON object for one face; a non-finite liveness score becomes null with an `error`. With a clause
    `reader`, the reasoning's clauses and what they cite of the missing modalities (`check_reasoning`)."""
    out = {"name": face.name, "files": {m: str(p) if p else None for m, p in face.files.items()},
           "modalities": list(face.present), "model": model}
    if prediction is None:
        return {**out, "error": error}
    from pafas_cli.infer.faithfulness import check_reasoning
    from pafas_cli.infer.predict import prediction_record

    fields = prediction_record(prediction)
    checked = check_reasoning(reader, fields["reasoning"], face.present) if reader is not None else {}
    return {**out, **fields, **checked, "error": fields["error"] or error}


def exit_code(records: list[dict]) -> int:
    """0 when every face was explained, EXIT_SOME_FAILED (3) when any face carries an error."""
    return EXIT_SOME_FAILED if any(r.get("error") for r in records) else 0


def run(plan: ExplainPlan) -> list[dict]:
    """Explain the faces the plan names; returns their records (see `exit_code`). A face may lack only the
    modalities the plan allows (`--allow-missing`)."""
    request, model, recipe = plan.request, plan.model, plan.recipe
    # With --json, stdout carries JSON only: notes and progress go to stderr or nowhere.
    notes_to = err_console if plan.json_out else console
    for note in request.notes:
        notes_to.print(tagged("note:", "yellow", note), highlight=False)
    # Every image is decoded and checked before transformers is even imported, at the one side the model reads.
    side = model.reading.side
    images, errors = _load_faces(request.faces, side, plan.single, plan.allow_missing)
    ok = [i for i, e in enumerate(errors) if e is None]
    name = model.name
    preds: dict[int, Any] = {}
    reader = None
    if ok:  # all faces unreadable: no model load, the records say why
        from pafas_cli.infer.models import load_for_inference

        loaded = load_for_inference(model.ref, plan.workspace, recipe)
        preds = dict(zip(ok, _predict(loaded, recipe, model.reading, [request.faces[i].present for i in ok],
                                      [images[i] for i in ok], show_progress=not plan.json_out)))
    records = [record(f, name, preds.get(i), errors[i], model.reading.reader) for i, f in enumerate(request.faces)]

    if plan.json_out:
        for r in records:
            console.out(json.dumps(r, ensure_ascii=False, allow_nan=False), highlight=False)
    elif plan.single:
        console.print(_panel(records[0]), soft_wrap=False)  # wrap long reasoning inside the panel
    else:
        console.print(_summary(records))
    failed = sum(1 for r in records if r["error"])
    if plan.out is not None:
        write_atomic(plan.out, "".join(json.dumps(r, ensure_ascii=False, allow_nan=False) + "\n" for r in records))
        notes_to.print(tagged("wrote", "green", f"{plan.out} ({len(records)} faces, {failed} with errors)"),
                       highlight=False)
    if plan.html is not None:
        from pafas_cli.infer.html import render

        source = str(request.folder) if request.folder else " ".join(plan.inputs)
        write_atomic(plan.html, render(records, images, "pafas explain", f"model: {name} · input: {source}"))
        notes_to.print(tagged("wrote", "green", str(plan.html)), highlight=False)
    if failed:
        print_warning(f"{failed} of {len(records)} face(s) failed (see their error field); exit code "
                      f"{EXIT_SOME_FAILED}")
    return records


def _load_faces(faces: list[FaceFiles], side: int, single: bool, allowed: tuple[str, ...]
                ) -> tuple[list[dict[str, Any]], list[str | None]]:
    """Each face's images at `side` (or {}) and its error (or None: readable, and lacking only modalities in
    `allowed`); for a single face an error is raised."""
    images: list[dict[str, Any]] = []
    errors: list[str | None] = []
    for face in faces:
        try:
            loaded = {m: load_image(face.files[m], m, side) for m in face.present}
            lacking = refused(face.missing, allowed)
            if lacking:
                optional = [m for m in lacking if m != ALWAYS_REQUIRED]
                hint = f", or pass --allow-missing {','.join(optional)} to explain it without" if optional else ""
                raise PafasError(refusal_message(lacking, allowed, face.name) + f"; give the file{hint}")
            images.append(loaded)
            errors.append(None)
        except PafasError as exc:
            if single:
                raise
            images.append({})
            errors.append(str(exc))
    return images, errors


def _predict(loaded: Any, recipe: Recipe, reading: Reading, present: list[tuple[str, ...]],
             images: list[dict[str, Any]], show_progress: bool) -> list[Any]:
    """Predictions of the readable faces, in order."""
    from pafas_cli.infer.predict import batched, predict
    from pafas_cli.paths.prompt import build_user_turn

    blank = blank_image(reading.side)
    prompts = [[{"role": "user", "content": build_user_turn(mods)}] for mods in present]
    tensors = [[face.get(m, blank) for m in MODALITIES] for face in images]
    batches = zip(batched(prompts, recipe.eval.batch_size), batched(tensors, recipe.eval.batch_size))
    return predict(loaded.model, loaded.processor, batches, len(prompts), reading.taxonomy, reading.max_new_tokens,
                   description="explain", show_progress=show_progress, require_think=reading.require_think,
                   decoder=reading.decoder)


def _panel(r: dict) -> Panel:
    """Reasoning, the verdict as a tree path, and the liveness score."""
    verdict = r["verdict"]
    colour = {"live": "green", "spoof": "red"}.get(verdict, "yellow")
    if r["answer"]:
        tree = Tree(Text(r["answer"][0], style=f"bold {colour}"))
        node = tree
        for name in r["answer"][1:]:
            node = node.add(Text(name, style=colour))
    else:
        tree = Tree(Text(f"no parsable answer ({r['format_error']})", style="yellow"))
    bar = Text("liveness ")
    if r["liveness"] is None:  # a non-finite score: the record's error says why
        bar.append("n/a", style="bold red")
    else:
        filled = round(r["liveness"] * 20)
        bar.append("█" * filled, style="green")
        bar.append("░" * (20 - filled), style="red")
        bar.append(f" {r['liveness']:.3f}  (1 = live, 0 = spoof)")
    missing = [m for m in MODALITIES if m not in r["modalities"]]
    body = [Text("reasoning", style="bold"), _reasoning(r), Text(""), Text("verdict", style="bold"), tree, Text(""),
            bar]
    if missing:
        body.append(Text(f"missing: {', '.join(missing)} (shown to the model as blank images)", style="dim"))
    if r["error"]:
        body.append(tagged("error:", "bold red", r["error"]))
    # Titles are Text: a str would be read as Rich markup, and face names and model paths come from the user.
    return Panel(Group(*body), title=Text(f"{r['name']} · {(verdict or 'malformed').upper()}"),
                 subtitle=Text(r["model"]), border_style=colour, expand=False, width=min(console.width, 100))


def _reasoning(r: dict) -> Text:
    """The reasoning, a clause citing a modality that was not given struck out in red and tagged, then what the
    verdict cannot rest on."""
    from pafas_cli.infer.html import named, reasoning_warnings

    if not r.get("clauses"):
        return Text(r["reasoning"] or "(none)")
    text = Text()
    for i, clause in enumerate(r["clauses"]):
        text.append(" " if i else "")
        if clause["missing"]:
            text.append(clause["text"], style="red strike")
            text.append(f" [no {named(clause['missing'])} image]", style="bold red")
        else:
            text.append(clause["text"])
    for note in reasoning_warnings(r):
        text.append(f"\n{note}", style="bold red")
    return text


def _summary(records: list[dict]) -> Any:
    rows = []
    for r in records:
        # Text cells: names, nodes and error messages print verbatim (rows_table reads str cells as markup).
        if r["error"]:
            rows.append((Text(r["name"]), "ERROR", Text(r["error"]), "-", "-"))
        else:
            rows.append((Text(r["name"]), r["verdict"] or "malformed", Text(r["deepest"] or "-"), r["liveness"],
                         ", ".join(m for m in MODALITIES if m not in r["modalities"]) or "-"))
    return rows_table("explain", ("face", "verdict", "deepest node / error", "liveness", "missing"), rows)
