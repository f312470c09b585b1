"""The measuring side of bench/gpu_check.sh: one part per call, each appending its rows to `<ws>/rows.jsonl`;
`report` turns those rows (and the script's part and tiny-pipeline records) into the markdown report.

    python bench/gpu_check.py prep   --ws W [--dry] [--per-domain N] [--eval-faces N]
    python bench/gpu_check.py eval   --ws W [--dry] --runs 1:4,32:64,64:64 --max-new-tokens 128
    python bench/gpu_check.py rl     --ws W [--dry] --common "rl.batch_size=64 ..." --variant "rl.max_steps=4 ..."
    python bench/gpu_check.py sft    --ws W [--dry] --steps 4
    python bench/gpu_check.py ds-sft --ws W [--dry] --steps 4 [--config recipes/accelerate/zero2.yaml]
    python bench/gpu_check.py report --ws W --out REPORT --command CMD --seconds S --device NAME

Every part measures the toolkit's own code: eval through `pafas_cli.commands.eval.run`, sft/rl through the
command entry functions (a timing callback slipped into the trainer), DeepSpeed through `accelerate launch ...
-m pafas_cli sft` as a user runs it. Nothing heavy is imported at module level (`report` needs no torch).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
ROWS = "rows.jsonl"
PARTS = "parts.tsv"
TINY = "tiny.tsv"
BIG = "big"
# The architecture measured and the dry run's stand-in (tiny preset, 56x56 images, fp32 on the CPU).
PRESET = {False: ("qwen2.5-vl-3b", 224), True: ("tiny", 56)}
# Column headers of the report's tables.
TRAIN_HEAD = ("step", "seconds", "first optimiser step s", "median later step s", "train time / steps s",
              "peak memory")
EVAL_HEAD = ("batch size", "faces", "max new tokens", "generate + score s", "faces/s", "eval.run s", "peak memory")


# -- shared ---------------------------------------------------------------------------------------------------
def add_row(ws_dir: Path, table: str, cells, note: str | None = None) -> None:
    with (Path(ws_dir) / ROWS).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"table": table, "cells": [str(c) for c in cells], "note": note}) + "\n")


def add_note(ws_dir: Path, table: str, note: str) -> None:
    with (Path(ws_dir) / ROWS).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"table": table, "cells": None, "note": note}) + "\n")


def setup_torch():
    from pafas_cli.env import configure_network

    configure_network(False)
    import torch

    return torch


def memory() -> str:
    import torch

    if torch.cuda.is_available():
        return (f"{torch.cuda.max_memory_allocated() / 2**30:.1f} GiB allocated / "
                f"{torch.cuda.max_memory_reserved() / 2**30:.1f} GiB reserved")
    return f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB RSS (process peak so far)"


def fresh() -> None:
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def workspace(ws_dir: str):
    from pafas_cli.workspace import Workspace

    return Workspace(Path(ws_dir) / BIG)


def latest(ws, stage: str) -> str:
    info = ws.latest(stage)
    if info is None:
        raise SystemExit(f"no complete {stage} version in {ws.root}: did the prep part run?")
    return f"{stage}:{info.version}"


def fmt(x: float | None, digits: int = 2) -> str:
    return "" if x is None else f"{x:.{digits}f}"


def train_runtime(version_dir: Path) -> tuple[float | None, int | None]:
    """The trainer's own train_runtime and the last step, from the version's metrics.jsonl."""
    from pafas_cli.train.callbacks import METRICS_FILE, read_jsonl

    records = read_jsonl(Path(version_dir) / METRICS_FILE)
    final = [r for r in records if "train_runtime" in r]
    steps = [r["step"] for r in records if "step" in r]
    return (float(final[-1]["train_runtime"]) if final else None), (max(steps) if steps else None)


def step_columns(times: list[float], runtime: float | None, steps: int | None) -> list[str]:
    """first step, median of the later steps, train time / steps."""
    later = times[1:] or times
    per_step = runtime / steps if runtime and steps else (sum(times) / len(times) if times else None)
    return [fmt(times[0]) if times else "", fmt(statistics.median(later)) if later else "", fmt(per_step)]


def recipe_extra(dry: bool, section: str) -> list[str]:
    # The paper recipes as they are (bf16 on the GPU); the dry run trains in fp32 on the CPU.
    return [f"{section}.precision=auto"] if dry else []


def run_stage(stage: str, ws, recipe):
    """`pafas sft` / `pafas rl` in this process with a per-step timer; (stage seconds, step times, version)."""
    sys.path.insert(0, str(BENCH))
    from bench_train_overhead import pafas_stage, step_timer

    fresh()
    timer = step_timer()
    t0 = time.perf_counter()
    pafas_stage(stage, ws, recipe, timer)
    return time.perf_counter() - t0, timer.times, ws.latest(stage)


# -- parts ----------------------------------------------------------------------------------------------------
def part_prep(opts) -> None:
    """synth -> build-paths (paper recipe, 64 training samples x 2 paths, dev faces for eval) -> init-model."""
    setup_torch()
    from pafas_cli.commands import build_paths, init_model, synth
    from pafas_cli.config import load_recipe
    from pafas_cli.model.plan import resolve as plan_model
    from pafas_cli.paths.plan import resolve as plan_paths

    preset, side = PRESET[opts.dry]
    ws = workspace(opts.ws)
    t0 = time.perf_counter()
    synth.run(load_recipe("quickstart/synth.yaml", [f"data.synth.per_domain={opts.per_domain}"]), ws)
    add_row(opts.ws, "train", (f"synth ({opts.per_domain} triples per domain)", fmt(time.perf_counter() - t0, 1),
                               "", "", "", ""))
    t0 = time.perf_counter()
    build_paths.run(plan_paths(load_recipe("paper/paths.yaml", [
        f"data.root={ws.latest('synth').path}", "data.n_train=64", f"data.n_dev={opts.eval_faces}",
        "data.n_test=16", "paths.n_paths=2", f"paths.image_size={side}"]), ws))
    add_row(opts.ws, "train", (f"build-paths (64 samples x 2 paths, {opts.eval_faces} dev faces)",
                               fmt(time.perf_counter() - t0, 1), "", "", "", ""))
    fresh()
    t0 = time.perf_counter()
    init_model.run(plan_model(load_recipe("paper/model.yaml", [f"model.preset={preset}", f"model.image_size={side}"]),
                              ws, paths=latest(ws, "paths")))
    add_row(opts.ws, "train", (f"init-model ({preset}, build + save)", fmt(time.perf_counter() - t0, 1), "", "",
                               "", memory()))


def parse_runs(text: str) -> list[tuple[int, int]]:
    """'1:4,32:64' -> [(batch size 1, 4 faces), (32, 64)]."""
    runs = []
    for item in text.replace(" ", "").split(","):
        batch, _, faces = item.partition(":")
        runs.append((int(batch), int(faces or batch)))
    return runs


def part_eval(opts) -> None:
    """`pafas eval` (dev set only) at each batch size; the model is loaded once and warmed up first."""
    torch = setup_torch()
    import pafas_cli.commands.eval as eval_cmd
    import pafas_cli.infer.predict as predict_mod
    from pafas_cli.config import load_recipe
    from pafas_cli.infer.plan import resolve_eval
    from pafas_cli.paths.store import load_eval
    from pafas_cli.paths.taxonomy import version_taxonomy

    ws = workspace(opts.ws)
    model, paths = latest(ws, "model"), latest(ws, "paths")
    # One load for every run: eval.run loads its model through this name (a 3B load is several seconds).
    loads: dict[str, object] = {}
    original_load = getattr(eval_cmd, "load_for_inference", None)
    if original_load is not None:
        def load_once(ref, ws_, recipe):
            if ref not in loads:
                loads[ref] = original_load(ref, ws_, recipe)
            return loads[ref]
        eval_cmd.load_for_inference = load_once
    # Time the generate + score calls (score_set imports predict from its module at call time).
    calls: list[tuple[float, int, list]] = []
    original_predict = predict_mod.predict

    def timed_predict(model_, processor, batches, total, *args, **kwargs):
        start = time.perf_counter()
        out = original_predict(model_, processor, batches, total, *args, **kwargs)
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        calls.append((time.perf_counter() - start, total, out))
        return out

    predict_mod.predict = timed_predict
    t0 = time.perf_counter()
    warm = load_recipe("paper/eval.yaml", ["eval.max_new_tokens=8"])
    loader = getattr(eval_cmd, "load_for_inference", None)
    if loader is None:
        from pafas_cli.infer.models import load_for_inference as loader
    loaded = loader(model, ws, warm)
    paths_dir = ws.resolve(paths, stage="paths").path
    face = load_eval(paths_dir, "dev").select(range(1))
    original_predict(loaded.model, loaded.processor, [(face["prompt"], face["images"])], 1,
                     version_taxonomy(paths_dir), 8, show_progress=False)
    add_note(opts.ws, "eval", f"Model {model} loaded once and warmed up on one face (8 new tokens): "
                              f"{time.perf_counter() - t0:.1f} s.")
    for batch, faces in parse_runs(opts.runs):
        recipe = load_recipe("paper/eval.yaml", [f"eval.batch_size={batch}", f"eval.max_samples={faces}",
                                                 f"eval.max_new_tokens={opts.max_new_tokens}"])
        fresh()
        calls.clear()
        start = time.perf_counter()
        eval_cmd.run(resolve_eval(recipe, ws, [model], paths=paths, split="dev"))
        whole = time.perf_counter() - start
        seconds = sum(c[0] for c in calls) or whole
        done = sum(c[1] for c in calls) or faces
        # (No tokens/s: the decoded text of a random model says nothing of how many ids it generated.)
        add_row(opts.ws, "eval", (batch, done, opts.max_new_tokens, fmt(seconds), fmt(done / seconds), fmt(whole, 1),
                                  memory()))
    if not calls:
        add_note(opts.ws, "eval", "(predict was not timed: eval.run no longer calls pafas_cli.infer.predict.predict "
                                  "through its module; the seconds are whole eval.run calls)")


def part_rl(opts) -> None:
    """One GRPO variant: paper recipe + --common + --variant settings, from the init-model version."""
    setup_torch()
    from pafas_cli.config import load_recipe

    ws = workspace(opts.ws)
    sets = shlex.split(opts.common) + shlex.split(opts.variant)
    recipe = load_recipe("paper/grpo.yaml", [
        f"rl.model={latest(ws, 'model')}", f"rl.paths={latest(ws, 'paths')}", "rl.logging_steps=1",
        "rl.save_steps=0", *recipe_extra(opts.dry, "rl"), *sets])
    cfg = recipe.rl
    seconds, times, version = run_stage("rl", ws, recipe)
    runtime, steps = train_runtime(version.path)
    per_gen = getattr(cfg, "steps_per_generation", 1)
    shape = (f"{cfg.prompts_per_step(1)} prompts x G {cfg.num_generations}, {cfg.max_completion_length} new tokens, "
             f"{per_gen} step(s) per generation")
    add_row(opts.ws, "train", (f"rl `{opts.variant}` ({len(times)} steps, {shape}; stage incl. load + save)",
                               fmt(seconds, 1), *step_columns(times, runtime, steps), memory()))


def part_sft(opts) -> None:
    """Plain one-process SFT (paper recipe) from the init-model version, for comparison with DeepSpeed."""
    setup_torch()
    from pafas_cli.config import load_recipe

    ws = workspace(opts.ws)
    recipe = load_recipe("paper/sft.yaml", [
        f"sft.model={latest(ws, 'model')}", f"sft.paths={latest(ws, 'paths')}", f"sft.max_steps={opts.steps}",
        "sft.logging_steps=1", "sft.save_steps=0", *recipe_extra(opts.dry, "sft")])
    cfg = recipe.sft
    seconds, times, version = run_stage("sft", ws, recipe)
    runtime, steps = train_runtime(version.path)
    add_row(opts.ws, "train", (f"sft, one process, no DeepSpeed ({len(times)} steps, {cfg.batch_size} x "
                               f"{cfg.grad_accum} rows; stage incl. load + save)", fmt(seconds, 1),
                               *step_columns(times, runtime, steps), memory()))


class GpuMemoryPoll:
    """The largest `memory.used` nvidia-smi reports (whole GPU) while it runs; None without nvidia-smi."""

    def __init__(self):
        self.peak_mib: float | None = None
        self.proc = None
        try:
            self.proc = subprocess.Popen(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits",
                                          "-lms", "250"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        except OSError:
            return
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            try:
                value = float(line.strip().split()[0])
            except (ValueError, IndexError):
                continue
            self.peak_mib = value if self.peak_mib is None else max(self.peak_mib, value)

    def stop(self) -> float | None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        return self.peak_mib


def tensorboard_works() -> bool:
    """Whether the trainer can log to TensorBoard and its events can be read back (the step times come from them)."""
    try:
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: F401
        from torch.utils.tensorboard import SummaryWriter  # noqa: F401
    except Exception:  # noqa: BLE001 - any import failure means: no step times, train anyway
        return False
    return True


def event_step_times(runs_dir: Path) -> list[float]:
    """Seconds between consecutive logged steps (logging_steps 1) from TensorBoard's wall times: steps 2..n."""
    try:
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    except ImportError:
        return []
    acc = EventAccumulator(str(runs_dir))
    acc.Reload()
    if "train/loss" not in acc.Tags().get("scalars", []):
        return []
    walls: dict[int, float] = {}
    for event in acc.Scalars("train/loss"):
        walls.setdefault(event.step, event.wall_time)
    ordered = [walls[s] for s in sorted(walls)]
    return [b - a for a, b in zip(ordered, ordered[1:])]


def saved_keys(model_dir: Path) -> set[str]:
    index = model_dir / "model.safetensors.index.json"
    if index.is_file():
        return set(json.loads(index.read_text())["weight_map"])
    from safetensors import safe_open

    with safe_open(str(model_dir / "model.safetensors"), "pt") as fh:
        return set(fh.keys())


def part_ds_sft(opts) -> None:
    """`accelerate launch --config_file zero2.yaml --num_processes 1 -m pafas_cli sft --recipe paper/sft.yaml`."""
    from pafas_cli.workspace import Workspace

    ws = Workspace(Path(opts.ws) / BIG)
    before = ws.latest("sft")
    tensorboard = tensorboard_works()
    sets = [f"sft.model={latest(ws, 'model')}", f"sft.paths={latest(ws, 'paths')}", f"sft.max_steps={opts.steps}",
            "sft.logging_steps=1", "sft.save_steps=0", *recipe_extra(opts.dry, "sft"),
            *(["sft.report_to=[tensorboard]"] if tensorboard else [])]
    # The dry run trains in fp32 on the CPU, so accelerate's bf16 (from the config) is turned off there.
    launch = ["--config_file", opts.config, "--num_processes", "1", *(["--mixed_precision", "no"] if opts.dry else [])]
    args = ["-m", "pafas_cli", "--workspace", str(ws.root), "sft", "--recipe", "paper/sft.yaml"]
    for s in sets:
        args += ["--set", s]
    cmd = [sys.executable, "-m", "accelerate.commands.launch", *launch, *args]
    print("accelerate launch " + " ".join(shlex.quote(a) for a in launch + args), flush=True)
    poll = GpuMemoryPoll() if not opts.dry else None
    log: list[str] = []
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO)
    for line in proc.stdout:
        sys.stdout.write(line)
        log.append(line)
    code = proc.wait()
    seconds = time.perf_counter() - t0
    peak = poll.stop() if poll else None
    if code != 0:
        raise SystemExit(f"accelerate launch exited with {code}")
    after = ws.latest("sft")
    if after is None or (before is not None and after.version == before.version):
        raise SystemExit("accelerate launch exited 0 but wrote no new sft version")
    text = "".join(log)
    engaged = "DeepSpeed" in text or "deepspeed" in text
    compiled = any(s in text for s in ("Time to load", "built successfully", "Building extension module"))
    runtime, steps = train_runtime(after.path)
    later = event_step_times(after.path / "runs") if tensorboard else []
    first = (runtime - sum(later)) if runtime and later else None
    median_later = statistics.median(later) if later else None
    if peak is not None:
        mem = f"{peak / 1024:.1f} GiB used (nvidia-smi peak, whole GPU)"
    else:
        mem = f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20:.2f} GiB RSS (largest process)"
    init = saved_keys(ws.resolve(latest(ws, "model")).path / "model")
    saved = saved_keys(after.path / "model")
    extra, missing = sorted(saved - init), sorted(init - saved)
    keys = ("the same tensors as the init-model" if not extra and not missing else
            f"the init-model's tensors{' + ' + ', '.join(extra) if extra else ''}"
            f"{'; MISSING ' + ', '.join(missing[:3]) if missing else ''}")
    add_row(opts.ws, "train", (f"sft, DeepSpeed ZeRO-2, 1 process (`accelerate launch --config_file {opts.config} "
                               f"--num_processes 1 -m pafas_cli sft --recipe paper/sft.yaml`; {steps} steps; launch "
                               f"to exit, incl. start-up, load + save)", fmt(seconds, 1),
                               fmt(first) + (" (approx.)" if first is not None else ""), fmt(median_later),
                               fmt(runtime / steps if runtime and steps else None), mem))
    add_note(opts.ws, "train", f"DeepSpeed run: saved {after.path.name} with {len(saved)} tensors, {keys}; "
                               f"DeepSpeed named in its output: {'yes' if engaged else 'no'}; an op compiled at run "
                               f"time: {'YES' if compiled else 'no'}; its step times from TensorBoard event wall "
                               f"times{'' if later else ' (not available)'}.")


# -- report ---------------------------------------------------------------------------------------------------
def table(head, rows) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + ["| " + " | ".join(r) + " |" for r in rows]


def notes(records: list[dict]) -> list[str]:
    found = [r["note"] for r in records if r["note"] and not r["cells"]]
    return [" ".join(found), ""] if found else []


def read_tsv(path: Path) -> list[list[str]]:
    if not path.is_file():
        return []
    return [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def part_report(opts) -> None:
    from pafas_cli.workspace import package_versions

    ws_dir = Path(opts.ws)
    records = [json.loads(line) for line in (ws_dir / ROWS).read_text(encoding="utf-8").splitlines()
               if line.strip()] if (ws_dir / ROWS).is_file() else []
    versions = package_versions()
    try:
        from importlib.metadata import version

        versions["deepspeed"] = version("deepspeed")
    except Exception:  # noqa: BLE001 - not installed
        versions["deepspeed"] = "not installed"
    preset, side = PRESET[opts.dry]
    out = [f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `{opts.command}` in {opts.seconds} s "
           f"on {opts.device}.",
           "Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()) + ".", ""]
    train = [r for r in records if r["table"] == "train"]
    evals = [r for r in records if r["table"] == "eval"]
    if train:
        out += [f"Qwen2.5-VL architecture preset `{preset}`, random weights, {side}x{side} images (3 per sample), "
                "paper recipes (bf16 on a GPU, gradient checkpointing); GRPO: " + (opts.rl_common or "") + ".", ""]
        out += table(TRAIN_HEAD, [r["cells"] for r in train if r["cells"]]) + [""]
        out += notes(train)
    if evals:
        out += ["Eval through the toolkit's own code (`pafas_cli.commands.eval.run`, dev set: greedy generation "
                "with left padding and KV cache, parsing, the liveness score), one row per `eval.batch_size`; "
                "random weights never emit the end token, so every face generates up to max new tokens:", ""]
        out += table(EVAL_HEAD, [r["cells"] for r in evals if r["cells"]]) + [""]
        out += notes(evals)
    parts = read_tsv(ws_dir / PARTS)
    if parts:
        out += ["Parts (each under its own time limit; a failed part does not stop the others):", ""]
        out += table(("part", "status", "wall s", "limit s"), [p[:4] for p in parts])
        out.append("")
        for p in parts:
            if p[1] != "ok" and len(p) > 4 and Path(p[4]).is_file():
                tail = [l for l in Path(p[4]).read_text(encoding="utf-8", errors="replace").splitlines()
                        if l.strip()][-8:]
                out += [f"Last lines of `{p[0]}`:", "", "```", *tail, "```", ""]
    tiny = read_tsv(ws_dir / TINY)
    if tiny:
        out += [f"Tiny pipeline end to end (`python -m pafas_cli` per stage, start-up included; synth "
                f"{opts.per_domain} triples per domain):", ""]
        out += table(("stage", "wall s", "status"), tiny)
        out.append("")
    text = "\n".join(out).rstrip() + "\n"
    Path(opts.out).parent.mkdir(parents=True, exist_ok=True)
    Path(opts.out).write_text(text, encoding="utf-8")
    print(text)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=("prep", "eval", "rl", "sft", "ds-sft", "report"))
    parser.add_argument("--ws", required=True, help="the check's scratch folder (the script's $WS)")
    parser.add_argument("--dry", action="store_true", help="tiny preset, 56x56 images, fp32 on the CPU")
    parser.add_argument("--per-domain", type=int, default=200)
    parser.add_argument("--eval-faces", type=int, default=64, help="dev faces built (the eval runs draw from them)")
    parser.add_argument("--runs", default="1:4,32:64,64:64", help="eval runs, BATCH:FACES,...")
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--common", default="", help="--set strings every GRPO variant gets")
    parser.add_argument("--variant", default="", help="this GRPO variant's --set strings (after --common)")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--config", default="recipes/accelerate/zero2.yaml")
    parser.add_argument("--out", help="report: the markdown file")
    parser.add_argument("--command", default="bash bench/gpu_check.sh")
    parser.add_argument("--seconds", default="?")
    parser.add_argument("--device", default="?")
    parser.add_argument("--rl-common", default="")
    opts = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    {"prep": part_prep, "eval": part_eval, "rl": part_rl, "sft": part_sft, "ds-sft": part_ds_sft,
     "report": part_report}[opts.part](opts)


if __name__ == "__main__":
    main()
