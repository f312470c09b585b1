"""The HTTP layer of `pafas serve` in this process, on a stand-in model (no torch): required modalities and the
condition thresholds, the API key, the bounded queue (429), the request deadline (504) and /metrics."""

from __future__ import annotations

import threading

import pytest

from infer_helpers import draw_face
from pafas_cli.serve.client import Client
from serve_helpers import ThreadServer, png_bytes, stand_in_service

pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install 'pafas[serve]'")

KEY = "k3y-for-tests-0123456789"
SPOOF = dict(zip(("rgb", "depth", "ir"), map(png_bytes, draw_face(False, 2))))
# A face is sent without these (RGB is always required, so these are all the ways to leave some out).
LEFT_OUT = (("depth",), ("ir",), ("depth", "ir"))


def _serve(service, api_key=None):
    from pafas_cli.serve.app import create_app

    return ThreadServer(create_app(service, api_key=api_key))


def _without(face: dict, left_out) -> dict:
    return {m: data for m, data in face.items() if m not in left_out}


def _error(reply, status: int, code: str, field: str | None = None) -> str:
    assert reply.status == status, (reply.status, reply.body)
    error = reply.json["error"]
    assert (error["status"], error["code"], error["field"]) == (status, code, field), error
    assert "\n" not in error["message"]
    return error["message"]


def _policy(allow_missing=("depth", "ir")):
    from pafas_cli.serve.policy import Policy, Threshold

    full = Threshold(0.5, "eval:v007", "dev-set EER threshold, eval:v007", 0.2)
    conditions = {"missing_depth": Threshold(0.7, "eval:v007", "dev-set EER threshold of dev_missing_depth", 0.3),
                  "missing_ir": Threshold(0.8, "eval:v007", "dev-set EER threshold of dev_missing_ir", 0.35),
                  "missing_both": Threshold(0.9, "--condition-threshold", "given with --condition-threshold")}
    from pafas_cli.infer.modalities import reachable_conditions

    return Policy(allow_missing, {"full": full, **{c: conditions[c] for c in reachable_conditions(allow_missing)}})


# -- required modalities -----------------------------------------------------------------------------------
def test_by_default_a_face_missing_any_modality_is_refused_and_never_reaches_the_model():
    service = stand_in_service()
    with _serve(service) as server:
        client = Client(server.url)
        for left_out in (*LEFT_OUT, ("rgb",), ("rgb", "ir")):
            message = _error(client.liveness(_without(SPOOF, left_out)), 422, "modality_missing", left_out[0])
            assert all(f"the {m} image" in message for m in left_out), message
        assert client.liveness(SPOOF).status == 200
        info = client.get("/v1/model").json
    assert len(service.seen) == 1, "only the full triple was read by the model"
    assert info["modalities"] == {"required": ["rgb", "depth", "ir"], "allow_missing": [],
                                  "conditions": {"full": info["threshold"]}}


def test_with_allow_missing_each_condition_is_decided_at_its_own_threshold_never_the_full_one():
    """The stand-in scores every face 0.6: live at the full-triple threshold 0.5, spoof at every condition's."""
    policy = _policy()
    with _serve(stand_in_service(policy, score=0.6)) as server:
        client = Client(server.url)
        full = client.liveness(SPOOF).json
        assert (full["condition"], full["decision"], full["threshold"]["value"]) == ("full", "live", 0.5)
        for left_out, name in zip(LEFT_OUT, ("missing_depth", "missing_ir", "missing_both")):
            body = client.liveness(_without(SPOOF, left_out)).json
            expected = policy.thresholds[name]
            assert body["condition"] == name and body["missing"] == list(left_out)
            assert body["threshold"] == {"value": expected.value, "source": expected.source, "rule": expected.rule,
                                         "hter": expected.hter}
            assert body["decision"] == "spoof", f"{name}: decided at {body['threshold']}"
        _error(client.liveness({"depth": SPOOF["depth"], "ir": SPOOF["ir"]}), 422, "modality_missing", "rgb")
        info = client.get("/v1/model").json
        page = client.get("/").body.decode()
    assert info["modalities"]["allow_missing"] == ["depth", "ir"] and info["modalities"]["required"] == ["rgb"]
    assert info["modalities"]["conditions"]["missing_ir"]["value"] == 0.8
    assert '"allow_missing": ["depth", "ir"]' in page, "the page shows what may be missing"


def test_allowing_one_modality_still_refuses_the_other():
    with _serve(stand_in_service(_policy(("ir",)))) as server:
        client = Client(server.url)
        assert client.liveness(_without(SPOOF, ("ir",))).json["condition"] == "missing_ir"
        for left_out in (("depth",), ("depth", "ir")):
            _error(client.liveness(_without(SPOOF, left_out)), 422, "modality_missing", "depth")


# -- the API key -------------------------------------------------------------------------------------------
def test_with_a_key_every_route_but_the_page_health_and_schema_needs_it():
    from pafas_cli.serve.auth import ApiKey

    service = stand_in_service()
    with _serve(service, ApiKey(KEY, "PAFAS_API_KEY")) as server:
        client = Client(server.url)
        for path in ("/v1/model", "/metrics"):
            reply = client.get(path)
            assert "needs an API key" in _error(reply, 401, "unauthorized")
            assert reply.headers["www-authenticate"] == 'Bearer realm="pafas"'
        wrong = client.liveness(SPOOF, headers={"Authorization": f"Bearer {KEY[:-1]}x"})
        assert "wrong" in _error(wrong, 401, "unauthorized")
        assert 'error="invalid_token"' in wrong.headers["www-authenticate"]
        basic = client.liveness(SPOOF, headers={"Authorization": f"Basic {KEY}"})
        _error(basic, 401, "unauthorized")
        assert not service.seen, "a refused request never reaches the model"
        good = {"Authorization": f"Bearer {KEY}"}
        assert client.liveness(SPOOF, headers=good).status == 200
        assert client.request("GET", "/v1/model", headers=good).json["model"]["ref"] == "stand-in"
        assert client.get("/healthz").json == {"status": "ok"}, "open, but only the status"
        assert client.request("GET", "/healthz", headers=good).json["model"] == "stand-in"
        schema = client.get("/openapi.json").json
        assert schema["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
        page = client.get("/")
        assert page.status == 200 and 'id="api-key"' in page.body.decode()
        assert "stand-in" not in page.body.decode(), "the open page holds nothing about the server"


# -- the bounded queue and the deadline ----------------------------------------------------------------------
def _send_in_background(url: str, face: dict, replies: list) -> threading.Thread:
    thread = threading.Thread(target=lambda: replies.append(Client(url).liveness(face)))
    thread.start()
    return thread


def _until(condition, what: str) -> None:
    """Wait (at most 30 s) until `condition()` holds."""
    import time

    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"waited 30 s for {what}"
        time.sleep(0.01)


def test_a_full_queue_answers_429_with_retry_after_and_the_queued_requests_are_served():
    from pafas_cli.serve.service import Limits

    service = stand_in_service(limits=Limits(max_batch=1, window_ms=0, max_queue=2))
    with _serve(service) as server:
        service.gate.clear()
        replies: list = []
        threads = [_send_in_background(server.url, SPOOF, replies)]
        _until(service.running.is_set, "the first batch to hold the model")
        threads += [_send_in_background(server.url, SPOOF, replies) for _ in range(2)]
        _until(lambda: service.batcher.waiting == 2, "two requests queued")
        full = Client(server.url).liveness(SPOOF)
        assert "retry after" in _error(full, 429, "queue_full")
        assert int(full.headers["retry-after"]) >= 1
        service.gate.set()
        for thread in threads:
            thread.join(30)
    assert [r.status for r in replies] == [200, 200, 200] and len(service.seen) == 3


def test_past_its_deadline_a_request_gets_504_and_one_still_queued_never_runs():
    from pafas_cli.serve.service import Limits

    service = stand_in_service(limits=Limits(max_batch=1, window_ms=0, request_timeout_s=0.5))
    with _serve(service) as server:
        service.gate.clear()
        replies: list = []
        running = _send_in_background(server.url, SPOOF, replies)
        _until(service.running.is_set, "the first batch to hold the model")
        queued = _send_in_background(server.url, SPOOF, replies)
        running.join(30)
        queued.join(30)
        assert [r.status for r in replies] == [504, 504]
        assert all("--request-timeout-s" in _error(r, 504, "deadline_exceeded") for r in replies)
        service.gate.set()
        _until(lambda: not service.running.is_set(), "the held batch to end")
        assert Client(server.url).liveness(SPOOF).status == 200
    assert len(service.seen) == 2, "the held request and the last one ran; the one queued past its deadline never did"


# -- metrics -------------------------------------------------------------------------------------------------
def _scrape(client) -> dict[tuple[str, tuple], float]:
    from prometheus_client.parser import text_string_to_metric_families

    reply = client.get("/metrics")
    assert reply.status == 200 and reply.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(reply.body.decode()) for s in family.samples}


def test_metrics_count_requests_by_endpoint_and_status_batches_latency_and_queue_depth():
    service = stand_in_service(_policy(("ir",)))
    with _serve(service) as server:
        client = Client(server.url)
        before = _scrape(client)
        for face in (SPOOF, _without(SPOOF, ("ir",)), _without(SPOOF, ("depth",))):  # 200, 200, 422
            client.liveness(face)
        client.get("/v1/model")
        client.get("/no/such/route")
        after = _scrape(client)

    def moved(name: str, **labels) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert moved("pafas_requests_total", endpoint="/v1/liveness", status="200") == 2
    assert moved("pafas_requests_total", endpoint="/v1/liveness", status="422") == 1
    assert moved("pafas_requests_total", endpoint="/v1/model", status="200") == 1
    assert moved("pafas_requests_total", endpoint="other", status="404") == 1, "unknown paths share one label"
    assert moved("pafas_requests_total", endpoint="/metrics", status="200") == 1  # the first scrape
    assert moved("pafas_request_seconds_count", endpoint="/v1/liveness") == 3
    assert moved("pafas_batch_size_count") == 2 and moved("pafas_batch_size_sum") == 2, "two batches of one"
    assert moved("pafas_model_seconds_count") == 2
    assert moved("pafas_decisions_total", decision="live", condition="full") == 1
    assert moved("pafas_decisions_total", decision="spoof", condition="missing_ir") == 1
    assert after[("pafas_queue_depth", ())] == 0


def test_two_apps_in_one_process_count_apart():
    with _serve(stand_in_service()) as one, _serve(stand_in_service()) as two:
        Client(one.url).liveness(SPOOF)
        counted = _scrape(Client(two.url))
    assert counted.get(("pafas_requests_total", (("endpoint", "/v1/liveness"), ("status", "200")))) is None


def test_a_112_px_model_is_served_at_112_px(tmp_path):
    """serve reads the side from the model's spec (its processor pins none, as a real Qwen2.5-VL's does not), and
    every uploaded image reaches the model at that side, whatever size the client sent."""
    from PIL import Image

    from infer_helpers import unpinned_model
    from pafas_cli.commands.serve import prepare
    from pafas_cli.config import load_recipe
    from pafas_cli.workspace import Workspace

    model = unpinned_model(tmp_path / "free", 112)
    recipe = load_recipe(None)
    assert recipe.paths.image_size != 112
    plan = prepare(recipe, Workspace(tmp_path / "ws"), model=str(model), threshold=0.5)
    assert plan.model.reading.side == 112
    service = stand_in_service(reading=plan.model.reading)
    sizes = [(90, 120), (300, 200), (56, 56)]
    face = {m: png_bytes(Image.new("RGB", size, (40, 80, 120))) for m, size in zip(("rgb", "depth", "ir"), sizes)}
    with _serve(service) as server:
        assert Client(server.url).liveness(face).status == 200
    (seen,) = service.seen
    assert {m: img.size for m, img in seen.images.items()} == dict.fromkeys(("rgb", "depth", "ir"), (112, 112))
