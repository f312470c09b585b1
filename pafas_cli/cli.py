"""The `pafas` command line: wiring only.

Each command builds the recipe (`--recipe`, `--set`, and the few options that are shortcuts for
recipe keys) and hands it to one entry function in `pafas_cli/commands/`. Nothing heavy is
imported here, so the offline environment is in place before transformers/trl load.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from pafas_cli import threads
from pafas_cli.data import registry
from pafas_cli.env import configure_network

app = typer.Typer(
    name="pafas",
    help=(
        "Interpretable multimodal face anti-spoofing (PA-FAS): a vision-language model reads a face in "
        "RGB, depth and IR, reasons in <think> text and answers with a hierarchical spoof label.\n\n"
        "Pipeline: synth -> build-paths -> init-model [-> pretrain] -> sft -> rl -> eval / explain (baseline: the "
        "CNN floor). "
        "Every stage reads a YAML recipe (recipes/) and writes a new version into the workspace (pafas ls).\n\n"
        "Example: pafas build-paths --data synthetic && pafas init-model && pafas sft && pafas rl && pafas eval"
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    add_completion=False,
)

_state: dict = {"workspace": None, "debug": False}

RecipeOpt = Annotated[
    Optional[Path],
    typer.Option("--recipe", "-r", help="Recipe YAML (a path, or a name under recipes/ or recipes/quickstart/)."),
]
SetOpt = Annotated[
    Optional[list[str]],
    typer.Option("--set", "-s", help="Override one recipe key, e.g. --set sft.max_steps=100 (repeatable)."),
]

# The recipe sections a command that writes no stage version prints at start (a stage prints what its plan
# records: pafas_cli/plan.py RECORDS), and each command's default recipe.
SECTIONS = {"synth": ("seed", "data"), "prepare": ("data",), "explain": ("eval",), "serve": ("eval",)}
DEFAULT_RECIPE = {
    "synth": "quickstart/synth.yaml",
    "prepare": "quickstart/prepare.yaml",
    "build-paths": "quickstart/paths.yaml",
    "init-model": "quickstart/model.yaml",
    "pretrain": "quickstart/pretrain.yaml",
    "sft": "quickstart/sft.yaml",
    "rl": "quickstart/grpo.yaml",
    "eval": "quickstart/eval.yaml",
    "baseline": "quickstart/baseline.yaml",
    "explain": "quickstart/eval.yaml",
    "serve": "quickstart/eval.yaml",
}


def _workspace():
    from pafas_cli.workspace import Workspace

    return Workspace(_state["workspace"]).check()


def _recipe(command: str, recipe: Path | None, sets: list[str] | None, echo: bool = True, **shortcuts: object):
    """Load the recipe; `shortcuts` map recipe keys to option values (None = not given).

    Commands in SECTIONS echo it here; `echo=False` keeps stdout machine-readable (explain --json). A stage
    echoes its plan instead (`_planned`), with every inherited value filled in.
    """
    from pafas_cli.config import load_recipe
    from pafas_cli.console import console, recipe_panel
    from pafas_cli.recipe_files import shipped

    overrides = list(sets or [])
    overrides += [f"{key}={value}" for key, value in shortcuts.items() if value is not None]
    _state["recipe_source"] = recipe or shipped(DEFAULT_RECIPE[command])
    loaded = load_recipe(_state["recipe_source"], overrides)
    threads.apply(threads.resolve(loaded.threads))
    if echo and command in SECTIONS:
        console.print(recipe_panel(loaded, SECTIONS[command], _state["recipe_source"]))
    return loaded


def _planned(plan):
    """Echo what the plan will record (the recipe sections, settled) and hand the plan on."""
    from pafas_cli.console import console, recipe_panel
    from pafas_cli.plan import RECORDS

    console.print(recipe_panel(plan.recipe, RECORDS[plan.stage], _state["recipe_source"]))
    return plan


@app.callback()
def _global(
    workspace: Annotated[
        Optional[Path],
        typer.Option("--workspace", "-w", envvar="PAFAS_WORKSPACE", help="Workspace folder (default: ./workspace)."),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks for errors.")] = False,
    allow_network: Annotated[
        bool,
        typer.Option("--allow-network", help="Allow downloads from the Hugging Face hub (or PAFAS_ALLOW_NETWORK=1)."),
    ] = False,
) -> None:
    # --allow-network is declared here for --help and parsing only: main() reads it from argv before
    # transformers is imported, which is the only moment it can take effect.
    del allow_network
    _state["workspace"] = workspace
    _state["debug"] = debug


@app.command()
def synth(
    recipe: RecipeOpt = None,
    set_: SetOpt = None,
    out: Annotated[Optional[Path], typer.Option(help="Write the benchmark here instead of the workspace.")] = None,
    preview: Annotated[Optional[Path], typer.Option(help="Also write a contact-sheet PNG of the data.")] = None,
) -> None:
    """Generate the offline synthetic four-domain RGB/depth/IR benchmark.

    Example: pafas synth --preview docs/synth_preview.png
    """
    recipe_ = _recipe("synth", recipe, set_)
    from pafas_cli.commands import synth as cmd

    cmd.run(recipe_, _workspace(), out=out, preview=preview)


@app.command()
def prepare(
    dataset: Annotated[str, typer.Argument(help=f"The release: {', '.join(registry.preparable())}.")],
    root: Annotated[Path, typer.Option(help="The release as downloaded (docs/data.md lists the files it needs).")],
    out: Annotated[Path, typer.Option(help="Folder for the frames, the lists and the manifest.")],
    recipe: RecipeOpt = None,
    set_: SetOpt = None,
    frames: Annotated[Optional[int], typer.Option(help="Frames kept per video (data.prepare.frames).")] = None,
) -> None:
    """Turn a dataset release as shipped into the list layout build-paths reads (frames, lists, manifest).

    Resumable and idempotent: rerun the same command to continue or to check.

    Example: pafas prepare wmca --root /data/WMCA --out /data/prepared
    (then: pafas build-paths --data wmca --root /data/prepared)
    """
    recipe_ = _recipe("prepare", recipe, set_, **{"data.source": dataset, "data.root": root,
                                                  "data.prepare.frames": frames})
    from pafas_cli.commands import prepare as cmd

    cmd.run(recipe_, out=out)


@app.command("build-paths")
def build_paths(
    recipe: RecipeOpt = None,
    set_: SetOpt = None,
    data: Annotated[Optional[str], typer.Option(help=f"Data source: {', '.join(registry.names())}.")] = None,
    root: Annotated[Optional[Path], typer.Option(help="Dataset root folder.")] = None,
    show: Annotated[int, typer.Option(help="Print this many rendered training examples.")] = 0,
) -> None:
    """Build the SFT/RL/eval sets: reasoning-path augmentation (PNRPS) and answer shuffling.

    Example: pafas build-paths --data casia-surf --root /data/CASIA-SURF --set paths.n_paths=50
    """
    recipe_ = _recipe("build-paths", recipe, set_, **{"data.source": data, "data.root": root})
    from pafas_cli.commands import build_paths as cmd
    from pafas_cli.paths.plan import resolve

    cmd.run(_planned(resolve(recipe_, _workspace())), show=show)


@app.command("init-model")
def init_model(
    recipe: RecipeOpt = None,
    set_: SetOpt = None,
    paths: Annotated[str, typer.Option(help="Paths version whose text trains the tokenizer.")] = "paths:latest",
) -> None:
    """Build a tiny Qwen2.5-VL (or the random-weight 3B architecture) with a locally trained tokenizer.

    Example: pafas init-model --paths paths:latest
    """
    recipe_ = _recipe("init-model", recipe, set_)
    from pafas_cli.commands import init_model as cmd
    from pafas_cli.model.plan import resolve

    cmd.run(_planned(resolve(recipe_, _workspace(), paths=paths)))


ModelOpt = Annotated[Optional[str], typer.Option(help="Model reference (default: the newest rl, else sft).")]
ResumeOpt = Annotated[str, typer.Option(help="auto (resume an unfinished run if any), never, or a checkpoint path.")]
ProcsOpt = Annotated[int, typer.Option("--num-processes", help="Data-parallel processes (torchrun; gloo on CPU).")]


@app.command()
def pretrain(recipe: RecipeOpt = None, set_: SetOpt = None, resume: ResumeOpt = "auto",
             num_processes: ProcsOpt = 1) -> None:
    """Pretrain the tiny VLM on scenes of materials seen through RGB, depth and IR (no faces, no FAS label),
    then probe its vision features; the CNN trunk is pretrained on the same scenes (docs/pretraining.md).

    Start from `pafas init-model --set model.corpus=true`; then `pafas sft --set sft.model=pretrain:latest`.

    Example: pafas pretrain --set pretrain.max_steps=300
    """
    recipe_ = _recipe("pretrain", recipe, set_)
    from pafas_cli.commands import pretrain as cmd
    from pafas_cli.train.plan import resolve_pretrain

    cmd.run(_planned(resolve_pretrain(recipe_, _workspace(), resume=resume, num_processes=num_processes)))


@app.command()
def sft(recipe: RecipeOpt = None, set_: SetOpt = None, resume: ResumeOpt = "auto", num_processes: ProcsOpt = 1) -> None:
    """Supervised fine-tuning on the path-augmented, answer-shuffled SFT set (TRL SFTTrainer).

    Example: pafas sft --recipe sft.yaml --set sft.max_steps=300
    """
    recipe_ = _recipe("sft", recipe, set_)
    from pafas_cli.commands import sft as cmd
    from pafas_cli.train.plan import resolve_sft

    cmd.run(_planned(resolve_sft(recipe_, _workspace(), resume=resume, num_processes=num_processes)))


@app.command()
def rl(recipe: RecipeOpt = None, set_: SetOpt = None, resume: ResumeOpt = "auto", num_processes: ProcsOpt = 1) -> None:
    """GRPO reinforcement learning with format + classification rewards (TRL GRPOTrainer).

    Example: pafas rl --recipe grpo.yaml
    """
    recipe_ = _recipe("rl", recipe, set_)
    from pafas_cli.commands import rl as cmd
    from pafas_cli.train.plan import resolve_rl

    cmd.run(_planned(resolve_rl(recipe_, _workspace(), resume=resume, num_processes=num_processes)))


@app.command("eval")
def eval_(
    recipe: RecipeOpt = None,
    set_: SetOpt = None,
    model: Annotated[Optional[list[str]], typer.Option("--model", "-m", help="Model reference (repeatable).")] = None,
    paths: Annotated[str, typer.Option(help="Paths version holding the eval sets.")] = "paths:latest",
    protocol: Annotated[Optional[str], typer.Option(help="P1, P2 (adds missing-modality sets) or P3.")] = None,
    split: Annotated[str, typer.Option(help="dev or test.")] = "test",
) -> None:
    """Evaluate models: HTER/AUC/EER/ACER/APCER/BPCER/TPR@FPR with dev and oracle thresholds.

    Example: pafas eval --model sft:latest --model rl:latest
    """
    recipe_ = _recipe("eval", recipe, set_)
    from pafas_cli.commands import eval as cmd
    from pafas_cli.infer.plan import resolve_eval

    cmd.run(_planned(resolve_eval(recipe_, _workspace(), models=model or [], paths=paths, protocol=protocol,
                                  split=split)))


@app.command()
def baseline(
    recipe: RecipeOpt = None,
    set_: SetOpt = None,
    paths: Annotated[Optional[str], typer.Option(help="Paths version to train and score on (baseline.paths).")] = None,
) -> None:
    """Train the three-stream CNN baseline from scratch and score it like eval (the floor for every VLM row).

    Example: pafas baseline --paths paths:latest --set baseline.epochs=30
    """
    recipe_ = _recipe("baseline", recipe, set_, **{"baseline.paths": paths})
    from pafas_cli.baseline.plan import resolve
    from pafas_cli.commands import baseline as cmd

    cmd.run(_planned(resolve(recipe_, _workspace())))


@app.command()
def explain(
    inputs: Annotated[list[str], typer.Argument(help="RGB DEPTH IR image files ('-' = missing), or one folder.")],
    recipe: RecipeOpt = None,
    set_: SetOpt = None,
    model: ModelOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object per face.")] = False,
    html: Annotated[Optional[Path], typer.Option(help="Write a self-contained HTML report.")] = None,
    out: Annotated[Optional[Path], typer.Option(help="JSONL output file for a folder.")] = None,
    allow_missing: Annotated[Optional[list[str]], typer.Option(
        help="Modalities a face may lack, e.g. depth,ir (default: none; RGB is always required).")] = None,
) -> None:
    """Explain faces: reasoning, hierarchical verdict and liveness score.

    Every face needs RGB, depth and IR (a face without one is refused: leaving a modality out can turn a
    spoof live) unless --allow-missing names it. Output paths and every image are checked before the model
    loads.

    Exit codes:
    0 = every face explained;
    2 = a user error (one error line, nothing written; a single face lacking a required image);
    3 = some faces failed (an unreadable image or a missing modality in a folder, or a non-finite score);
    the faces that worked are still written, and each failed face carries its error field.

    Example: pafas explain face.png depth.png ir.png
    """
    recipe_ = _recipe("explain", recipe, set_, echo=not json_out)
    from pafas_cli.commands import explain as cmd
    from pafas_cli.infer.plan import resolve_explain

    records = cmd.run(resolve_explain(recipe_, _workspace(), inputs, model=model, json_out=json_out, html=html,
                                      out=out, allow_missing=allow_missing or ()))
    code = cmd.exit_code(records)
    if code:
        raise typer.Exit(code)


@app.command()
def serve(
    recipe: RecipeOpt = None,
    set_: SetOpt = None,
    model: ModelOpt = None,
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0 = every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0 = a free one, printed at start).")] = 8000,
    threshold: Annotated[Optional[float], typer.Option(
        help="Decide live iff liveness >= this (default: the model's dev threshold from its newest eval).")] = None,
    allow_missing: Annotated[Optional[list[str]], typer.Option(
        help="Modalities a request may lack, e.g. depth,ir (default: none, 422 modality_missing; RGB is always "
             "required); each condition is decided at its own calibrated threshold.")] = None,
    condition_threshold: Annotated[Optional[list[str]], typer.Option(
        help="Threshold for a missing-modality condition, e.g. missing_ir=0.7 (repeatable; default: the dev "
             "threshold the newest P2 eval of the model measured for it).")] = None,
    api_key_file: Annotated[Optional[Path], typer.Option(
        help="File holding the API key clients must send as Authorization: Bearer KEY (or set PAFAS_API_KEY; "
             "default: no key).")] = None,
    max_batch: Annotated[int, typer.Option(help="Most requests batched into one model call.")] = 16,
    batch_window_ms: Annotated[float, typer.Option(
        help="Longest a batch waits for more requests (ms); a request alone at an idle server runs at once.")] = 50.0,
    max_queue: Annotated[int, typer.Option(
        help="Requests allowed to wait; past it the server answers 429 with Retry-After.")] = 256,
    request_timeout_s: Annotated[float, typer.Option(
        help="Longest a request may wait and run (s); past it 504, and a request still queued is never run.")
    ] = 60.0,
    max_body_mb: Annotated[float, typer.Option(help="Largest request body (413 past it).")] = 32.0,
    max_megapixels: Annotated[float, typer.Option(help="Largest image, in megapixels (413 past it).")] = 24.0,
    access_log: Annotated[bool, typer.Option(help="Print one line per request.")] = True,
) -> None:
    r"""Serve a trained model: a liveness API (POST /v1/liveness), a page to drop faces on (/), Prometheus
    metrics (/metrics).

    Needs the serve extra (pip install 'pafas\[serve]'). The model loads once; concurrent requests are
    micro-batched into one generate call. Every request needs RGB, depth and IR unless --allow-missing names
    one. With an API key, every route but the page, /healthz and the schema needs it. Ctrl-C (or SIGTERM)
    refuses new requests and answers the queued ones before it exits; a second Ctrl-C stops at once. A failed
    start (model, port, threshold, key) is one error line, exit 2.

    Example: pafas serve --model rl:latest --port 8000, then
    curl -F rgb=@face_rgb.png -F depth=@face_depth.png -F ir=@face_ir.png http://127.0.0.1:8000/v1/liveness
    """
    recipe_ = _recipe("serve", recipe, set_)
    from pafas_cli.commands import serve as cmd
    from pafas_cli.serve.service import MIB, Limits

    limits = Limits(max_batch=max_batch, window_ms=batch_window_ms, max_queue=max_queue,
                    max_body_bytes=int(max_body_mb * MIB), max_pixels=int(max_megapixels * 1_000_000),
                    request_timeout_s=request_timeout_s)
    cmd.run(recipe_, _workspace(), model=model, host=host, port=port, threshold=threshold, limits=limits,
            access_log=access_log, debug=_state["debug"] or bool(os.environ.get("PAFAS_DEBUG")),
            allow_missing=allow_missing or (), condition_thresholds=condition_threshold or (),
            api_key_file=api_key_file)


@app.command()
def merge(
    adapter: Annotated[str, typer.Argument(help="LoRA adapter: a folder or a version such as sft:latest.")],
    out: Annotated[Path, typer.Argument(help="Folder to write the merged model into.")],
) -> None:
    """Merge a LoRA adapter into its base model and save an ordinary HF folder.

    Example: pafas merge sft:latest merged-model/
    """
    from pafas_cli.commands import merge as cmd

    cmd.run(_workspace(), adapter=adapter, out=out)


@app.command("ls")
def ls(stage: Annotated[Optional[str], typer.Argument(help="Only this stage.")] = None) -> None:
    """List workspace versions with status, inputs and headline metrics.

    Example: pafas ls sft
    """
    from pafas_cli.commands import ls as cmd

    cmd.run(_workspace(), stage=stage)


@app.command()
def show(ref: Annotated[str, typer.Argument(help="A version reference, e.g. sft:latest or eval:v002.")]) -> None:
    """Show one version's manifest: recipe, inputs, metrics.

    Example: pafas show rl:latest
    """
    from pafas_cli.commands import show as cmd

    cmd.run(_workspace(), ref=ref)


@app.command()
def reproduce(
    quick: Annotated[bool, typer.Option("--quick", help="One row per table: split W, seed 0, PA-FAS and the CNN, "
                                        "both regimes, short pretraining and training; cells and page under "
                                        "<workspace>/reproduce-quick.")] = False,
    plan: Annotated[bool, typer.Option("--plan", help="Print the plan and its time estimate; run nothing.")] = False,
    report_only: Annotated[bool, typer.Option("--report-only",
                                              help="Rewrite the page from the recorded cells.")] = False,
    regimes: Annotated[Optional[str], typer.Option(help="pretrained (SFT from `pafas pretrain`: the headline), "
                                                   "scratch, or both as a comma list (default both).")] = None,
    seeds: Annotated[Optional[str], typer.Option(help="Comma list (default 0,1,2).")] = None,
    splits: Annotated[Optional[str], typer.Option(help="Protocol-1 targets: comma list of W,S,P,C or all "
                                                  "(default all).")] = None,
    rows: Annotated[Optional[str], typer.Option(help="Protocol-1 rows, comma list (default all; see "
                                                "recipes/reproduce/grid.yaml).")] = None,
    n_values: Annotated[Optional[str], typer.Option("--n-values", help="Paths per sample for the N sweep "
                                                    "(default 1,5,10,25,50,100; '' = no sweep).")] = None,
    n_train: Annotated[Optional[int], typer.Option(help="Labelled training samples per split.")] = None,
    n_dev: Annotated[Optional[int], typer.Option(help="Dev faces per split.")] = None,
    n_test: Annotated[Optional[int], typer.Option(help="Test faces per split.")] = None,
    corpus_samples: Annotated[Optional[int], typer.Option(help="Scenes in the pretraining corpus.")] = None,
    pretrain_steps: Annotated[Optional[int], typer.Option(help="Pretraining steps.")] = None,
    sft_steps: Annotated[Optional[int], typer.Option(help="SFT steps.")] = None,
    rl_steps: Annotated[Optional[int], typer.Option(help="GRPO steps at most (the dev reward chooses the step).")
                        ] = None,
    set_: SetOpt = None,
    cells: Annotated[Optional[Path], typer.Option(help="The cells file (default bench/results/cells.jsonl).")] = None,
    report: Annotated[Optional[Path], typer.Option(help="The page (default docs/results.md).")] = None,
    synth: Annotated[Optional[Path], typer.Option(help="An existing synthetic benchmark folder to read.")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", help="Show every stage's own output.")] = False,
) -> None:
    """Reproduce the paper's tables at small scale: Protocol-1 ladder, N sweep, Protocol 2 (docs/results.md).

    Each finished cell is appended to the cells file and skipped on a rerun; --set applies to every stage.

    Example: pafas reproduce --plan
    """
    from pafas_cli.commands import reproduce as cmd

    code = cmd.run(
        _workspace(), _stages(), quick=quick, plan=plan, report_only=report_only,
        regimes=cmd.split_list(regimes, str, "--regimes"), seeds=cmd.split_list(seeds, int, "--seeds"),
        splits=cmd.split_list(splits, str, "--splits"), rows=cmd.split_list(rows, str, "--rows"),
        n_values=cmd.split_list(n_values, int, "--n-values"), n_train=n_train, n_dev=n_dev, n_test=n_test,
        corpus_samples=corpus_samples, pretrain_steps=pretrain_steps, sft_steps=sft_steps, rl_steps=rl_steps,
        overrides=set_ or [], cells=cells, report=report, synth=synth, verbose=verbose)
    if code:
        raise typer.Exit(code)


def _stages():
    """Every stage as `pafas <stage>` plans and runs it, for the reproduction's runner (package code, which may
    not import the commands)."""
    from pafas_cli.baseline.plan import resolve as plan_baseline
    from pafas_cli.commands import baseline, build_paths, eval as eval_cmd, init_model, pretrain, rl, sft
    from pafas_cli.infer.plan import resolve_eval
    from pafas_cli.model.plan import resolve as plan_model
    from pafas_cli.paths.plan import resolve as plan_paths
    from pafas_cli.reproduce.runner import Stage, Stages
    from pafas_cli.train.plan import resolve_pretrain, resolve_rl, resolve_sft

    return Stages(build_paths=Stage(plan_paths, build_paths.run), init_model=Stage(plan_model, init_model.run),
                  pretrain=Stage(resolve_pretrain, pretrain.run), sft=Stage(resolve_sft, sft.run),
                  rl=Stage(resolve_rl, rl.run),
                  eval=Stage(resolve_eval, eval_cmd.run), baseline=Stage(plan_baseline, baseline.run))


@app.command("env")
def env_() -> None:
    """Print versions, devices and settings for bug reports.

    Example: pafas env
    """
    from pafas_cli.commands import env as cmd

    cmd.run(_workspace())


def main() -> None:
    """Console entry point: offline env first, then the app; user errors print one line."""
    configure_network("--allow-network" in sys.argv)
    from pafas_cli.errors import PafasError
    from pafas_cli.train.distributed import close

    try:
        app()
    except PafasError as exc:
        if _state["debug"] or os.environ.get("PAFAS_DEBUG"):
            raise
        from pafas_cli.console import print_error

        print_error(exc)  # verbatim: a file named a[x].png must not lose "[x]" to Rich markup
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    finally:
        close()  # a rank of a multi-process run (torchrun starts every rank through this entry point)
