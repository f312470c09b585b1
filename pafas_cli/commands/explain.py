"""`pafas explain`: reasoning, hierarchical verdict and liveness score for faces given as files.

`pafas explain RGB DEPTH IR` (with `-` for a missing modality) explains one face in a panel, or as
one JSON object with `--json`; `pafas explain DIR` pairs the folder's files by stem and writes one
JSON line per face (`--out`, default `explain_<DIR>.jsonl`). `--html FILE` writes a self-contained
page. A file that cannot be read is reported by name: for one face as an error, in a folder as that
face's `error` field while the others still run.

Order of work: the output paths are checked and every image is decoded (and checked for a plausible
face size) before the model loads, so a typo or a broken file costs about a second, not a model load
plus the whole inference. Outputs are written atomically (complete, or not at all).

Exit codes: 0 = every face explained; 2 = a user error (bad argument, unreadable single face, unusable
output path, broken model folder: one `error:` line, nothing written); 3 = some faces failed (an
unreadable image in a folder, or a non-finite liveness score from a diverged model): the faces that
worked are still written, and every failed face carries its `error` field.
A non-finite score is never printed as `NaN` (not JSON): `liveness` is null and `error` says why.
"""

from __future__ import annotations

import json
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
from pafas_cli.infer.explain_io import (FaceFiles, check_outputs, faces_from_args, image_side, load_image,
                                        write_atomic)
from pafas_cli.workspace import Workspace

MODEL_STAGES = ("rl", "sft")


def default_model(ws: Workspace) -> str:
    """The newest complete rl version, else the newest complete sft version."""
    for stage in MODEL_STAGES:
        info = ws.latest(stage)
        if info is not None:
            return f"{stage}:{info.version}"
    raise PafasError(f"the workspace {ws.root} has no complete rl or sft model yet: run `pafas sft` (then `pafas rl`), "
                     "or pass --model REF (a workspace version, a model folder or a hub id)")


EXIT_SOME_FAILED = 3


def record(face: FaceFiles, model: str, prediction: Any = None, error: str | None = None) -> dict:
    """The JSON object for one face; a non-finite liveness score becomes null with an `error`."""
    out = {"name": face.name, "files": {m: str(p) if p else None for m, p in face.files.items()},
           "modalities": list(face.present), "model": model}
    if prediction is None:
        return {**out, "error": error}
    from pafas_cli.infer.predict import prediction_record

    fields = prediction_record(prediction)
    return {**out, **fields, "error": fields["error"] or error}


def exit_code(records: list[dict]) -> int:
    """0 when every face was explained, EXIT_SOME_FAILED (3) when any face carries an error."""
    return EXIT_SOME_FAILED if any(r.get("error") for r in records) else 0


def run(recipe: Recipe, ws: Workspace, inputs: list[str], model: str | None = None, json_out: bool = False,
        html: Path | None = None, out: Path | None = None) -> list[dict]:
    """Explain the faces `inputs` name; returns their records (see `exit_code`)."""
    request = faces_from_args(inputs)
    single = request.folder is None
    target = out if out is not None or single else Path(f"explain_{request.folder.name}.jsonl")
    check_outputs({"--out": target, "--html": html}, request.faces)
    # With --json, stdout carries JSON only: notes and progress go to stderr or nowhere.
    notes_to = err_console if json_out else console
    for note in request.notes:
        notes_to.print(tagged("note:", "yellow", note), highlight=False)

    from pafas_cli.infer import models
    from pafas_cli.model.loader import load_processor_of

    ref = model or default_model(ws)
    resolved = ws.resolve(ref, allow_hub=True)
    name = _model_name(resolved, model)  # a mistyped --model fails here, at once
    # Every image is decoded and checked before transformers is even imported, at the side the model was
    # trained at (its spec; the recipe's paths.image_size for a model without one, e.g. a hub id); in the rare
    # case the model's processor pins another side, the good faces are resized again.
    guess = models.model_image_size(resolved) or recipe.paths.image_size
    images, errors = _load_faces(request.faces, guess, single)
    side = image_side(load_processor_of(ref, ws, recipe.model.trust_remote_code), guess)
    ok = [i for i, e in enumerate(errors) if e is None]
    if side != guess:
        resized, again = _load_faces([request.faces[i] for i in ok], side, single)
        for i, image, error in zip(ok, resized, again):
            images[i], errors[i] = image, error
        ok = [i for i, e in enumerate(errors) if e is None]
    preds: dict[int, Any] = {}
    if ok:  # all faces unreadable: no model load, the records say why
        loaded = models.load_for_inference(ref, ws, recipe)
        name = _model_name(loaded.resolved, model)
        reading = (models.model_taxonomy(resolved, recipe.paths.taxonomy),
                   models.model_require_think(resolved, recipe.eval.require_think))
        preds = dict(zip(ok, _predict(loaded, recipe, reading, [request.faces[i].present for i in ok],
                                      [images[i] for i in ok], side, show_progress=not json_out)))
    records = [record(f, name, preds.get(i), errors[i]) for i, f in enumerate(request.faces)]

    if json_out:
        for r in records:
            console.out(json.dumps(r, ensure_ascii=False, allow_nan=False), highlight=False)
    elif single:
        console.print(_panel(records[0]), soft_wrap=False)  # wrap long reasoning inside the panel
    else:
        console.print(_summary(records))
    failed = sum(1 for r in records if r["error"])
    if target is not None:
        write_atomic(target, "".join(json.dumps(r, ensure_ascii=False, allow_nan=False) + "\n" for r in records))
        notes_to.print(tagged("wrote", "green", f"{target} ({len(records)} faces, {failed} with errors)"),
                       highlight=False)
    if html is not None:
        from pafas_cli.infer.html import render

        source = str(request.folder) if request.folder else " ".join(inputs)
        write_atomic(html, render(records, images, "pafas explain", f"model: {name} · input: {source}"))
        notes_to.print(tagged("wrote", "green", str(html)), highlight=False)
    if failed:
        print_warning(f"{failed} of {len(records)} face(s) failed (see their error field); exit code "
                      f"{EXIT_SOME_FAILED}")
    return records


def _load_faces(faces: list[FaceFiles], side: int, single: bool) -> tuple[list[dict[str, Any]], list[str | None]]:
    """Each face's images at `side` (or {}) and its error (or None); for a single face an error is raised."""
    images: list[dict[str, Any]] = []
    errors: list[str | None] = []
    for face in faces:
        try:
            images.append({m: load_image(face.files[m], m, side) for m in face.present})
            errors.append(None)
        except PafasError as exc:
            if single:
                raise
            images.append({})
            errors.append(str(exc))
    return images, errors


def _predict(loaded: Any, recipe: Recipe, reading: tuple[Any, bool], present: list[tuple[str, ...]],
             images: list[dict[str, Any]], side: int, show_progress: bool) -> list[Any]:
    """Predictions of the readable faces, in order; `reading` = (taxonomy, require_think) of the model."""
    from pafas_cli.infer.predict import batched, predict
    from pafas_cli.paths.prompt import build_user_turn

    blank = blank_image(side)
    prompts = [[{"role": "user", "content": build_user_turn(mods)}] for mods in present]
    tensors = [[face.get(m, blank) for m in MODALITIES] for face in images]
    taxonomy, require_think = reading
    batches = zip(batched(prompts, recipe.eval.batch_size), batched(tensors, recipe.eval.batch_size))
    return predict(loaded.model, loaded.processor, batches, len(prompts), taxonomy, recipe.eval.max_new_tokens,
                   description="explain", show_progress=show_progress, require_think=require_think,
                   decoder=recipe.eval.decoder)


def _model_name(resolved: Any, ref: str | None) -> str:
    if getattr(resolved, "stage", None):
        return f"{resolved.stage}:{resolved.version}"
    return ref or str(getattr(resolved, "path", ""))


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
    body = [Text("reasoning", style="bold"), Text(r["reasoning"] or "(none)"), Text(""),
            Text("verdict", style="bold"), tree, Text(""), bar]
    if missing:
        body.append(Text(f"missing: {', '.join(missing)} (shown to the model as blank images)", style="dim"))
    if r["error"]:
        body.append(tagged("error:", "bold red", r["error"]))
    # Titles are Text: a str would be read as Rich markup, and face names and model paths come from the user.
    return Panel(Group(*body), title=Text(f"{r['name']} · {(verdict or 'malformed').upper()}"),
                 subtitle=Text(r["model"]), border_style=colour, expand=False, width=min(console.width, 100))


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
