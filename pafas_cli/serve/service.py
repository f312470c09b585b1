"""The loaded model behind `pafas serve`: how it reads a face, its threshold, the batcher, the JSON it answers.

A face is read as `pafas explain` reads one (the model's image size, its taxonomy and answer format), and its
prediction comes from the same `infer.predict.predict` that eval and explain use, on micro-batches of
concurrent requests. A face must have every modality but those `--allow-missing` names (422 otherwise); a
missing one is shown as the blank image with the prompt saying so (the P2 policy). The decision is `live` iff
the liveness score >= the threshold of the face's condition (`policy.py`): for a full triple, the dev-set EER
threshold that the newest eval of this very model found (`infer.models.model_dev_threshold`) or `--threshold`;
for a face missing some modalities, the one calibrated for that condition.

No web framework is imported here; `app.py` turns requests into `Upload`s and these dicts into responses.
"""

from __future__ import annotations

import difflib
import math
import re
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

from pafas_cli.data.sample import MODALITIES
from pafas_cli.infer.modalities import condition, refusal_message, refused
from pafas_cli.infer.plan import Reading
from pafas_cli.serve.batcher import DeadlineExceeded, Done, MicroBatcher, QueueFull, Stopped
from pafas_cli.serve.policy import Policy
from pafas_cli.serve.uploads import ApiError, Upload, read_upload

MIB = 1 << 20
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


@dataclass(frozen=True)
class Limits:
    """Batching and input limits (the `pafas serve` options)."""

    max_batch: int = 16
    window_ms: float = 50.0
    max_queue: int = 256
    max_body_bytes: int = 32 * MIB
    max_pixels: int = 24_000_000
    request_timeout_s: float = 60.0  # from arrival to answer; past it 504

    def check(self) -> None:
        from pafas_cli.errors import PafasError

        if self.max_batch < 1:
            raise PafasError(f"--max-batch must be >= 1, got {self.max_batch}")
        if not 0 <= self.window_ms <= 10_000:
            raise PafasError(f"--batch-window-ms must be within 0-10000, got {self.window_ms:g}")
        if self.max_queue < 1:
            raise PafasError(f"--max-queue must be >= 1, got {self.max_queue}")
        if self.max_body_bytes < 1024:
            raise PafasError(f"--max-body-mb must allow at least 1 KiB, got {self.max_body_bytes} bytes")
        if self.max_pixels < 256:
            raise PafasError(f"--max-megapixels must allow at least a 16x16 image, got {self.max_pixels} pixels")
        if not (math.isfinite(self.request_timeout_s) and 0 < self.request_timeout_s <= 3600):
            raise PafasError(f"--request-timeout-s must be within 0-3600 seconds (above 0), got "
                             f"{self.request_timeout_s:g}")


@dataclass
class Face:
    """The checked images of one request, by modality (missing modalities are absent)."""

    images: dict[str, Any]

    @property
    def present(self) -> tuple[str, ...]:
        return tuple(m for m in MODALITIES if m in self.images)

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(m for m in MODALITIES if m not in self.images)


def _torch_threads() -> int:
    """The CPU threads the model computes with (set from the recipe's `threads` at start; pafas_cli/threads.py)."""
    import torch

    return torch.get_num_threads()


def request_id(given: str | None) -> str:
    """The client's X-Request-ID when it is a plain token (so its logs and ours match), else a new one."""
    return given if given and REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


class LivenessService:
    """One loaded model serving liveness requests through a micro-batcher."""

    def __init__(self, model: Any, processor: Any, *, name: str, resolved: Any, reading: Reading,
                 policy: Policy, limits: Limits, spec: Any = None, load_seconds: float | None = None,
                 debug: bool = False):
        self.model, self.processor, self.name, self.resolved = model, processor, name, resolved
        self.reading, self.policy, self.limits, self.spec = reading, policy, limits, spec
        self.load_seconds, self.debug = load_seconds, debug  # debug: log tracebacks of unexpected failures
        self.warm_seconds: float | None = None
        self.started = time.time()
        self.batcher: MicroBatcher[Face, Any] = MicroBatcher(self.predict, limits.max_batch,
                                                             limits.window_ms / 1000, limits.max_queue,
                                                             drain_s=limits.request_timeout_s)
        self._running = False
        self.loop_in_main = False

    # -- life cycle ----------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start serving (the app's lifespan calls it): the batch loop gets a thread of its own unless
        `loop_in_main` says the caller runs it (`batcher.serve_forever()` in the main thread, as `pafas serve`)."""
        if not self._running:
            if not self.loop_in_main:
                self.batcher.start()
            self._running = True

    def stop(self) -> None:
        """Stop accepting requests and answer the accepted ones (the loop's own thread drains them; with
        `loop_in_main` the caller's loop has drained them already)."""
        if self._running:
            self.batcher.stop(self.limits.request_timeout_s)
            self._running = False

    def warm_up(self) -> float:
        """One blank face through the model (the first call pays one-off costs); seconds taken."""
        started = time.perf_counter()
        self.predict([Face({})])
        return time.perf_counter() - started

    # -- a request -----------------------------------------------------------------------------------------
    def read_face(self, uploads: Sequence[Upload], text_fields: Sequence[str] = ()) -> Face:
        """The request's checked images; an ApiError for a form that is not rgb/depth/ir files, or a bad file."""
        for field in text_fields:
            if field in MODALITIES:
                raise ApiError(400, "not_a_file", f"{field}: sent as a text value; send the image as a file "
                               f"(curl -F {field}=@{field}.png)", field)
            raise _unknown(field)
        for field in (u.field for u in uploads):
            if field not in MODALITIES:
                raise _unknown(field)
        twice = sorted(f for f, n in Counter(u.field for u in uploads).items() if n > 1)
        if twice:
            raise ApiError(400, "duplicate_field", f"{twice[0]}: sent more than once; send one file per modality",
                           twice[0])
        if not uploads:
            raise ApiError(400, "no_image", "no image: send the file fields "
                           f"{', '.join(self.required)} as multipart/form-data")
        lacking = refused([m for m in MODALITIES if m not in {u.field for u in uploads}], self.policy.allow_missing)
        if lacking:
            raise ApiError(422, "modality_missing", refusal_message(lacking, self.policy.allow_missing,
                                                                    "the request") + "; send it as a file field",
                           lacking[0])
        return Face({u.field: read_upload(u, self.reading.side, self.limits.max_pixels)
                     for u in sorted(uploads, key=lambda u: MODALITIES.index(u.field))})

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(m for m in MODALITIES if m not in self.policy.allow_missing)

    def expect(self) -> Any:
        """A ticket announcing a request being received (the batcher waits for it while collecting a batch);
        ApiError 503 once the server is shutting down."""
        try:
            return self.batcher.expect()
        except Stopped as exc:
            raise ApiError(503, "shutting_down", f"{exc}; retry on another server") from None

    def submit(self, face: Face, ticket: Any = None, deadline: float | None = None) -> Any:
        """A concurrent future of `Done`; ApiError 429 when the queue is full, 503 when the server is stopping."""
        try:
            return self.batcher.submit(face, ticket, deadline)
        except QueueFull as exc:
            raise ApiError(429, "queue_full", f"the server is busy ({exc}); retry after the Retry-After seconds",
                           headers={"Retry-After": str(self.retry_after())}) from None
        except Stopped as exc:
            raise ApiError(503, "shutting_down", f"{exc}; retry on another server") from None

    def retry_after(self) -> int:
        """Seconds until the queue has likely room again: the batches ahead at the last batch's pace (>= 1)."""
        batches = math.ceil(self.batcher.waiting / self.limits.max_batch)
        return max(1, min(60, math.ceil(batches * (self.batcher.last_run_s or 1.0))))

    def deadline_exceeded(self, waited_s: float) -> ApiError:
        return ApiError(504, "deadline_exceeded", f"no answer within this server's {self.limits.request_timeout_s:g} "
                        f"s per request (--request-timeout-s; waited {waited_s:.1f} s): the server is overloaded, "
                        "retry later")

    def predict(self, faces: Sequence[Face]) -> list[Any]:
        """Predictions for a batch of faces, one generate call (the batcher's worker calls this)."""
        from pafas_cli.data.images import blank_image
        from pafas_cli.infer.predict import predict
        from pafas_cli.paths.prompt import build_user_turn

        blank = blank_image(self.reading.side)
        prompts = [[{"role": "user", "content": build_user_turn(face.present)}] for face in faces]
        images = [[face.images.get(m, blank) for m in MODALITIES] for face in faces]
        return predict(self.model, self.processor, [(prompts, images)], len(faces), self.reading.taxonomy,
                       self.reading.max_new_tokens, description="serve", show_progress=False,
                       require_think=self.reading.require_think, decoder=self.reading.decoder)

    def respond(self, face: Face, done: Done, rid: str, read_s: float, total_s: float) -> dict[str, Any]:
        """The JSON answer for one face, decided at its condition's threshold; ApiError 500 when the model's
        score is not a finite number."""
        from pafas_cli.infer.faithfulness import check_reasoning
        from pafas_cli.infer.predict import prediction_record

        record = prediction_record(done.result)
        check = check_reasoning(self.reading.reader, record["reasoning"], face.present)
        if record["liveness"] is None:
            raise ApiError(500, "model_output", record["error"])
        score = float(done.result.score)
        state = condition(face.missing)
        threshold = self.policy.thresholds[state]
        ms = lambda s: round(s * 1000, 1)  # noqa: E731
        return {
            "request_id": rid,
            "liveness": record["liveness"],
            "decision": "live" if score >= threshold.value else "spoof",
            "condition": state,
            "threshold": asdict(threshold),
            "answer": {"verdict": record["verdict"], "path": record["answer"], "deepest": record["deepest"],
                       "well_formed": record["well_formed"], "format_error": record["format_error"]},
            "reasoning": record["reasoning"],
            "clauses": check["clauses"],
            "cites_missing": check["cites_missing"],
            "grounded": check["grounded"],
            "text": record["text"],
            "modalities": list(face.present),
            "missing": list(face.missing),
            "model": {"ref": self.name, "fingerprint": self.resolved.fingerprint},
            "batch_size": done.batch_size,
            "timings_ms": {"read": ms(read_s), "queue": ms(done.queued_s), "model": ms(done.run_s),
                           "total": ms(total_s)},
        }

    # -- describing the server -----------------------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        """GET /v1/model: which model, its spec, how it reads a face, the threshold, batching and limits."""
        taxonomy = self.reading.taxonomy
        r = self.resolved
        return {
            "model": {"ref": self.name, "path": str(r.path) if r.path else None, "stage": r.stage,
                      "version": r.version, "fingerprint": r.fingerprint, "hub_id": r.hub_id},
            "spec": _spec_dict(self.spec),
            "threshold": asdict(self.policy.full),
            "modalities": {"required": list(self.required), **self.policy.describe()},
            "reading": {"image_size": self.reading.side, "require_think": self.reading.require_think,
                        "max_new_tokens": self.reading.max_new_tokens,
                        "branches": [taxonomy.live] + [c for c in taxonomy.children(None) if c != taxonomy.live],
                        "modality_names": self.reading.modality_names,
                        "missing_modality": "refused (422) unless allowed; an allowed one is shown to the model as "
                                            "a blank image, the prompt saying it is unavailable"},
            "batching": {"max_batch": self.limits.max_batch, "window_ms": self.limits.window_ms,
                         "max_queue": self.limits.max_queue, "request_timeout_s": self.limits.request_timeout_s},
            "limits": {"max_body_bytes": self.limits.max_body_bytes, "max_pixels": self.limits.max_pixels},
            "device": str(getattr(self.model, "device", "cpu")),
            "threads": _torch_threads(),
            "dtype": str(getattr(self.model, "dtype", "")).removeprefix("torch."),
            "load_seconds": self.load_seconds,
            "started": datetime.fromtimestamp(self.started, timezone.utc).isoformat(timespec="seconds"),
        }

    def health(self) -> dict[str, Any]:
        """GET /healthz: up (ok), draining (stopping) or down, which model, and how requests were batched."""
        status = "stopped" if not self._running else "stopping" if self.batcher.stopping else "ok"
        return {"status": status, "model": self.name, "uptime_s": round(time.time() - self.started, 1),
                "batching": self.batcher.stats()}


def _unknown(field: str) -> ApiError:
    close = difflib.get_close_matches(field.lower(), MODALITIES, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return ApiError(400, "unknown_field", f"'{field}' is not a field of this API: send the files as rgb, depth "
                    f"and/or ir{hint}", field)


def _spec_dict(spec: Any) -> dict[str, Any] | None:
    if spec is None:
        return None
    return {k: v for k, v in asdict(spec).items()}
