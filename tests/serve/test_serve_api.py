"""`pafas serve` through a real HTTP client: the API, required modalities, micro-batching, and every bad input.

One `pafas serve` child process (conftest `server`: the mini workspace's tiny model, 12 new tokens, body limit
1 MiB, 1 megapixel, batches of up to 8) on a free loopback port serves most tests of this module; a second one
(`lenient`) allows depth and IR to be missing, with thresholds calibrated per condition.
"""

from __future__ import annotations

import http.client
import threading

import pytest
from PIL import Image

from infer_helpers import draw_face
from pafas_cli.serve.client import Client, encode_multipart
from serve_helpers import DEV_THRESHOLD, add_eval, png_bytes, png_header_only, start_cli_server, stop_server

pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install 'pafas[serve]'")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def faces():
    """PNG bytes of synthetic faces: modality -> bytes, a live one and two spoofs."""
    return [dict(zip(("rgb", "depth", "ir"), map(png_bytes, draw_face(live, seed)))) for live, seed in
            ((True, 1), (False, 2), (False, 3), (True, 4))]


@pytest.fixture()
def client(server):
    session = Client(server.url)
    yield session
    session.close()


def test_a_face_gets_a_verdict_at_the_dev_threshold_with_reasoning_and_timings(client, faces, server):
    from pafas_cli.serve.app import LivenessResponse

    reply = client.liveness(faces[0], headers={"X-Request-ID": "kiosk-7.entry-42"})
    assert reply.status == 200, reply.body
    body = LivenessResponse.model_validate(reply.json).model_dump()  # the answer is what the schema says
    assert body["request_id"] == "kiosk-7.entry-42" and reply.headers["x-request-id"] == "kiosk-7.entry-42"
    assert 0.0 <= body["liveness"] <= 1.0
    assert body["decision"] == ("live" if body["liveness"] >= DEV_THRESHOLD else "spoof")
    assert body["threshold"]["value"] == DEV_THRESHOLD and body["threshold"]["source"] == "eval:v001"
    assert body["model"]["ref"] == "model:v001" and body["model"]["fingerprint"]
    assert body["modalities"] == ["rgb", "depth", "ir"] and body["missing"] == []
    assert body["text"] and " ".join(c["text"] for c in body["clauses"]) == " ".join(body["reasoning"].split())
    timings = body["timings_ms"]
    assert 0 < timings["model"] <= timings["total"] and timings["read"] >= 0 and body["batch_size"] >= 1


# Every way to leave modalities out of a face (RGB is always required, so it is never allowed to be missing).
LEFT_OUT = {("depth",): "missing_depth", ("ir",): "missing_ir", ("depth", "ir"): "missing_both"}
# The lenient server's eval: full-triple threshold 0 (every face would be live at it), the conditions' high.
CONDITIONS = {"missing_depth": (0.95, 0.31), "missing_ir": (0.96, 0.42)}
GIVEN = 0.97  # --condition-threshold missing_both


@pytest.fixture(scope="module")
def lenient(serve_workspace):
    """`pafas serve --allow-missing depth,ir` on model:v002, whose eval (dev threshold 0) calibrated missing_depth
    and missing_ir; missing_both is given on the command line."""
    ws, _ = serve_workspace
    source = add_eval(ws, ["model:v002"], [0.0], conditions=CONDITIONS).name
    running = start_cli_server(ws, "--model", "model:v002", "--set", "eval.max_new_tokens=12", "--allow-missing",
                               "depth,ir", "--condition-threshold", f"missing_both={GIVEN}")
    yield running, f"eval:{source}"
    assert stop_server(running) == 0, "".join(running.output[-20:])


def test_a_spoof_missing_any_modality_is_refused_by_default(client, faces):
    spoofs = [faces[1], faces[2]]
    for spoof in spoofs:
        for left_out in (*LEFT_OUT, ("rgb",)):
            reply = client.liveness({m: data for m, data in spoof.items() if m not in left_out})
            message = _error(reply, 422, "modality_missing", left_out[0])
            assert f"lacks the {left_out[0]} image" in message


def test_with_allow_missing_no_spoof_is_decided_at_the_full_triple_threshold(lenient, faces):
    """Each face missing modalities is decided at its condition's threshold, and the answer says which."""
    running, source = lenient
    client = Client(running.url)
    full = client.liveness(faces[1]).json
    assert (full["condition"], full["threshold"]["value"], full["decision"]) == ("full", 0.0, "live")
    expected = {name: (t, source, h) for name, (t, h) in CONDITIONS.items()}
    expected["missing_both"] = (GIVEN, "--condition-threshold", None)
    for spoof in (faces[1], faces[2]):
        for left_out, name in LEFT_OUT.items():
            reply = client.liveness({m: data for m, data in spoof.items() if m not in left_out})
            assert reply.status == 200, reply.body
            body = reply.json
            value, origin, hter = expected[name]
            assert body["condition"] == name and body["missing"] == list(left_out)
            assert (body["threshold"]["value"], body["threshold"]["source"], body["threshold"]["hter"]) == (
                value, origin, hter)
            assert body["decision"] == ("live" if body["liveness"] >= value else "spoof")
    _error(client.liveness({"depth": faces[1]["depth"], "ir": faces[1]["ir"]}), 422, "modality_missing", "rgb")
    info = client.get("/v1/model").json["modalities"]
    assert info["allow_missing"] == ["depth", "ir"] and info["conditions"]["missing_ir"]["value"] == 0.96


def test_a_clause_citing_a_modality_that_was_not_sent_is_marked(lenient, faces):
    running, _ = lenient
    reply = Client(running.url).liveness({"rgb": faces[1]["rgb"], "depth": faces[1]["depth"]})
    assert reply.status == 200, reply.body
    assert reply.json["modalities"] == ["rgb", "depth"] and reply.json["missing"] == ["ir"]
    cited = {m for c in reply.json["clauses"] for m in c["modalities"]}
    assert reply.json["cites_missing"] == (["ir"] if "ir" in cited else [])
    assert all(c["missing"] == [m for m in c["modalities"] if m == "ir"] for c in reply.json["clauses"])


def test_the_model_its_spec_and_health_are_described(client):
    info = client.get("/v1/model").json
    assert info["model"]["ref"] == "model:v001" and info["model"]["stage"] == "model"
    assert info["spec"]["image_size"] == 56 and info["reading"]["image_size"] == 56
    assert info["reading"]["max_new_tokens"] == 12 and info["reading"]["branches"][0] == "Real Face"
    assert info["threshold"] == {"value": DEV_THRESHOLD, "source": "eval:v001",
                                 "rule": "dev-set EER threshold, eval:v001", "hter": None}
    assert info["modalities"]["required"] == ["rgb", "depth", "ir"] and info["modalities"]["allow_missing"] == []
    assert info["batching"]["max_batch"] == 8 and info["limits"]["max_body_bytes"] == 1 << 20
    health = client.get("/healthz")
    assert health.status == 200 and health.json["status"] == "ok" and health.json["model"] == "model:v001"


def test_the_openapi_schema_documents_the_form_and_the_answer(client):
    schema = client.get("/openapi.json").json
    post = schema["paths"]["/v1/liveness"]["post"]
    form = post["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]
    assert set(form) == {"rgb", "depth", "ir"} and form["rgb"]["format"] == "binary"
    assert {"200", "400", "401", "413", "415", "422", "429", "503", "504"} <= set(post["responses"])
    assert post["requestBody"]["content"]["multipart/form-data"]["schema"]["required"] == ["rgb", "depth", "ir"]
    answer = schema["components"]["schemas"]["LivenessResponse"]["properties"]
    assert {"liveness", "decision", "threshold", "answer", "reasoning", "clauses", "cites_missing", "grounded", "model",
            "timings_ms"} <= set(answer)
    clause = schema["components"]["schemas"]["Clause"]["properties"]
    assert {"text", "kind", "modality", "observation", "node", "modalities", "missing"} <= set(clause)
    assert {"/healthz", "/v1/model"} <= set(schema["paths"])


def test_the_page_is_served(client):
    page = client.get("/")
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    text = page.body.decode()
    assert all(f'id="file-{m}"' in text for m in ("rgb", "depth", "ir")) and "v1/liveness" in text
    assert "pafas serve · model:v001" in text and "http://" not in text.split("<script>")[1], "no external assets"


def test_concurrent_requests_are_batched_and_answered_as_one_at_a_time(server, faces):
    """Eight clients at once, twice: the batches are fewer than the requests, the answers those of batch 1."""
    alone = [Client(server.url).liveness(f).json for f in faces]
    before = Client(server.url).get("/healthz").json["batching"]
    replies: list = [None] * 16
    barrier = threading.Barrier(8)

    def send(slot: int) -> None:
        session = Client(server.url)
        for round_ in range(2):
            barrier.wait(30)
            replies[round_ * 8 + slot] = session.liveness(faces[slot % len(faces)])

    threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    after = Client(server.url).get("/healthz").json["batching"]
    assert all(r is not None and r.status == 200 for r in replies)
    batches = after["batches"] - before["batches"]
    assert after["requests"] - before["requests"] == 16
    assert batches <= 8 and max(r.json["batch_size"] for r in replies) >= 4, after
    for i, reply in enumerate(replies):  # same prompt length: no padding, so batching changes nothing
        single = alone[(i % 8) % len(faces)]
        assert reply.json["text"] == single["text"]
        assert reply.json["liveness"] == pytest.approx(single["liveness"], abs=1e-4)


# -- bad input: a JSON error with a 4xx status, never a traceback, and the server goes on ---------------------
def _with(face: dict, part) -> list:
    """The form of `face` with the part of one field replaced by `part` (name, file name, type, data)."""
    from pafas_cli.serve.client import image_parts

    return [p for p in image_parts(face) if p[0] != part[0]] + [part]


def _error(reply, status: int, code: str, field: str | None = None) -> str:
    assert reply.status == status, (reply.status, reply.body)
    error = reply.json["error"]
    assert (error["status"], error["code"], error["field"]) == (status, code, field), error
    assert "\n" not in error["message"] and "Traceback" not in reply.body.decode()
    return error["message"]


@pytest.mark.fault
def test_not_an_image_truncated_empty_and_implausible_files(client, faces):
    message = _error(client.post_form("/v1/liveness", _with(faces[0], ("rgb", "face.png", "image/png",
                                                                       b"hello, not a png"))),
                     400, "not_an_image", "rgb")
    assert message.startswith("rgb ('face.png'): not an image")
    whole = faces[0]["ir"]
    message = _error(client.liveness({**faces[0], "ir": whole[: len(whole) * 2 // 3]}), 400, "unreadable_image", "ir")
    assert "ir ('ir.png')" in message and "complete" in message
    _error(client.liveness({**faces[0], "depth": b""}), 400, "empty_file", "depth")
    tiny = png_bytes(Image.new("RGB", (8, 8)))
    message = _error(client.liveness({**faces[0], "rgb": tiny}), 422, "implausible_image", "rgb")
    assert "8x8 pixels, too small" in message
    strip = png_bytes(Image.new("L", (400, 40)))
    assert "too elongated" in _error(client.liveness({**faces[0], "depth": strip}), 422, "implausible_image", "depth")


@pytest.mark.fault
def test_huge_images_and_bodies_are_refused_with_413(client, server, faces):
    bomb = png_header_only(30000, 30000)  # 900 megapixels declared in a few bytes: PIL's own bomb check
    message = _error(client.liveness({**faces[0], "rgb": bomb}), 413, "image_too_large", "rgb")
    assert "900000000 pixels" in message and "--max-megapixels" in message
    header = png_header_only(3000, 3000)  # 9 megapixels: under PIL's limit, over the server's 1, never decoded
    assert "3000x3000 pixels" in _error(client.liveness({**faces[0], "ir": header}), 413, "image_too_large", "ir")
    big = png_bytes(Image.new("L", (1200, 1000)))  # 1.2 megapixels, a real image
    assert "at most 1 megapixels" in _error(client.liveness({**faces[0], "depth": big}), 413, "image_too_large",
                                            "depth")
    padding = [("rgb", "face.png", "image/png", faces[0]["rgb"] + b"\0" * (1 << 20))]
    assert "1 MiB" in _error(client.post_form("/v1/liveness", padding), 413, "body_too_large")
    # The same body without a Content-Length (chunked): refused while it streams in.
    body, content_type = encode_multipart(padding)
    conn = http.client.HTTPConnection("127.0.0.1", int(server.url.rsplit(":", 1)[1]), timeout=60)
    conn.request("POST", "/v1/liveness", body=iter([body[i:i + 65536] for i in range(0, len(body), 65536)]),
                 headers={"Content-Type": content_type}, encode_chunked=True)
    response = conn.getresponse()
    assert response.status == 413 and b"body_too_large" in response.read()
    conn.close()


@pytest.mark.fault
def test_a_form_that_is_not_rgb_depth_ir_files(client, faces):
    assert "send the file fields rgb, depth, ir" in _error(client.post_form("/v1/liveness", []), 400, "no_image")
    assert "did you mean 'rgb'" in _error(client.post_form("/v1/liveness", [("RGB", "f.png", "image/png",
                                                                              faces[0]["rgb"])]),
                                          400, "unknown_field", "RGB")
    assert "send the image as a file" in _error(client.post_form("/v1/liveness", [("ir", None, None, b"ir.png")]),
                                                400, "not_a_file", "ir")
    twice = [("rgb", "a.png", "image/png", faces[0]["rgb"]), ("rgb", "b.png", "image/png", faces[1]["rgb"])]
    _error(client.post_form("/v1/liveness", twice), 400, "duplicate_field", "rgb")
    garbage = client.request("POST", "/v1/liveness", b"--xyz\r\nnot a part\r\n",
                             {"Content-Type": "multipart/form-data; boundary=abc"})
    assert _error(garbage, 400, "bad_request").startswith("malformed request")


@pytest.mark.fault
def test_wrong_content_types_are_415(client, faces):
    for content_type in ("application/json", "application/x-www-form-urlencoded", None):
        headers = {"Content-Type": content_type} if content_type else {}
        reply = client.request("POST", "/v1/liveness", b'{"rgb": "face.png"}', headers)
        assert "multipart/form-data" in _error(reply, 415, "unsupported_media_type")
    text_part = _with(faces[0], ("rgb", "face.txt", "text/plain", faces[0]["rgb"]))
    assert "text/plain" in _error(client.post_form("/v1/liveness", text_part), 415, "unsupported_media_type", "rgb")
    octets = _with(faces[0], ("rgb", "face", "application/octet-stream", faces[0]["rgb"]))  # curl's, unknown suffix
    assert client.post_form("/v1/liveness", octets).status == 200


@pytest.mark.fault
def test_unknown_routes_and_methods_are_json(client):
    assert "no such route" in _error(client.get("/v2/liveness"), 404, "not_found")
    assert "GET is not allowed" in _error(client.get("/v1/liveness"), 405, "method_not_allowed")


@pytest.mark.fault
def test_after_every_bad_input_the_server_still_serves_and_never_logged_a_traceback(client, faces, server):
    assert client.liveness({**faces[0], "rgb": png_header_only(5000, 5000)}).status == 413
    assert client.liveness(faces[2]).status == 200
    assert server.proc.poll() is None
    log = "".join(server.output)
    assert "Traceback" not in log and "Exception" not in log, log[-3000:]
    assert "POST /v1/liveness 413" in log and "image_too_large" in log, "each request is one access-log line"
