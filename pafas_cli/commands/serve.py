"""`pafas serve`: a trained model behind a liveness API and a browser page (FastAPI + uvicorn).

Order of start-up, cheapest check first, so a mistake costs a second and never a model load:
the optional dependencies, the options, the model reference, the threshold (the dev threshold of the
newest eval version that evaluated this model, or --threshold), the address (bound, not yet listening,
so clients are refused rather than left hanging while the model loads), then the model is loaded once
and runs one warm-up face. Any failure up to there is one `error:` line and exit code 2.
"""

from __future__ import annotations

import errno
import importlib.util
import math
import signal
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from pafas_cli.config import Recipe
from pafas_cli.console import console, print_warning, tagged
from pafas_cli.errors import PafasError
from pafas_cli.serve.service import Limits, Reading, Threshold
from pafas_cli.workspace import Workspace

# import name -> pip name of what `pafas serve` needs beyond pafas itself (the `serve` extra).
REQUIRED = {"fastapi": "fastapi", "uvicorn": "uvicorn", "python_multipart": "python-multipart"}


def check_dependencies() -> None:
    """A PafasError naming what is missing when the `serve` extra is not installed."""
    missing = [pip for module, pip in REQUIRED.items() if importlib.util.find_spec(module) is None]
    if missing:
        raise PafasError(f"pafas serve needs {', '.join(missing)} (not installed): pip install 'pafas[serve]' "
                         "(make install does)")


@dataclass(frozen=True)
class Plan:
    """What start-up settled before the model loads: the model and the threshold."""

    ref: str
    resolved: Any
    name: str
    threshold: Threshold


def prepare(ws: Workspace, model: str | None = None, threshold: float | None = None) -> Plan:
    """The model reference (default: the newest rl, else sft, version) and its threshold; cheap checks only."""
    from pafas_cli.commands.eval import model_name
    from pafas_cli.commands.explain import default_model

    if threshold is not None and not (math.isfinite(threshold) and 0.0 <= threshold <= 1.0):
        raise PafasError(f"--threshold must be a liveness score within 0-1, got {threshold}")
    ref = model or default_model(ws)
    resolved = ws.resolve(ref, allow_hub=True)
    name = model_name(resolved, ref)
    return Plan(ref, resolved, name, _threshold(ws, resolved, name, threshold))


def load_service(recipe: Recipe, ws: Workspace, plan: Plan, limits: Limits = Limits(), debug: bool = False) -> Any:
    """The model loaded once, read as its spec says, with one warm-up face: a `LivenessService` (not started)."""
    from pafas_cli.infer import models
    from pafas_cli.infer.explain_io import image_side
    from pafas_cli.serve.service import LivenessService
    from pafas_cli.spec import model_spec

    started = time.perf_counter()
    loaded = _load(plan.ref, ws, recipe)
    guess = models.model_image_size(plan.resolved) or recipe.paths.image_size
    reading = Reading(side=image_side(loaded.processor, guess),
                      require_think=models.model_require_think(plan.resolved, recipe.eval.require_think),
                      max_new_tokens=recipe.eval.max_new_tokens,
                      tree=models.model_tree(plan.resolved, recipe.paths.taxonomy, recipe.paths.tree))
    service = LivenessService(loaded.model, loaded.processor, name=plan.name, resolved=loaded.resolved,
                              reading=reading, threshold=plan.threshold, limits=limits,
                              spec=model_spec(plan.resolved), load_seconds=round(time.perf_counter() - started, 2),
                              debug=debug)
    try:
        service.warm_seconds = service.warm_up()
    except Exception as exc:  # noqa: BLE001 - one line, the server does not start
        raise PafasError(f"{plan.name}: the model failed its warm-up inference ({type(exc).__name__}: {exc}); "
                         "it cannot be served") from exc
    return service


def run(recipe: Recipe, ws: Workspace, model: str | None = None, host: str = "127.0.0.1", port: int = 8000,
        threshold: float | None = None, limits: Limits = Limits(), access_log: bool = True,
        debug: bool = False) -> None:
    """Serve `model` (default: the newest rl, else sft, version) on host:port until interrupted."""
    check_dependencies()
    limits.check()
    plan = prepare(ws, model, threshold)
    sock = bind(host, port)
    try:
        _serve(load_service(recipe, ws, plan, limits, debug), sock, access_log)
    finally:
        sock.close()


def bind(host: str, port: int) -> socket.socket:
    """A socket bound to host:port (port 0 = a free one), not yet listening; a PafasError when it cannot be."""
    if not 0 <= port <= 65535:
        raise PafasError(f"--port must be within 0-65535, got {port}")
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as exc:
        raise PafasError(f"--host {host}: not an address of this machine ({exc.strerror})") from None
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        reason = exc.strerror or str(exc)
        hint = "another server is using it: stop it, or choose another --port" if exc.errno == errno.EADDRINUSE else \
            "choose another --host / --port"
        raise PafasError(f"cannot listen on {host}:{port}: {reason}; {hint}") from None
    return sock


def _threshold(ws: Workspace, resolved: Any, name: str, given: float | None) -> Threshold:
    from pafas_cli.infer.models import model_dev_threshold

    if given is not None:
        return Threshold(float(given), "--threshold", "given with --threshold")
    found = model_dev_threshold(ws, resolved)
    if found is None:
        raise PafasError(f"no complete eval version evaluated {name}, so it has no dev threshold to decide live "
                         f"or spoof at: run `pafas eval --model {name}` first, or pass --threshold (e.g. 0.5)")
    return Threshold(found.value, found.eval_ref, f"dev-set EER threshold, {found.eval_ref}")


def _load(ref: str, ws: Workspace, recipe: Recipe) -> Any:
    from pafas_cli.infer.models import load_for_inference

    try:
        return load_for_inference(ref, ws, recipe)
    except PafasError:
        raise
    except Exception as exc:  # noqa: BLE001 - a failed load stops start-up with one line
        raise PafasError(f"cannot load the model {ref}: {type(exc).__name__}: {exc}") from exc


def _serve(service: Any, sock: socket.socket, access_log: bool) -> None:
    """uvicorn on a thread, the model's batch loop in this (the main) thread until Ctrl-C or SIGTERM.

    The model runs in the main thread because PyTorch's OpenMP threads run a tiny model's small ops many
    times slower when called from a secondary thread (docs/bench.md). Ctrl-C (or SIGTERM) lets the batch in
    progress finish, answers what still waits with 503, and stops the server; a second Ctrl-C interrupts.
    """
    import uvicorn

    from pafas_cli.serve.app import create_app

    def log(line: str) -> None:
        console.print(line, markup=False, highlight=False)

    config = uvicorn.Config(create_app(service, log if access_log else None), log_level="warning",
                            access_log=False, timeout_graceful_shutdown=5, lifespan="on")
    server = uvicorn.Server(config)
    http = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="pafas-http", daemon=True)
    service.loop_in_main = True

    def stop(signum: int, frame: Any) -> None:
        service.batcher.request_stop()  # a flag only: nothing here may take a lock the main thread holds
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl-C interrupts at once

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    sock.listen(2048)  # from here connections wait in the backlog for uvicorn's first accept, never refused
    try:
        http.start()
        deadline = time.monotonic() + 60
        while not server.started:
            if not http.is_alive() or time.monotonic() > deadline:
                raise PafasError("the HTTP server did not start (see the lines above)")
            time.sleep(0.01)
        _announce(service, sock)
        service.batcher.serve_forever(alive=http.is_alive)
    finally:
        server.should_exit = True
        http.join(15)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    served = service.batcher.stats()
    console.print(tagged("stopped", "green", f"{service.name}: {served['requests']} requests in {served['batches']} "
                         "batches"), highlight=False)


def _announce(service: Any, sock: socket.socket) -> None:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    t = service.threshold
    line = (f"{service.name} on http://{shown}:{port}/ (page), POST /v1/liveness (API), /openapi.json; threshold "
            f"{t.value:.4g} from {t.source}; model loaded in {service.load_seconds:.1f} s, warm-up "
            f"{service.warm_seconds:.1f} s; Ctrl-C stops")
    console.print(tagged("serving", "green", line), highlight=False)
    if host not in ("127.0.0.1", "::1", "localhost"):
        print_warning(f"listening on {host}: anyone who can reach this machine can use the model (no "
                      "authentication); put it behind a proxy that authenticates")
