"""The loaded model behind `pafas serve`: how it reads a face, its threshold, the batcher, the JSON it answers.

A face is read as `pafas explain` reads one (the model's image size, its taxonomy and answer format, a
missing modality shown as the blank image with the prompt saying so: the P2 policy), and its prediction
comes from the same `infer.predict.predict` that eval and explain use, on micro-batches of concurrent
requests. The decision is `live` iff the liveness score >= the threshold: the dev-set EER threshold that
the newest eval of this very model found (`infer.models.model_dev_threshold`), or `--threshold`.

No web framework is imported here; `app.py` turns requests into `Upload`s and these dicts into responses.
"""

from __future__ import annotations

import difflib
import re
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from functools import cached_property
from typing import Any

from pafas_cli.data.sample import MODALITIES
from pafas_cli.serve.batcher import Done, MicroBatcher
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


@dataclass(frozen=True)
class Threshold:
    """The decision threshold and where it came from."""

    value: float
    source: str  # eval:vNNN, or --threshold
    rule: str


@dataclass(frozen=True)
class Reading:
    """How this model reads a face: its input side, answer format, and the reasoning tree of its paths version
    (its taxonomy, modality names and the clause reader)."""

    side: int
    require_think: bool
    max_new_tokens: int
    tree: Any  # pafas_cli.paths.tree.ReasoningTree

    @property
    def taxonomy(self) -> Any:
        return self.tree.taxonomy

    @property
    def modality_names(self) -> dict[str, str]:
        return dict(self.tree.modality_names)

    @cached_property
    def reader(self) -> Any:
        from pafas_cli.paths.clauses import ClauseReader

        return ClauseReader(self.tree)


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


def request_id(given: str | None) -> str:
    """The client's X-Request-ID when it is a plain token (so its logs and ours match), else a new one."""
    return given if given and REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


class LivenessService:
    """One loaded model serving liveness requests through a micro-batcher."""

    def __init__(self, model: Any, processor: Any, *, name: str, resolved: Any, reading: Reading,
                 threshold: Threshold, limits: Limits, spec: Any = None, load_seconds: float | None = None,
                 debug: bool = False):
        self.model, self.processor, self.name, self.resolved = model, processor, name, resolved
        self.reading, self.threshold, self.limits, self.spec = reading, threshold, limits, spec
        self.load_seconds, self.debug = load_seconds, debug  # debug: log tracebacks of unexpected failures
        self.warm_seconds: float | None = None
        self.started = time.time()
        self.batcher: MicroBatcher[Face, Any] = MicroBatcher(self.predict, limits.max_batch,
                                                             limits.window_ms / 1000, limits.max_queue)
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
        if self._running:
            self.batcher.stop()
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
            raise ApiError(400, "no_image", "no image: send at least one of the file fields rgb, depth, ir as "
                           "multipart/form-data (a missing modality is read as a blank image, the P2 policy)")
        return Face({u.field: read_upload(u, self.reading.side, self.limits.max_pixels)
                     for u in sorted(uploads, key=lambda u: MODALITIES.index(u.field))})

    def expect(self) -> Any:
        """A ticket announcing a request being received (the batcher waits for it while collecting a batch)."""
        return self.batcher.expect()

    def submit(self, face: Face, ticket: Any = None) -> Any:
        """A concurrent future of `Done`; ApiError 503 when the queue is full or the server is stopping."""
        from pafas_cli.serve.batcher import QueueFull, Stopped

        try:
            return self.batcher.submit(face, ticket)
        except QueueFull as exc:
            raise ApiError(503, "busy", f"the server is busy ({exc}); retry shortly", headers={"Retry-After": "1"}
                           ) from None
        except Stopped as exc:
            raise ApiError(503, "shutting_down", str(exc)) from None

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
                       require_think=self.reading.require_think)

    def respond(self, face: Face, done: Done, rid: str, read_s: float, total_s: float) -> dict[str, Any]:
        """The JSON answer for one face; ApiError 500 when the model's score is not a finite number."""
        from pafas_cli.infer.faithfulness import check_reasoning
        from pafas_cli.infer.predict import prediction_record

        record = prediction_record(done.result)
        check = check_reasoning(self.reading.reader, record["reasoning"], face.present)
        if record["liveness"] is None:
            raise ApiError(500, "model_output", record["error"])
        score = float(done.result.score)
        ms = lambda s: round(s * 1000, 1)  # noqa: E731
        return {
            "request_id": rid,
            "liveness": record["liveness"],
            "decision": "live" if score >= self.threshold.value else "spoof",
            "threshold": asdict(self.threshold),
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
            "threshold": asdict(self.threshold),
            "reading": {"image_size": self.reading.side, "require_think": self.reading.require_think,
                        "max_new_tokens": self.reading.max_new_tokens,
                        "branches": [taxonomy.live] + [c for c in taxonomy.children(None) if c != taxonomy.live],
                        "modality_names": self.reading.modality_names,
                        "missing_modality": "shown to the model as a blank image, the prompt says it is unavailable"},
            "batching": {"max_batch": self.limits.max_batch, "window_ms": self.limits.window_ms,
                         "max_queue": self.limits.max_queue},
            "limits": {"max_body_bytes": self.limits.max_body_bytes, "max_pixels": self.limits.max_pixels},
            "device": str(getattr(self.model, "device", "cpu")),
            "dtype": str(getattr(self.model, "dtype", "")).removeprefix("torch."),
            "load_seconds": self.load_seconds,
            "started": datetime.fromtimestamp(self.started, timezone.utc).isoformat(timespec="seconds"),
        }

    def health(self) -> dict[str, Any]:
        """GET /healthz: up, which model, and the batcher's counts (how requests were batched)."""
        return {"status": "ok" if self._running else "stopped", "model": self.name,
                "uptime_s": round(time.time() - self.started, 1), "batching": self.batcher.stats()}


def _unknown(field: str) -> ApiError:
    close = difflib.get_close_matches(field.lower(), MODALITIES, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return ApiError(400, "unknown_field", f"'{field}' is not a field of this API: send the files as rgb, depth "
                    f"and/or ir{hint}", field)


def _spec_dict(spec: Any) -> dict[str, Any] | None:
    if spec is None:
        return None
    return {k: v for k, v in asdict(spec).items()}
