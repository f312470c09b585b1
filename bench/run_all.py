"""All benchmarks in one go (`make bench`): prints one table and writes docs/bench.md with the machine described.

On a fresh workspace (bench/out/ws, removed first) it measures
  - every stage as a user runs it (`python -m pafas_cli <stage>` in a child process): wall time and peak RSS
    (the largest process of the stage's tree, from wait4), tiny model, short SFT/GRPO;
  - build-paths throughput, N = 50 against N = 1 paths per sample: SFT rows per second and disk size;
  - eval throughput, batched against batch size 1 (bench/bench_eval.py);
  - sft/rl step time against a bare TRL script (bench/bench_train_overhead.py);
  - `pafas serve` on loopback: throughput and p50/p95 latency, 16 concurrent clients against one at a time
    (bench/bench_serve.py), then a soak: 16 clients for --soak-seconds (300), errors by code, the server's RSS
    in the first vs the last minute, p50/p95 (bench/bench_soak.py);
  - with --demo (what `make bench` runs): the end-to-end demo, `bash scripts/demo.sh`, and one reproduction cell,
    `bash bench/cell.sh`, each at DEMO_BASELINE (the commit before the speed work) and at this checkout, back to
    back, each in a fresh workspace; then, on the
    demo's trained models, eval throughput (bench/bench_eval.py), GRPO step time and rewards against bare TRL
    (bench/bench_rl.py), memory over a 200-step GRPO run (bench/bench_memory.py), pafas' decoder against
    generate (bench/bench_decode.py), the image cache (bench/bench_image_cache.py), each speed lever's share of
    an optimiser step (bench/bench_levers.py) and torch threads under load (bench/bench_threads.py).

    python bench/run_all.py                      # about 10 minutes on the 2-core development machine
    python bench/run_all.py --demo               # + demo and cell at the baseline and here, trained-model benchmarks (hours)
    python bench/run_all.py --demo-workspace workspace/demo  # the trained-model benchmarks on a finished demo
    python bench/run_all.py --record-gpu LOG.md  # only put a bench/gpu_check.sh report into docs/bench.md

docs/bench.md keeps one section per source between HTML comment markers, so a run rewrites its own section
and leaves the demo and GPU sections of earlier runs in place.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pafas_cli.env import configure_network

configure_network(False)

import pafas_cli.console as pafas_console  # noqa: E402  (after the offline environment is set)
from pafas_cli.console import console, rows_table  # noqa: E402
from pafas_cli.workspace import Workspace, git_revision, package_versions  # noqa: E402

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

# The commit the demo is compared with: the last one before the second speed round (#27).
DEMO_BASELINE = "9be66fc"

SECTIONS = {
    "run_all": ("Benchmarks (`bench/run_all.py`)", "Not measured yet: run `make bench`."),
    "demo": ("End-to-end demo", "Not measured yet: run `python bench/run_all.py --demo`."),
    "gpu": ("GPU check (`bench/gpu_check.sh`)", "Not run on a GPU yet: see bench/README.md."),
}


@dataclass
class StageRun:
    name: str
    args: list[str]
    seconds: float
    peak_rss_mib: float
    ref: str | None


# -- machine ------------------------------------------------------------------------------------------------
def machine() -> dict[str, str]:
    """CPU, cores, memory, torch threads, OS and package versions of this machine."""
    import torch

    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    mem = re.search(r"MemTotal:\s+(\d+) kB", _read("/proc/meminfo"))
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    versions = package_versions()
    return {
        "CPU": cpu,
        "cores (usable / online)": f"{usable} / {os.cpu_count()}",
        "memory": f"{int(mem.group(1)) / 2**20:.1f} GiB" if mem else "unknown",
        "torch threads": str(torch.get_num_threads()),
        "GPU": gpu,
        "OS": platform.platform(),
        "versions": ", ".join(f"{k} {v}" for k, v in versions.items()),
        "git revision": git_revision() or "unknown",
    }


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


# -- stages as child processes ------------------------------------------------------------------------------
def run_child(command: Sequence[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run a command to the end; (wall seconds, peak RSS in MiB of the largest process of its tree)."""
    started = time.perf_counter()
    proc = subprocess.Popen(list(command), cwd=REPO, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if proc.returncode:
        raise SystemExit(f"failed ({proc.returncode}): {shlex.join(command)}")
    return seconds, usage.ru_maxrss / 1024


def stage(ws: Workspace, name: str, args: list[str]) -> StageRun:
    command = [sys.executable, "-m", "pafas_cli", "--workspace", str(ws.root), *args]
    console.rule(f"{name}: {shlex.join(args)}")
    seconds, rss = run_child(command)
    kind = args[0].replace("build-paths", "paths").replace("init-model", "model")
    info = ws.latest(kind)
    return StageRun(name, args, seconds, rss, f"{kind}:{info.version}" if info else None)


def manifest_metrics(ws: Workspace, ref: str) -> dict:
    return json.loads((ws.resolve(ref).path / "manifest.json").read_text()).get("metrics", {})


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# -- the two in-process benchmarks --------------------------------------------------------------------------
@contextmanager
def captured_tables() -> Iterator[list[tuple[str, list[str], list[list[Any]]]]]:
    """Record what `rows_table` is asked to show (the benchmark scripts report through it) and the console text."""
    seen: list[tuple[str, list[str], list[list[Any]]]] = []
    original = pafas_console.rows_table

    def recording(title, columns, rows):
        rows = [list(r) for r in rows]
        seen.append((title, list(columns), rows))
        return original(title, columns, rows)

    pafas_console.rows_table = recording
    console.record = True
    try:
        yield seen
    finally:
        pafas_console.rows_table = original
        console.record = False


def run_script_main(module: str, argv: list[str]) -> tuple[list[tuple[str, list[str], list[list[Any]]]], str]:
    """Run `bench/<module>.py`'s main() here with `argv`; returns its tables and its printed text."""
    import importlib

    main: Callable[[], None] = importlib.import_module(module).main
    saved = sys.argv
    sys.argv = [f"{module}.py", *argv]
    console.rule(f"{module}: {shlex.join(argv)}")
    try:
        with captured_tables() as tables:
            main()
            text = console.export_text(clear=True)
    finally:
        sys.argv = saved
    return tables, text


# -- docs/bench.md ------------------------------------------------------------------------------------------
def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    out += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    return out


def update_section(doc: str, name: str, body: str) -> str:
    """Replace the text between this section's markers (adding the section if the file lacks it)."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    block = f"{begin}\n{body.rstrip()}\n{end}"
    if begin in doc and end in doc:
        head, rest = doc.split(begin, 1)
        return head + block + rest.split(end, 1)[1]
    title = SECTIONS[name][0]
    return doc.rstrip() + f"\n\n## {title}\n\n{block}\n"


def write_doc(path: Path, sections: dict[str, str]) -> None:
    if path.is_file():
        doc = path.read_text(encoding="utf-8")
    else:
        doc = ("# Measured performance\n\nEvery number here was measured on the machine each section describes; "
               "rerun the command a section names to refresh it.\n")
        for name, (_, placeholder) in SECTIONS.items():
            doc = update_section(doc, name, placeholder)
    for name, body in sections.items():
        doc = update_section(doc, name, body)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc, encoding="utf-8")


# -- the run ------------------------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--workspace", type=Path, default=REPO / "bench" / "out" / "ws")
    parser.add_argument("--doc", type=Path, default=REPO / "docs" / "bench.md")
    parser.add_argument("--per-domain", type=int, default=1000, help="synthetic triples per domain (pafas default)")
    parser.add_argument("--eval-faces", type=int, default=64, help="dev and test faces each for the eval stage")
    parser.add_argument("--sft-steps", type=int, default=60)
    parser.add_argument("--rl-steps", type=int, default=6)
    parser.add_argument("--bench-faces", type=int, default=64, help="faces for batched vs batch-1 eval")
    parser.add_argument("--overhead-sft-steps", type=int, default=30)
    parser.add_argument("--overhead-rl-steps", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=2, help="alternations of bare TRL and pafas")
    parser.add_argument("--soak-seconds", type=float, default=300.0, help="duration of the serve soak")
    parser.add_argument("--demo", action="store_true",
                        help="also time the demo here and at --baseline, and benchmark the demo's trained models")
    parser.add_argument("--demo-workspace", type=Path, metavar="DIR",
                        help="benchmark the trained models of this finished demo workspace (as --demo does after "
                             "its demos) without timing the demos; docs/bench.md's demo section is left as it is")
    parser.add_argument("--baseline", default=DEMO_BASELINE, help="the commit whose demo this one is compared with")
    parser.add_argument("--memory-steps", type=int, default=200, help="GRPO steps of the memory run (--demo)")
    parser.add_argument("--rl-speed-steps", type=int, default=30, help="GRPO steps per arm of bench_rl (--demo)")
    parser.add_argument("--record-gpu", type=Path, metavar="REPORT",
                        help="put this bench/gpu_check.sh report into docs/bench.md and stop")
    opts = parser.parse_args()

    if opts.record_gpu:
        write_doc(opts.doc, {"gpu": opts.record_gpu.read_text(encoding="utf-8")})
        console.print(f"recorded {opts.record_gpu} in {opts.doc}")
        return 0

    argv = " ".join(shlex.quote(a) for a in sys.argv[1:])
    command = f"python bench/run_all.py {argv}".strip()
    started, load_start = time.perf_counter(), load()
    info = machine()
    console.print(rows_table("machine", ("", ""), list(info.items())))

    if opts.workspace.exists():
        shutil.rmtree(opts.workspace)
    ws = Workspace(opts.workspace)
    # build-paths reads synth:latest only when it was drawn with the recipe's synth settings, so both get them.
    data = [f"--set=data.synth.per_domain={opts.per_domain}"]
    n_caps = [*data, f"--set=data.n_dev={opts.eval_faces}", f"--set=data.n_test={opts.eval_faces}"]
    runs = [stage(ws, "synth", ["synth", *data])]
    runs.append(stage(ws, "build-paths N=1", ["build-paths", "--set=paths.n_paths=1", *n_caps]))
    runs.append(stage(ws, "build-paths N=50", ["build-paths", "--set=paths.n_paths=50", *n_caps]))
    paths = runs[-1].ref
    runs.append(stage(ws, "init-model", ["init-model", f"--paths={paths}"]))
    runs.append(stage(ws, f"sft ({opts.sft_steps} steps)", [
        "sft", f"--set=sft.model={runs[-1].ref}", f"--set=sft.paths={paths}", f"--set=sft.max_steps={opts.sft_steps}",
        "--set=sft.save_steps=0"]))
    runs.append(stage(ws, f"rl ({opts.rl_steps} step{'s' if opts.rl_steps != 1 else ''})", [
        "rl", f"--set=rl.model={runs[-1].ref}", f"--set=rl.paths={paths}", f"--set=rl.max_steps={opts.rl_steps}",
        "--set=rl.save_steps=0"]))
    model = runs[-1].ref
    runs.append(stage(ws, f"eval ({2 * opts.eval_faces} faces)", ["eval", f"--model={model}", f"--paths={paths}"]))

    over_tables, _ = run_script_main("bench_train_overhead", [
        "--workspace", str(ws.root), "--sft-steps", str(opts.overhead_sft_steps), "--rl-steps",
        str(opts.overhead_rl_steps), "--repeats", str(opts.repeats)])
    serve_tables, serve_text = run_script_main("bench_serve", [
        "--workspace", str(ws.root), "--model", str(model), "--paths", str(paths)])
    soak_tables, soak_text = run_script_main("bench_soak", [
        "--workspace", str(ws.root), "--model", str(model), "--paths", str(paths), "--duration",
        f"{opts.soak_seconds:g}"])
    trained = []
    if opts.demo or opts.demo_workspace:
        # The speed-ups depend on what a trained model writes (answers that close, lengths): measure them on
        # the demo's models, not on the few-step ones above.
        if opts.demo_workspace:
            demo_ws = opts.demo_workspace.resolve()
        else:
            demo_text, demo_ws = timed_ab(opts.baseline, "scripts/demo.sh", "demo", "`make demo` minus the install",
                                          0.6)
            cell_text, _ = timed_ab(opts.baseline, "bench/cell.sh", "cell", "One reproduction cell at the grid's "
                                    "default settings (W, seed 0: raw-label SFT and PA-FAS SFT+GRPO with their evals)",
                                    0.5)
            demo_text += "\n\n" + cell_text
        eval_tables, eval_text = run_script_main("bench_eval", [
            "--workspace", str(demo_ws), "--model", "rl:latest", "--faces", str(4 * opts.bench_faces)])
        trained.append(("**eval on the demo's GRPO model**", eval_tables, eval_text))
        rl_tables, rl_text = run_script_main("bench_rl", [
            "--workspace", str(demo_ws), "--steps", str(opts.rl_speed_steps), "--repeats", str(opts.repeats)])
        trained.append(("**GRPO against bare TRL, from the demo's SFT model**", rl_tables, rl_text))
        memory_tables, memory_text = run_script_main("bench_memory", [
            "--workspace", str(demo_ws), "--steps", str(opts.memory_steps)])
        trained.append(("**memory over a long GRPO run, from the demo's SFT model**", memory_tables, memory_text))
        for module, heading, argv in (
                ("bench_decode", "**decoding: pafas' loop against transformers' generate, the demo's GRPO model**",
                 ["--model", "rl:latest", "--faces", str(2 * opts.bench_faces)]),
                ("bench_image_cache", "**the per-image processor cache**", []),
                ("bench_levers", "**each speed lever on its own, one optimiser step, from the demo's models**",
                 ["--repeats", str(opts.repeats)]),
                ("bench_threads", "**torch threads under competing load, from the demo's models**",
                 ["--repeats", str(opts.repeats)])):
            tables, text = run_script_main(module, ["--workspace", str(demo_ws), *argv])
            trained.append((heading, tables, text))
    else:
        eval_tables, eval_text = run_script_main("bench_eval", [
            "--workspace", str(ws.root), "--model", str(model), "--paths", str(paths), "--faces",
            str(opts.bench_faces)])
        trained.append(("**eval** (the few-step model above, whose answers rarely close: run with --demo for a "
                        "trained one)", eval_tables, eval_text))

    sections = {"run_all": report(info, command, runs, ws, trained, over_tables, load_start,
                                  time.perf_counter() - started, serve=(serve_tables, serve_text),
                                  soak=(soak_tables, soak_text))}
    if opts.demo and not opts.demo_workspace:
        sections["demo"] = demo_text
    write_doc(opts.doc, sections)
    console.print(rows_table("stages (child processes)", ("stage", "wall s", "peak RSS MiB"),
                             [(r.name, round(r.seconds, 1), round(r.peak_rss_mib)) for r in runs]))
    for title, columns, rows in ([t for _, tables, _ in trained for t in tables] + over_tables + serve_tables
                                 + soak_tables):
        console.print(rows_table(title, columns, rows))
    console.print(f"wrote {opts.doc} ({(time.perf_counter() - started) / 60:.1f} min)")
    return 0


def throughput(ws: Workspace, runs: list[StageRun]) -> tuple[list[list[Any]], str]:
    """build-paths rows per second and disk size, N = 1 against N = 50."""
    rows, sizes = [], []
    for r in runs:
        if not r.name.startswith("build-paths"):
            continue
        m = manifest_metrics(ws, r.ref)
        root = ws.resolve(r.ref).path
        total, sft = folder_bytes(root), folder_bytes(root / "sft")
        sizes.append((total, sft))
        rows.append([r.name.split()[-1], m["rows_sft"], m["build_seconds"], round(m["rows_sft"] / m["build_seconds"]),
                     round(r.seconds, 1), f"{total / 2**20:.1f}", f"{sft / 2**20:.2f}"])
    (t1, s1), (t50, s50) = sizes
    ratio = f"N=50 / N=1 disk size: {t50 / t1:.2f}x the whole version, {s50 / s1:.1f}x the sft/ table " \
            f"(for {rows[1][1] / rows[0][1]:.0f}x the rows)"
    return rows, ratio


def report(info: dict[str, str], command: str, runs: list[StageRun], ws: Workspace, trained: list,
           over_tables: list, load_start: str, seconds: float, serve: tuple[list, str] = ([], ""),
           soak: tuple[list, str] = ([], "")) -> str:
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"Measured {when} by `{command}` ({seconds / 60:.1f} min; load average 1/5/15 min at start "
             f"{load_start}, at end {load()}; the machine is shared, so times move with its load).", "",
             *markdown_table(("machine", ""), list(info.items())), "",
             "**Stages as a user runs them** (`python -m pafas_cli <stage>` in a child process, Python start-up "
             "included; peak RSS of the largest process of the stage's tree, from `wait4`):", "",
             *markdown_table(("stage", "wall s", "peak RSS MiB", "output"),
                             [(r.name, f"{r.seconds:.1f}", f"{r.peak_rss_mib:.0f}", r.ref) for r in runs])]
    rows, ratio = throughput(ws, runs)
    lines += ["", "**build-paths throughput** (build seconds from the manifest: sampling, shuffling, writing the "
              "tables and resizing every image of train/dev/test once):", "",
              *markdown_table(("paths per sample", "SFT rows", "build s", "SFT rows / s", "wall s", "version MiB",
                               "sft/ MiB"), rows), "", ratio + "."]
    lines += ["", "**sft / rl against bare TRL, same settings** (`bench/bench_train_overhead.py`; the toolkit's "
              "overhead: median optimiser-step time after 3 warm-up steps, alternating runs):"]
    for title, columns, trows in over_tables:
        lines += ["", f"_{title}_", "", *markdown_table(columns, trows)]
    for heading, tables, text in trained:
        lines += ["", heading + ":"]
        for title, columns, trows in tables:
            lines += ["", f"_{title}_", "", *markdown_table(columns, trows)]
        lines += ["", *(f"- {line.strip()}." for line in text.splitlines()
                        if re.match(r"\s*(batch \d+, .*answers identical|mean generated|rewards|RSS at|GPU allocated|"
                                    r"step time|eval: pafas tokens|rollouts, |SFT: the filling|GRPO: tensors)", line))]
    serve_tables, serve_text = serve
    if serve_tables:
        lines += ["", "**`pafas serve` under load** (`bench/bench_serve.py`: the server as a child process on "
                  "127.0.0.1, real multipart requests; latency as the client sees it; after 2 warm-up requests, "
                  "one client at a time, then 16 clients each sending its next request when answered):"]
        for title, columns, trows in serve_tables:
            lines += ["", f"_{title}_", "", *markdown_table(columns, trows)]
        verdict = re.search(r"speed-up at .*", serve_text)
        if verdict:
            lines += ["", verdict.group(0).strip() + "."]
    soak_tables, soak_text = soak
    if soak_tables:
        lines += ["", "**`pafas serve` soak** (`bench/bench_soak.py`: the same server set-up, closed-loop clients for "
                  "a fixed time; the server's RSS sampled every second; a long-running server must answer every "
                  "request and hold its memory flat):"]
        for title, columns, trows in soak_tables:
            lines += ["", f"_{title}_", "", *markdown_table(columns, trows)]
        errors = re.search(r"soak errors by code: .*", soak_text)
        if errors:
            lines += ["", errors.group(0).strip() + "."]
    return "\n".join(lines)


def timed_ab(baseline: str, script: str, name: str, what: str, target: float) -> tuple[str, Path]:
    """`bash <script>` (a path in the checkout) at `baseline` and at this checkout, back to back, each in a fresh
    workspace, with each side's own defaults (threads included: a user gets them).

    The baseline runs from a git worktree of that commit with this checkout's virtualenv; PYTHONPATH puts
    the worktree's package ahead of the editable install (a script the baseline lacks is run from this checkout,
    with the baseline's package). Returns the section text and this checkout's workspace (the demo's models feed
    the benchmarks that need trained models)."""
    out = REPO / "bench" / "out"
    tree = out / f"baseline-{baseline}"
    if not tree.exists():
        subprocess.run(["git", "worktree", "add", "--detach", "--force", str(tree), baseline], cwd=REPO, check=True)
    link = tree / ".venv"
    if not link.exists():
        link.symlink_to(REPO / ".venv")
    base_script = tree / script if (tree / script).is_file() else REPO / script
    runs = []
    for label, root, path, extra in (
            (f"baseline {baseline}", out / f"ws-{name}-baseline", base_script, {"PYTHONPATH": str(tree)}),
            (f"this checkout ({git_revision()})", out / f"ws-{name}", REPO / script, {})):
        if root.exists():
            shutil.rmtree(root)
        env = {**{k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")},
               "PAFAS_WORKSPACE": str(root), **extra}
        load_start = load()
        console.rule(f"{name}: {label}")
        seconds, rss = run_child(["bash", str(path)], env=env)
        runs.append((label, seconds, rss, load_start, load()))
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    (_, base, *_), (_, ours, *_) = runs
    rows = [(n, f"{s:.0f}", f"{s / 60:.1f}", f"{r:.0f}", a, b) for n, s, r, a, b in runs]
    text = "\n".join([
        f"{what} (`bash {script}`, each in a fresh workspace under bench/out/, each with its own default thread "
        f"count), at commit {baseline} and at this checkout, back to back; measured {when} by `python "
        f"bench/run_all.py --demo` on the machine described in the benchmark section above.", "",
        *markdown_table((name, "wall s", "min", "peak RSS MiB", "load at start", "load at end"), rows), "",
        f"This checkout took **{ours / base:.2f}x** the baseline's wall time (target: at most {target:g}x, #27)."])
    return text, out / f"ws-{name}"


if __name__ == "__main__":
    sys.exit(main())
