"""Start-up and shutdown of `pafas serve`: the thresholds it decides at, every way a start fails (one line,
exit 2), and a Ctrl-C that answers what was queued."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys

import pytest

from pafas_cli.config import load_recipe
from pafas_cli.errors import PafasError
from serve_helpers import DEV_THRESHOLD, add_eval

needs_serve = pytest.mark.skipif(importlib.util.find_spec("fastapi") is None,
                                 reason="the serve extra is not installed: pip install 'pafas[serve]'")


def test_the_threshold_comes_from_the_newest_eval_that_scored_this_model(ws):
    from pafas_cli.commands.serve import prepare

    with pytest.raises(PafasError, match=r"no complete eval version evaluated model:v001.*pafas eval --model "
                                         r"model:v001.*--threshold"):
        prepare(load_recipe(None, []), ws, "model:v001")
    add_eval(ws, ["model:v001"], [0.2])  # eval:v001
    add_eval(ws, ["model:v002", "model:v001"], [0.9, 0.6])  # eval:v002: model:v001 is its second model
    add_eval(ws, ["model:v002"], [0.8])  # eval:v003: another model only
    with pytest.raises(RuntimeError):
        add_eval(ws, ["model:v001"], [0.1], status_ok=False)  # eval:v004: failed, never read
    plan = prepare(load_recipe(None, []), ws, "model:v001")
    assert (plan.policy.full.value, plan.policy.full.source) == (0.6, "eval:v002")
    assert prepare(load_recipe(None, []), ws, "model:v002").policy.full.source == "eval:v003"
    given = prepare(load_recipe(None, []), ws, "model:v001", threshold=0.25).policy.full
    assert (given.value, given.source) == (0.25, "--threshold")
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(PafasError, match="--threshold must be a liveness score within 0-1"):
            prepare(load_recipe(None, []), ws, "model:v001", threshold=bad)


@pytest.mark.fault
def test_an_eval_of_other_weights_in_the_same_folder_is_not_this_models(ws):
    from pafas_cli.infer.models import model_dev_threshold

    folder = add_eval(ws, ["model:v001"], [0.2])
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["inputs"][0]["fingerprint"] = "0000000000000000"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert model_dev_threshold(ws, ws.resolve("model:v001")) is None


@pytest.mark.fault
def test_an_unreadable_metrics_file_is_named(ws):
    from pafas_cli.infer.models import model_dev_threshold

    folder = add_eval(ws, ["model:v001"], [0.2])
    (folder / "metrics.json").write_text("{not json")
    with pytest.raises(PafasError, match=r"eval:v001 evaluated model:v001, but its dev threshold cannot be read from "
                                         r".*metrics.json .*pass --threshold"):
        model_dev_threshold(ws, ws.resolve("model:v001"))


def _one_line(exc: pytest.ExceptionInfo) -> str:
    message = str(exc.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def _cli(ws, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PAFAS_WORKSPACE": str(ws.root), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "COLUMNS": "400"}
    return subprocess.run([sys.executable, "-m", "pafas_cli", "serve", "--port", "0", *args], capture_output=True,
                          text=True, env=env, timeout=120)


@needs_serve
@pytest.mark.slow
@pytest.mark.fault
def test_a_model_that_fails_to_load_stops_start_up_with_one_line(ws, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(ws.root / "model" / "v001" / "model", broken)
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    proc = _cli(ws, "--model", str(broken), "--threshold", "0.5")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {weights}: not a readable safetensors file"), proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr and "serving" not in proc.stdout


@needs_serve
@pytest.mark.fault
def test_a_port_in_use_is_one_line_before_the_model_loads(ws, monkeypatch):
    from pafas_cli.commands import serve
    from pafas_cli.infer import models

    add_eval(ws, ["model:v001"], [DEV_THRESHOLD])
    monkeypatch.setattr(models, "load_for_inference", lambda *a: pytest.fail("the model must not load"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(PafasError) as exc:
            serve.run(load_recipe(None, []), ws, model="model:v001", port=port)
    assert f"cannot listen on 127.0.0.1:{port}" in _one_line(exc) and "another --port" in str(exc.value)
    with pytest.raises(PafasError, match=r"cannot listen on 192\.0\.2\.1:0: .*choose another --host"):
        serve.run(load_recipe(None, []), ws, model="model:v001", host="192.0.2.1", port=0)  # not this machine's


@needs_serve
def test_bad_limits_are_refused_by_name(ws):
    from pafas_cli.commands import serve
    from pafas_cli.serve.service import Limits

    for limits, option in ((Limits(max_batch=0), "--max-batch"), (Limits(window_ms=-1), "--batch-window-ms"),
                           (Limits(max_body_bytes=10), "--max-body-mb"), (Limits(max_queue=0), "--max-queue"),
                           (Limits(request_timeout_s=0), "--request-timeout-s")):
        with pytest.raises(PafasError, match=option):
            serve.run(load_recipe(None, []), ws, model="model:v001", port=0, threshold=0.5, limits=limits)


def test_without_the_serve_extra_pafas_starts_and_serve_says_what_to_install(monkeypatch):
    import importlib.util

    from pafas_cli.commands import serve

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "fastapi" else real(name, *a))
    with pytest.raises(PafasError, match=r"pafas serve needs fastapi \(not installed\): pip install 'pafas\[serve\]'"):
        serve.check_dependencies()
    code = ("import sys, pafas_cli.cli, pafas_cli.commands.serve, pafas_cli.serve.service; "
            "print(sorted(m for m in ('fastapi', 'uvicorn', 'starlette', 'python_multipart', 'prometheus_client') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", "the CLI and the serve command import no web framework until they serve"


@pytest.mark.fault
def test_without_a_threshold_the_cli_prints_one_error_line_and_exits_2(ws):
    proc = _cli(ws, "--model", "model:v002")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: no complete eval version evaluated model:v002"), proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr


def _queue_up(ws, count: int):
    """A `pafas serve` (one face per batch) with `count` requests sent at once and most of them queued; returns
    (the server, the sending threads, the replies so far)."""
    import threading
    import time

    from infer_helpers import draw_face
    from pafas_cli.serve.client import Client
    from serve_helpers import png_bytes, start_cli_server

    add_eval(ws, ["model:v001"], [DEV_THRESHOLD])
    # A deadline far beyond the test's: on a busy machine 16 faces one at a time can take over the default 60 s.
    running = start_cli_server(ws, "--model", "model:v001", "--set", "eval.max_new_tokens=12", "--max-batch", "1",
                               "--request-timeout-s", "900")
    face = dict(zip(("rgb", "depth", "ir"), map(png_bytes, draw_face(False, 5))))
    replies: list = []
    threads = [threading.Thread(target=lambda: replies.append(Client(running.url).liveness(face)))
               for _ in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while Client(running.url).get("/healthz").json["batching"]["waiting"] < count // 2:
        assert time.monotonic() < deadline, "the requests were never queued"
        time.sleep(0.005)
    return running, threads, replies


def _until_stopping(url: str):
    """/healthz once it no longer answers 200 (the server is draining)."""
    import time

    from pafas_cli.serve.client import Client

    client, deadline = Client(url), time.monotonic() + 60
    while (health := client.get("/healthz")).status == 200:
        assert time.monotonic() < deadline, "the server never began to stop"
    return health


@needs_serve
@pytest.mark.slow
def test_ctrl_c_refuses_new_requests_and_answers_every_queued_one_then_exits(ws):
    import signal

    from pafas_cli.serve.client import Client
    from serve_helpers import stop_server

    running, threads, replies = _queue_up(ws, 16)
    running.proc.send_signal(signal.SIGINT)
    health = _until_stopping(running.url)
    assert health.status == 503 and health.json["status"] == "stopping"
    late = Client(running.url).liveness({"rgb": b"x"})
    assert late.status == 503 and late.json["error"]["code"] == "shutting_down"
    for thread in threads:
        thread.join(120)
    assert running.proc.wait(60) == 0, "it exits by itself once the queue is answered"
    stop_server(running)  # collects the last lines it printed
    assert [r.status for r in replies] == [200] * 16, "every request queued before Ctrl-C was answered"
    assert any(line.startswith("stopped model:v001: 16 requests") for line in running.output)
    assert "Traceback" not in "".join(running.output)


@needs_serve
@pytest.mark.slow
def test_a_second_ctrl_c_stops_at_once_and_what_still_waits_gets_503(ws):
    import signal

    running, threads, replies = _queue_up(ws, 16)
    running.proc.send_signal(signal.SIGINT)
    _until_stopping(running.url)  # the first was handled (two at once would reach the process as one)
    running.proc.send_signal(signal.SIGINT)
    assert running.proc.wait(60) == 130
    for thread in threads:
        thread.join(60)
    codes = sorted({(r.status, r.json["error"]["code"] if r.status != 200 else "") for r in replies})
    assert (503, "shutting_down") in codes and set(codes) <= {(200, ""), (503, "shutting_down")}, codes
    assert "Traceback" not in "".join(running.output)
