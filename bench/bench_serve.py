"""`pafas serve` under load: throughput and latency with 16 concurrent clients against one client at a time.

Starts `python -m pafas_cli serve --port 0` on the loopback address (127.0.0.1 only) as a child process,
sends real multipart requests with the standard-library client (`pafas_cli.serve.client`), and stops the
server when done. The load is bounded twice: a fixed number of requests per phase and a time limit per
phase (a phase that reaches it stops and says so). Faces are the paths version's stored RGB / depth / IR
files, cycled in the same order in both phases.

    python bench/bench_serve.py --workspace workspace --model rl:latest
    python bench/bench_serve.py --clients 16 --requests 128 --serial 32

Phases, after two untimed warm-up requests: `serial` (one client, one request at a time) and `concurrent`
(`--clients` threads, each sending its next request as soon as its previous one is answered). Reported per
phase: requests/s, latency p50 / p95 as the client sees it, the mean batch the server ran (its /healthz
counts), and the speed-up of concurrent over serial; the answers given under load are compared with the
serial answers of the same faces (micro-batching must not change what the model says).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pafas_cli.env import configure_network

configure_network(False)

HOST = "127.0.0.1"  # loopback only: the load never leaves this machine
TARGET_SPEEDUP = 4.0


@dataclass
class Phase:
    name: str
    clients: int
    latencies: list[float] = field(default_factory=list)
    answers: dict[int, tuple[str, float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    stopped_early: bool = False
    batches: dict[str, Any] = field(default_factory=dict)

    @property
    def done(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        values = sorted(self.latencies)
        if not values:
            return float("nan")
        return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))] * 1000


def stored_faces(ws: Any, paths_ref: str, count: int) -> list[dict[str, Path]]:
    """`count` faces of the paths version (its resized images, NAME_rgb/_depth/_ir.png), as modality -> file."""
    root = ws.resolve(paths_ref, stage="paths").path / "images"
    faces = []
    for rgb in sorted(root.glob("*_rgb.png")):
        stem = rgb.name[: -len("_rgb.png")]
        files = {m: root / f"{stem}_{m}.png" for m in ("rgb", "depth", "ir")}
        if all(f.is_file() for f in files.values()):
            faces.append(files)
        if len(faces) >= count:
            break
    if not faces:
        raise SystemExit(f"no faces with all three images under {root}")
    return faces


def start_server(workspace: Path, model: str, extra: list[str], timeout: float = 180.0) -> tuple[subprocess.Popen, str]:
    """`pafas serve --port 0` as a child; (process, base URL) once it prints where it serves."""
    command = [sys.executable, "-m", "pafas_cli", "--workspace", str(workspace), "serve", "--model", model,
               "--host", HOST, "--port", "0", "--no-access-log", *extra]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "COLUMNS": "400"}
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        match = re.search(r"on (http://[^/\s]+)/", line)
        if match:
            threading.Thread(target=proc.stdout.read, daemon=True).start()  # keep the pipe drained
            return proc, match.group(1)
    proc.kill()
    raise SystemExit("the server did not start:\n" + "".join(seen[-20:]))


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_phase(url: str, name: str, faces: list[dict[str, Path]], clients: int, requests: int,
              time_limit: float) -> Phase:
    """`requests` liveness requests from `clients` threads (face i = faces[i % len]); stops at `time_limit`."""
    from pafas_cli.serve.client import Client, image_parts

    phase = Phase(name, clients)
    bodies = [image_parts(f) for f in faces]
    lock = threading.Lock()
    state = {"next": 0}
    deadline = time.monotonic() + time_limit

    def client() -> None:
        session = Client(url)
        try:
            while True:
                with lock:
                    index = state["next"]
                    state["next"] += 1
                if index >= requests:
                    return
                if time.monotonic() > deadline:
                    phase.stopped_early = True
                    return
                try:
                    reply = session.post_form("/v1/liveness", bodies[index % len(bodies)])
                except OSError as exc:
                    with lock:
                        phase.errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                with lock:
                    if reply.status != 200:
                        phase.errors.append(f"HTTP {reply.status}: {reply.body[:200]!r}")
                        continue
                    phase.latencies.append(reply.seconds)
                    phase.answers.setdefault(index % len(bodies), (reply.json["text"], reply.json["liveness"]))
        finally:
            session.close()

    before = _batching(url)
    threads = [threading.Thread(target=client, name=f"client-{i}") for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    phase.seconds = time.perf_counter() - started
    after = _batching(url)
    batches, served = after["batches"] - before["batches"], after["requests"] - before["requests"]
    phase.batches = {"batches": batches, "mean": served / batches if batches else 0.0,
                     "largest": after["largest_batch"]}
    return phase


def _batching(url: str) -> dict[str, Any]:
    from pafas_cli.serve.client import Client

    return Client(url).get("/healthz").json["batching"]


def main() -> None:
    from pafas_cli.console import console, rows_table
    from pafas_cli.workspace import Workspace

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--workspace", type=Path, default=Path("workspace"))
    parser.add_argument("--model", default="rl:latest")
    parser.add_argument("--paths", default="paths:latest")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=128, help="requests of the concurrent phase")
    parser.add_argument("--serial", type=int, default=32, help="requests of the one-at-a-time phase")
    parser.add_argument("--faces", type=int, default=32, help="distinct faces cycled through")
    parser.add_argument("--time-limit", type=float, default=240.0, help="seconds per phase at most")
    parser.add_argument("--server-arg", action="append", default=[],
                        help="extra `pafas serve` option, e.g. --server-arg=--threshold=0.5 (repeatable)")
    opts = parser.parse_args()

    ws = Workspace(opts.workspace)
    model = ws.resolve(opts.model, allow_hub=True)
    model_ref = f"{model.stage}:{model.version}" if model.stage else opts.model
    faces = stored_faces(ws, opts.paths, opts.faces)
    proc, url = start_server(opts.workspace, model_ref, opts.server_arg)
    try:
        from pafas_cli.serve.client import Client

        info = Client(url).get("/v1/model").json
        warm = Client(url)
        for face in faces[:2]:
            warm.liveness(face)
        serial = run_phase(url, "serial", faces, 1, opts.serial, opts.time_limit)
        concurrent = run_phase(url, "concurrent", faces, opts.clients, opts.requests, opts.time_limit)
    finally:
        stop_server(proc)

    same = [i for i in concurrent.answers if i in serial.answers]
    identical = sum(concurrent.answers[i][0] == serial.answers[i][0] for i in same)
    score_gap = max((abs(concurrent.answers[i][1] - serial.answers[i][1]) for i in same), default=0.0)
    speedup = concurrent.rate / serial.rate if serial.rate else float("nan")
    title = (f"serve throughput: {model_ref} on {HOST} ({info['device']}, max_new_tokens="
             f"{info['reading']['max_new_tokens']}, max batch {info['batching']['max_batch']}, window "
             f"{info['batching']['window_ms']:g} ms)")
    rows = [(p.name, p.clients, p.done, round(p.seconds, 2), round(p.rate, 2), round(p.percentile(0.5)),
             round(p.percentile(0.95)), round(p.batches["mean"], 1), round(p.rate / serial.rate, 2) if serial.rate
             else "-") for p in (serial, concurrent)]
    console.print(rows_table(title, ("phase", "clients", "requests", "seconds", "requests/s", "p50 ms",
                                     "p95 ms", "mean batch", "speed-up"), rows))
    verdict = "met" if speedup >= TARGET_SPEEDUP else "NOT met"
    console.print(f"speed-up at {opts.clients} concurrent clients: {speedup:.2f}x (target >= {TARGET_SPEEDUP:g}x: "
                  f"{verdict}); answers under load identical to one at a time: {identical}/{len(same)} faces "
                  f"(largest liveness difference {score_gap:.2g})", highlight=False)
    for phase in (serial, concurrent):
        if phase.errors or phase.stopped_early:
            console.print(f"{phase.name}: {len(phase.errors)} failed requests"
                          + (f" (first: {phase.errors[0]})" if phase.errors else "")
                          + ("; stopped at the time limit" if phase.stopped_early else ""), highlight=False)


if __name__ == "__main__":
    main()
