"""`pafas serve` soaked: N closed-loop clients for a fixed time; errors, server memory over time, latency.

Starts `python -m pafas_cli serve --port 0` on the loopback address (127.0.0.1 only) as a child process (as
bench/bench_serve.py does, whose helpers it uses), then `--clients` threads each send their next liveness
request as soon as the previous one is answered, for `--duration` seconds (bounded: the load stops then, and
the server with it). Faces are the paths version's stored RGB / depth / IR files, cycled.

    python bench/bench_soak.py --workspace workspace --model rl:latest            # 16 clients, 300 s
    python bench/bench_soak.py --workspace workspace --model rl:latest --duration 60

Reported: requests answered, throughput, latency p50 / p95 / p99 as the client sees it, every failure counted
by its code (HTTP status and error code, or the exception a client got), and the server's resident memory
(VmRSS of the server process, sampled every second) over the first and the last `--window` seconds (60 = the
first vs the last minute; shortened to a third of the duration for short runs), with its growth between them.
A long-running server must answer every request (errors: 0) and hold its memory flat.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pafas_cli.env import configure_network

configure_network(False)

from bench_serve import HOST, start_server, stop_server, stored_faces  # noqa: E402  (bench/ is on sys.path)

MIB = 1 << 20


@dataclass
class Soak:
    latencies: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    rss: list[tuple[float, int]] = field(default_factory=list)  # (seconds since the load began, bytes)
    seconds: float = 0.0

    def percentile(self, q: float) -> float:
        values = sorted(self.latencies)
        return values[min(len(values) - 1, round(q * (len(values) - 1)))] * 1000 if values else float("nan")

    def rss_over(self, start: float, end: float) -> tuple[float, float]:
        """Mean and largest RSS (MiB) of the samples taken from `start` to `end` seconds."""
        window = [b / MIB for t, b in self.rss if start <= t <= end]
        return (statistics.fmean(window), max(window)) if window else (float("nan"), float("nan"))


def rss_bytes(pid: int) -> int | None:
    """VmRSS of process `pid` (None once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def soak(url: str, pid: int, faces: list[dict[str, Path]], clients: int, duration: float) -> Soak:
    """`clients` closed-loop clients for `duration` seconds; the server's RSS sampled every second meanwhile."""
    from pafas_cli.serve.client import Client, image_parts

    result = Soak()
    bodies = [image_parts(f) for f in faces]
    lock = threading.Lock()
    started = time.monotonic()
    end = started + duration
    done = threading.Event()

    def client(slot: int) -> None:
        session = Client(url)
        index = slot
        try:
            while time.monotonic() < end:
                body = bodies[index % len(bodies)]
                index += clients
                try:
                    reply = session.post_form("/v1/liveness", body)
                except OSError as exc:
                    with lock:
                        result.errors[type(exc).__name__] += 1
                    session.close()
                    continue
                with lock:
                    if reply.status == 200:
                        result.latencies.append(reply.seconds)
                    else:
                        code = reply.json["error"]["code"] if isinstance(reply.json, dict) else "?"
                        result.errors[f"HTTP {reply.status} {code}"] += 1
        finally:
            session.close()

    def sample() -> None:
        while not done.wait(1.0):
            size = rss_bytes(pid)
            if size is not None:
                result.rss.append((time.monotonic() - started, size))

    sampler = threading.Thread(target=sample, name="rss", daemon=True)
    sampler.start()
    threads = [threading.Thread(target=client, args=(i,), name=f"client-{i}") for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.seconds = time.monotonic() - started
    done.set()
    sampler.join()
    return result


def main() -> None:
    from pafas_cli.console import console, rows_table
    from pafas_cli.serve.client import Client
    from pafas_cli.workspace import Workspace

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--workspace", type=Path, default=Path("workspace"))
    parser.add_argument("--model", default="rl:latest")
    parser.add_argument("--paths", default="paths:latest")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of load")
    parser.add_argument("--window", type=float, default=60.0, help="seconds compared at the start and the end")
    parser.add_argument("--faces", type=int, default=32, help="distinct faces cycled through")
    parser.add_argument("--server-arg", action="append", default=[],
                        help="extra `pafas serve` option, e.g. --server-arg=--max-batch=8 (repeatable)")
    opts = parser.parse_args()
    if opts.duration <= 0 or opts.clients < 1:
        parser.error("--duration must be > 0 and --clients >= 1")

    ws = Workspace(opts.workspace)
    model = ws.resolve(opts.model, allow_hub=True)
    model_ref = f"{model.stage}:{model.version}" if model.stage else opts.model
    faces = stored_faces(ws, opts.paths, opts.faces)
    proc, url = start_server(opts.workspace, model_ref, opts.server_arg)
    try:
        info = Client(url).get("/v1/model").json
        warm = Client(url)
        for face in faces[:2]:
            warm.liveness(face)
        idle_rss = rss_bytes(proc.pid) or 0
        result = soak(url, proc.pid, faces, opts.clients, opts.duration)
        batching = Client(url).get("/healthz").json["batching"]
    finally:
        stop_server(proc)

    window = min(opts.window, opts.duration / 3)
    first_mean, first_max = result.rss_over(0, window)
    last_mean, last_max = result.rss_over(result.seconds - window, result.seconds)
    failed = sum(result.errors.values())
    title = (f"serve soak: {model_ref} on {HOST}, {opts.clients} clients for {result.seconds:.0f} s "
             f"({info['device']}, max_new_tokens={info['reading']['max_new_tokens']}, max batch "
             f"{info['batching']['max_batch']})")
    console.print(rows_table(title, ("requests", "errors", "requests/s", "p50 ms", "p95 ms", "p99 ms", "mean batch",
                                     f"RSS MiB first {window:.0f} s (mean / max)",
                                     f"RSS MiB last {window:.0f} s (mean / max)", "RSS growth MiB"),
                             [(len(result.latencies), failed, round(len(result.latencies) / result.seconds, 2),
                               round(result.percentile(0.5)), round(result.percentile(0.95)),
                               round(result.percentile(0.99)), batching["mean_batch"],
                               f"{first_mean:.0f} / {first_max:.0f}", f"{last_mean:.0f} / {last_max:.0f}",
                               f"{last_mean - first_mean:+.1f}")]))
    errors = ", ".join(f"{code}: {n}" for code, n in result.errors.most_common()) or "none"
    console.print(f"soak errors by code: {errors}; server RSS after warm-up {idle_rss / MIB:.0f} MiB, "
                  f"{len(result.rss)} samples", highlight=False)


if __name__ == "__main__":
    main()
