"""The HTTP side of `pafas serve` (FastAPI on uvicorn): routes, limits, JSON errors, the OpenAPI schema.

    GET  /              the page (page.py)
    POST /v1/liveness   multipart rgb / depth / ir files (those --allow-missing names may be missing) -> JSON
    GET  /v1/model      which model, its spec, thresholds per condition, how it reads a face, batching, limits
    GET  /healthz       up (200) or draining (503), and how requests were batched so far
    GET  /metrics       Prometheus text (metrics.py)
    GET  /openapi.json  the schema (/docs renders it where the browser can load Swagger UI)

Every error is JSON, `{"error": {"status", "code", "message", "field"}}`, with a 4xx status for anything
the client can fix (uploads.py lists the image codes; 401 unauthorized, 413 body_too_large, 415 for a body
that is not multipart/form-data, 400 for a form that is not rgb/depth/ir files, 422 modality_missing,
404/405 for unknown routes, 429 queue_full with Retry-After), 503 shutting_down while the server drains, and
504 deadline_exceeded for a request not answered within --request-timeout-s. An unexpected failure is a 500
whose message names only the exception type and the request id; the server logs it and goes on serving. No
response ever carries a traceback.

With an API key (auth.py) every route but the page, /healthz (its status only), the schema and the favicon
needs `Authorization: Bearer KEY`, checked before the body is read; the page asks for the key and sends it.
The body limit is enforced while the body streams in (a declared Content-Length over it is refused before
a byte is read), so a huge upload costs neither memory nor disk. Every response carries X-Request-ID (the
client's, when it sent a plain one) and each request is logged as one line.
"""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from pafas_cli.data.sample import MODALITIES
from pafas_cli.serve.auth import ApiKey
from pafas_cli.serve.batcher import DeadlineExceeded, Stopped
from pafas_cli.serve.metrics import CONTENT_TYPE, ServeMetrics
from pafas_cli.serve.page import render_page
from pafas_cli.serve.service import LivenessService, request_id
from pafas_cli.serve.uploads import ApiError, Upload

# Parts a liveness form may have: three images, with room to name a stray field instead of failing obscurely.
MAX_PARTS = 8
HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "body_too_large",
              415: "unsupported_media_type", 422: "invalid_request"}
ROUTES = ("/", "/favicon.ico", "/healthz", "/metrics", "/v1/model", "/v1/liveness", "/openapi.json", "/docs")
# What needs no key: the page (it asks for the key), the health status, the schema and the favicon.
OPEN = frozenset({"/", "/favicon.ico", "/healthz", "/openapi.json", "/docs", "/docs/oauth2-redirect"})


# -- the schema (OpenAPI) ---------------------------------------------------------------------------------
class ErrorDetail(BaseModel):
    status: int = Field(description="The HTTP status, repeated.")
    code: str = Field(description="Stable machine-readable code, e.g. not_an_image, modality_missing, queue_full.")
    message: str = Field(description="One line saying what is wrong and what to do.")
    field: str | None = Field(None, description="The form field at fault (rgb, depth, ir), if any.")


class ErrorBody(BaseModel):
    error: ErrorDetail


class ThresholdInfo(BaseModel):
    value: float = Field(description="A face is live iff liveness >= value.")
    source: str = Field(description="eval:vNNN (the eval version that measured it), --threshold or "
                                    "--condition-threshold.")
    rule: str
    hter: float | None = Field(description="The test-set HTER measured at this threshold for this condition "
                                           "(null for a threshold given by hand).")


class AnswerInfo(BaseModel):
    verdict: Literal["live", "spoof"] | None = Field(description="The live/spoof branch the model's own answer opens with.")
    path: list[str] | None = Field(description="The hierarchical label, top node first; null when malformed.")
    deepest: str | None
    well_formed: bool
    format_error: str | None


Modality = Literal["rgb", "depth", "ir"]


class Clause(BaseModel):
    text: str
    kind: str | None = Field(description="The reasoning tree's template it fits (step, explore, reflect, verify, "
                                         "conclude, fallback); null when the clause reader cannot parse it.")
    modality: Modality | None = Field(description="The modality whose image it describes (null: none).")
    observation: str | None = Field(description="The tree's observation phrase it states (null: none).")
    node: str | None = Field(description="The taxonomy node it names (null: none).")
    modalities: list[Modality] = Field(description="The modalities it cites (for an unparsed clause: those it names).")
    missing: list[Modality] = Field(description="The modalities it cites that were not sent: evidence the model "
                                                "cannot have seen.")


class ModelRef(BaseModel):
    ref: str = Field(description="The model version, e.g. rl:v003 (or the folder / hub id it was given as).")
    fingerprint: str | None = Field(description="Content fingerprint of the model version (for audits).")


class Timings(BaseModel):
    read: float = Field(description="Receiving and decoding the images, ms.")
    queue: float = Field(description="Waiting for a batch, ms.")
    model: float = Field(description="The batch's model call (generation + score), ms.")
    total: float


class LivenessResponse(BaseModel):
    request_id: str
    liveness: float = Field(ge=0, le=1, description="P(live) from the model's answer branches; 1 = live.")
    decision: Literal["live", "spoof"] = Field(description="liveness >= threshold.value")
    condition: Literal["full", "missing_depth", "missing_ir", "missing_both"] = Field(
        description="Which modalities the face lacked; the threshold is the one calibrated for this condition.")
    threshold: ThresholdInfo
    answer: AnswerInfo
    reasoning: str
    clauses: list[Clause] = Field(description="The reasoning read clause by clause against the model's reasoning "
                                              "tree, each with the modalities it cites (docs/scoring.md).")
    cites_missing: list[Modality] = Field(description="The modalities the reasoning cites that were not sent.")
    grounded: bool | None = Field(description="Whether the reasoning states any observation of a modality that was "
                                              "sent (false: the verdict rests on no clause of a given image; null: "
                                              "no reasoning).")
    text: str = Field(description="The model's raw completion.")
    modalities: list[str] = Field(description="The modalities sent.")
    missing: list[str] = Field(description="The modalities read as blank images (not sent; only those the server "
                                           "allows to be missing).")
    model: ModelRef
    batch_size: int = Field(description="How many requests shared this one's model call.")
    timings_ms: Timings


ERRORS = {status: {"model": ErrorBody, "description": text} for status, text in {
    400: "not an image, unreadable (e.g. truncated), empty, no image at all, a text value or an unknown field",
    401: "no or a wrong API key (send Authorization: Bearer KEY)",
    413: "the body, or an image's pixel count, is over the server's limit",
    415: "the body is not multipart/form-data, or a part's content type is not an image",
    422: "a required modality is missing (modality_missing), or an image cannot be a face crop (implausible_image)",
    429: "too many requests are waiting; retry after the Retry-After seconds",
    503: "the server is shutting down (it answers the requests it had accepted)",
    504: "not answered within the server's --request-timeout-s",
    500: "an unexpected failure (named by exception type and request id; details in the server log)",
}.items()}
NAMES = {"rgb": "RGB", "depth": "depth", "ir": "infrared"}


def multipart_body(required: tuple[str, ...]) -> dict[str, Any]:
    """The form in the schema: which files are required by this server."""
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": list(required),
        "properties": {m: {"type": "string", "format": "binary", "description": f"the {NAMES[m]} image"
                           + ("" if m in required else " (may be missing: decided at its condition's threshold)")}
                       for m in MODALITIES},
    }}}}}


# -- the app ----------------------------------------------------------------------------------------------
def create_app(service: LivenessService, log: Callable[[str], None] | None = None,
               api_key: ApiKey | None = None) -> FastAPI:
    """The FastAPI app around `service`; `log` gets one line per request (None = no access log); with
    `api_key`, every route but OPEN needs it as a bearer token."""
    info = service.describe()
    info["auth"] = "bearer" if api_key else None
    page = render_page(info, auth=api_key is not None)
    metrics = ServeMetrics(ROUTES, lambda: service.batcher.waiting)
    service.batcher.on_batch = metrics.batch

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        service.start()
        try:
            yield
        finally:
            service.stop()

    app = FastAPI(title="pafas liveness API", version="1", lifespan=lifespan, redoc_url=None,
                  description="Face anti-spoofing on RGB / depth / IR with a reasoning vision-language model. "
                              "Post the images to /v1/liveness.")
    app.add_middleware(Guard, max_body=service.limits.max_body_bytes, log=log, metrics=metrics, api_key=api_key)
    if api_key is not None:
        _declare_bearer(app)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        request.state.log = exc.code
        return JSONResponse(exc.body(), exc.status, headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, "http_error")
        if exc.status_code == 404:
            message = f"no such route: {request.url.path} (the API: POST /v1/liveness, GET /v1/model, /healthz)"
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}"
        else:  # e.g. a malformed multipart body: python-multipart's message
            message = f"malformed request: {exc.detail}" if exc.status_code == 400 else str(exc.detail)
        return await _api_error(request, ApiError(exc.status_code, code, message, headers=dict(exc.headers or {})))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = (exc.errors() or [{}])[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return await _api_error(request, ApiError(422, "invalid_request", f"{where}: {first.get('msg', 'invalid')}"))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:  # pragma: no cover - a bug elsewhere
        rid = getattr(request.state, "request_id", "?")
        return JSONResponse(ApiError(500, "internal", f"internal error ({type(exc).__name__}); request {rid} is "
                                     "in the server log").body(), 500)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def _page() -> HTMLResponse:
        return HTMLResponse(page)

    @app.get("/favicon.ico", include_in_schema=False)
    async def _favicon() -> Response:
        return Response(status_code=204)

    @app.get("/healthz", summary="Up (200) or draining (503); with a key, the rest only for its holder",
             openapi_extra={"security": []})
    async def _health(request: Request) -> JSONResponse:
        health = service.health()
        if api_key is not None and not api_key.accepts(request.headers.get("authorization")):
            health = {"status": health["status"]}  # a load balancer's probe needs no more
        return JSONResponse(health, 200 if health["status"] == "ok" else 503)

    @app.get("/metrics", summary="Prometheus metrics: requests, latency, batch sizes, queue depth, model time")
    async def _metrics() -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    @app.get("/v1/model", summary="The model served: reference, spec, thresholds per condition, reading, limits")
    async def _model() -> dict[str, Any]:
        return info

    @app.post("/v1/liveness", summary="Is this face live? Reasoning, hierarchical answer, score and decision",
              response_model=LivenessResponse, responses=ERRORS, openapi_extra=multipart_body(service.required))
    async def _liveness(request: Request) -> JSONResponse:
        started = time.perf_counter()
        deadline = time.monotonic() + service.limits.request_timeout_s
        rid = request.state.request_id
        try:
            with service.expect() as ticket:  # batches being collected wait for this request
                uploads, text_fields = await _read_form(request)
                face = await run_in_threadpool(service.read_face, uploads, text_fields)
                read_s = time.perf_counter() - started
                future = service.submit(face, ticket, deadline)
            # Past the deadline the wait ends with 504; a request still queued is cancelled (never run).
            done = await asyncio.wait_for(asyncio.wrap_future(future), max(0.0, deadline - time.monotonic()))
            body = service.respond(face, done, rid, read_s, time.perf_counter() - started)
        except (ApiError, StarletteHTTPException):
            raise
        except (TimeoutError, DeadlineExceeded):
            raise service.deadline_exceeded(time.perf_counter() - started) from None
        except Stopped as exc:  # a second Ctrl-C ended the loop before this request ran
            raise ApiError(503, "shutting_down", str(exc)) from None
        except ClientDisconnect:
            raise ApiError(400, "incomplete_body", "the connection closed before the whole body arrived") from None
        except Exception as exc:  # noqa: BLE001 - a 500 without a traceback; the server goes on
            if log:
                log(f"error {rid}: {type(exc).__name__}: {exc}")
                if service.debug:
                    log(traceback.format_exc())
            raise ApiError(500, "internal", f"internal error ({type(exc).__name__}); request {rid} is in the "
                           "server log") from None
        metrics.decision(body["decision"], body["condition"])
        request.state.log = (f"{body['decision']} {body['liveness']:.4f} {body['condition']} batch "
                             f"{body['batch_size']}")
        return JSONResponse(body)

    return app


def _declare_bearer(app: FastAPI) -> None:
    """The schema says the API wants a bearer token (so generated clients and Swagger UI send one)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            schema.setdefault("components", {})["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
            schema["security"] = [{"bearer": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi


async def _read_form(request: Request) -> tuple[list[Upload], list[str]]:
    """The form's file parts as Uploads and the names of its text parts; 415 when the body is no form."""
    declared = request.headers.get("content-type", "")
    if not declared.lower().startswith("multipart/form-data"):
        raise ApiError(415, "unsupported_media_type", "send the images as multipart/form-data with file fields rgb, "
                       f"depth and/or ir (curl -F rgb=@face_rgb.png ...); got {declared or 'no content type'}")
    form = await request.form(max_files=MAX_PARTS, max_fields=MAX_PARTS)
    try:
        uploads, text_fields = [], []
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                uploads.append(Upload(name, await value.read(), value.filename, value.content_type))
            else:
                text_fields.append(name)
        return uploads, text_fields
    finally:
        await form.close()


class Guard:
    """Outer ASGI layer per request: the request id, the API key, the body-size limit, the request metrics,
    one access-log line."""

    def __init__(self, app: Any, max_body: int, log: Callable[[str], None] | None = None,
                 metrics: ServeMetrics | None = None, api_key: ApiKey | None = None):
        self.app, self.max_body, self.log, self.metrics, self.api_key = app, max_body, log, metrics, api_key

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        rid = request_id(headers.get("x-request-id"))
        state = scope.setdefault("state", {})
        state["request_id"] = rid
        started = time.perf_counter()
        status = [0]

        async def send_with_id(message: dict) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        limit = self.max_body
        too_large = ApiError(413, "body_too_large", f"the request body is over this server's limit of "
                             f"{_size(limit)} (--max-body-mb); send smaller images (face crops)")
        declared = headers.get("content-length")
        try:
            if self.api_key is not None and scope["path"] not in OPEN:
                _check_key(self.api_key, headers.get("authorization"))
            if declared is not None and (not declared.isdigit() or int(declared) > limit):
                if not declared.isdigit():
                    raise ApiError(400, "bad_request", f"Content-Length is not a number: {declared!r}")
                raise too_large
            received = 0

            async def limited() -> dict:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > limit:
                        raise too_large
                return message

            await self.app(scope, limited, send_with_id)
        except ApiError as exc:  # refused before the app ran
            state["log"] = exc.code
            await JSONResponse(exc.body(), exc.status, headers=exc.headers)(scope, receive, send_with_id)
        finally:
            took = time.perf_counter() - started
            if self.metrics is not None and status[0]:
                self.metrics.request(scope["path"], status[0], took)
            if self.log:
                client = scope.get("client") or ("-", 0)
                extra = state.get("log")
                self.log(f"{datetime.now().strftime('%H:%M:%S')} {client[0]} {scope['method']} {scope['path']} "
                         f"{status[0]} {took * 1000:.0f} ms id={rid}" + (f" {extra}" if extra else ""))


def _check_key(key: ApiKey, authorization: str | None) -> None:
    """An ApiError 401 unless `authorization` carries the key (RFC 6750: `error` only when a token was sent)."""
    if key.accepts(authorization):
        return
    if authorization:
        raise ApiError(401, "unauthorized", "the API key is wrong: send Authorization: Bearer KEY with this "
                       "server's key", headers={"WWW-Authenticate": 'Bearer realm="pafas", error="invalid_token"'})
    raise ApiError(401, "unauthorized", "this server needs an API key: send Authorization: Bearer KEY",
                   headers={"WWW-Authenticate": 'Bearer realm="pafas"'})


def _size(n: int) -> str:
    return f"{n / (1 << 20):g} MiB" if n >= 1 << 20 else f"{n} bytes"
