"""`pafas explain`: reasoning, hierarchical verdict and liveness score for faces given as files.

`pafas explain RGB DEPTH IR` (with `-` for a missing modality) explains one face in a panel, or as
one JSON object with `--json`; `pafas explain DIR` pairs the folder's files by stem and writes one
JSON line per face (`--out`, default `explain_<DIR>.jsonl`). `--html FILE` writes a self-contained
page. A file that cannot be read is reported by name: for one face as an error, in a folder as that
face's `error` field while the others still run.
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
from pafas_cli.console import console, err_console, rows_table
from pafas_cli.data.sample import MODALITIES
from pafas_cli.errors import PafasError
from pafas_cli.data.images import blank_image
from pafas_cli.infer.explain_io import FaceFiles, faces_from_args, image_side, load_image
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


def record(face: FaceFiles, model: str, prediction: Any = None, error: str | None = None) -> dict:
    """The JSON object for one face."""
    out = {"name": face.name, "files": {m: str(p) if p else None for m, p in face.files.items()},
           "modalities": list(face.present), "model": model}
    if prediction is None:
        return {**out, "error": error}
    answer = prediction.answer
    return {
        **out,
        "verdict": None if answer.decision is None else ("live" if answer.decision == 1 else "spoof"),
        "answer": list(answer.nodes) if answer.well_formed else None,
        "deepest": answer.deepest,
        "liveness": round(prediction.score, 6),
        "well_formed": answer.well_formed,
        "format_error": answer.error,
        "reasoning": prediction.reasoning,
        "text": prediction.text,
        "error": None,
    }


def run(recipe: Recipe, ws: Workspace, inputs: list[str], model: str | None = None, json_out: bool = False,
        html: Path | None = None, out: Path | None = None) -> None:
    from pafas_cli.infer.predict import batched, predict
    from pafas_cli.commands.eval import load_for_inference
    from pafas_cli.paths.prompt import build_user_turn
    from pafas_cli.paths.taxonomy import load_taxonomy

    request = faces_from_args(inputs)
    single = request.folder is None
    # With --json, stdout carries JSON only: notes and progress go to stderr or nowhere.
    notes_to = err_console if json_out else console
    for note in request.notes:
        notes_to.print(f"[yellow]note:[/] {note}", highlight=False)
    loaded = load_for_inference(model or default_model(ws), ws, recipe)
    name = _model_name(loaded.resolved, model)
    side = image_side(loaded.processor, recipe.paths.image_size)

    images: list[dict[str, Any]] = []
    errors: list[str | None] = []
    for face in request.faces:
        try:
            images.append({m: load_image(face.files[m], m, side) for m in face.present})
            errors.append(None)
        except PafasError as exc:
            if single:
                raise
            images.append({})
            errors.append(str(exc))
    ok = [i for i, e in enumerate(errors) if e is None]
    blank = blank_image(side)
    prompts = [[{"role": "user", "content": build_user_turn(request.faces[i].present)}] for i in ok]
    tensors = [[images[i].get(m, blank) for m in MODALITIES] for i in ok]
    taxonomy = load_taxonomy(recipe.paths.taxonomy)
    batches = zip(batched(prompts, recipe.eval.batch_size), batched(tensors, recipe.eval.batch_size))
    preds = dict(zip(ok, predict(loaded.model, loaded.processor, batches, len(ok), taxonomy,
                                 recipe.eval.max_new_tokens, description="explain", show_progress=not json_out,
                                 require_think=recipe.eval.require_think)))
    records = [record(f, name, preds.get(i), errors[i]) for i, f in enumerate(request.faces)]

    if json_out:
        for r in records:
            console.out(json.dumps(r, ensure_ascii=False), highlight=False)
    elif single:
        console.print(_panel(records[0]))
    else:
        console.print(_summary(records))
    if out is not None or not single:
        target = out or Path(f"explain_{request.folder.name}.jsonl")
        target.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        notes_to.print(f"[green]wrote[/] {target} ({len(records)} faces, {len(records) - len(ok)} with errors)")
    if html is not None:
        from pafas_cli.infer.html import render

        source = str(request.folder) if request.folder else " ".join(inputs)
        html.write_text(render(records, images, "pafas explain", f"model: {name} · input: {source}"), encoding="utf-8")
        notes_to.print(f"[green]wrote[/] {html}")


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
    filled = round(r["liveness"] * 20)
    bar = Text("liveness ")
    bar.append("█" * filled, style="green")
    bar.append("░" * (20 - filled), style="red")
    bar.append(f" {r['liveness']:.3f}  (1 = live, 0 = spoof)")
    missing = [m for m in MODALITIES if m not in r["modalities"]]
    body = [Text("reasoning", style="bold"), Text(r["reasoning"] or "(none)"), Text(""),
            Text("verdict", style="bold"), tree, Text(""), bar]
    if missing:
        body.append(Text(f"missing: {', '.join(missing)} (shown to the model as blank images)", style="dim"))
    return Panel(Group(*body), title=f"{r['name']} · {(verdict or 'malformed').upper()}", subtitle=r["model"],
                 border_style=colour, expand=False, width=min(console.width, 100))


def _summary(records: list[dict]) -> Any:
    rows = []
    for r in records:
        if r["error"]:
            rows.append((r["name"], "ERROR", r["error"], "-", "-"))
        else:
            rows.append((r["name"], r["verdict"] or "malformed", r["deepest"] or "-", r["liveness"],
                         ", ".join(m for m in MODALITIES if m not in r["modalities"]) or "-"))
    return rows_table("explain", ("face", "verdict", "deepest node / error", "liveness", "missing"), rows)
