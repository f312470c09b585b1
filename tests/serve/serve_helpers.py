"""Helpers for the serve tests: an eval version to take a threshold from, a `pafas serve` child process, an
in-process server on a thread, and crafted bad inputs."""

from __future__ import annotations

import io
import os
import re
import signal
import struct
import subprocess
import sys
import threading
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

DEV_THRESHOLD = 0.37


def add_eval(ws, models: list[str], thresholds: list[float], status_ok: bool = True,
             conditions: dict[str, tuple[float, float | None]] | None = None, test_hter: float | None = None):
    """An eval version whose inputs are `models` (model0, model1, ...) with these dev thresholds; with
    `conditions` (name -> (dev threshold, HTER)), the per-condition thresholds a Protocol-2 eval writes, and
    with `test_hter` the test set's HTER, for every model."""
    import json

    resolved = [ws.resolve(m) for m in models]
    names = [f"{r.stage}:{r.version}" for r in resolved]
    inputs = [r.as_input(f"model{i}") for i, r in enumerate(resolved)]
    extra: dict = {}
    if conditions is not None:
        extra["conditions"] = {c: {"dev_threshold": t, "dev_set": f"dev_{c}", "test_set": f"test_{c}", "hter": h}
                               for c, (t, h) in conditions.items()}
    sets = {} if test_hter is None else {"test": {"honest": {"hter": test_hter}}}
    with ws.start("eval", {"test": True}, inputs=inputs, seed=0) as writer:
        metrics = {"models": {n: {"dev_threshold": t, "sets": sets, **extra} for n, t in zip(names, thresholds)}}
        (writer.path / "metrics.json").write_text(json.dumps(metrics))
        if not status_ok:
            raise RuntimeError("a failed eval")
    return writer.path


@dataclass
class Running:
    proc: subprocess.Popen
    url: str
    output: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None


def start_cli_server(ws, *args: str, timeout: float = 120.0) -> Running:
    """`python -m pafas_cli serve --port 0 ARGS` on `ws`; returns once it prints the address it serves on."""
    env = {**os.environ, "PAFAS_WORKSPACE": str(ws.root), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "OMP_NUM_THREADS": "1", "COLUMNS": "400"}
    proc = subprocess.Popen([sys.executable, "-m", "pafas_cli", "serve", "--host", "127.0.0.1", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    running = Running(proc, "")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        running.output.append(line)
        match = re.search(r"on (http://127\.0\.0\.1:\d+)/", line)
        if match:
            running.url = match.group(1)
            running.reader = threading.Thread(target=_drain, args=(proc, running.output), daemon=True)
            running.reader.start()
            return running
    proc.kill()
    raise AssertionError("pafas serve did not start:\n" + "".join(running.output))


def _drain(proc: subprocess.Popen, into: list[str]) -> None:
    for line in proc.stdout:
        into.append(line)


def stop_server(running: Running, timeout: float = 20.0) -> int:
    """Ctrl-C, as a user stops it; the exit code."""
    if running.proc.poll() is None:
        running.proc.send_signal(signal.SIGINT)
        try:
            running.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            running.proc.kill()
            running.proc.wait()
    if running.reader is not None:
        running.reader.join(10)  # every line it printed is in running.output
    return running.proc.returncode


class ThreadServer:
    """A FastAPI app served by uvicorn on a thread of this process, on a free loopback port."""

    def __init__(self, app):
        import uvicorn

        from pafas_cli.commands.serve import bind

        self.sock = bind("127.0.0.1", 0)
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> "ThreadServer":
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "the in-process server did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(15)
        self.sock.close()


def stand_in_service(policy=None, limits=None, score: float = 0.6, reading=None):
    """A `LivenessService` whose model is a stand-in (no torch): every face scores `score`; while `gate` is
    cleared each batch is held before it runs (to queue requests behind it), with `running` set; `seen` lists
    every face the model was given."""
    from types import SimpleNamespace

    from pafas_cli.infer.predict import Prediction
    from pafas_cli.paths.taxonomy import default_taxonomy
    from pafas_cli.serve.policy import Policy, Threshold
    from pafas_cli.infer.plan import Reading
    from pafas_cli.paths.tree import load_tree
    from pafas_cli.serve.service import Limits, LivenessService
    from pafas_cli.workspace import Resolved

    class StandIn(LivenessService):
        def predict(self, faces):
            self.running.set()
            self.gate.wait(30)
            self.running.clear()
            self.seen.extend(faces)
            answer = SimpleNamespace(decision=0, nodes=("Spoof Face",), deepest="Spoof Face", well_formed=True,
                                     error=None)
            return [Prediction("<think>IR shows a flat sheet.</think>", answer, "IR shows a flat sheet.", score)
                    for _ in faces]

    reading = reading or Reading(side=56, require_think=True, max_new_tokens=12,
                                 tree=load_tree("", default_taxonomy()))
    service = StandIn(None, None, name="stand-in", resolved=Resolved("stand-in", None), reading=reading,
                      policy=policy or Policy.strict(Threshold(0.5, "--threshold", "given with --threshold")),
                      limits=limits or Limits())
    service.gate, service.running, service.seen = threading.Event(), threading.Event(), []
    service.gate.set()
    return service


def png_bytes(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares width x height pixels but holds almost no data (a decompression bomb's header)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))
