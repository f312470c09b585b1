"""Micro-batching: requests that arrive close together go through the model in one call.

One loop owns the model. A request is queued with a future; the loop takes the oldest and collects more
for a batch until `max_batch` are collected or the collection window (`window_s` from when collecting
started) closes. The window closes early when nothing else is on its way and the previous batch was a
single request: the server announces each request when its body starts to arrive (`expect`) and it counts
as on its way until it is queued. So a lone request at an idle server runs at once, a batch waits for the
requests being received right now, and under load a batch waits the window for the clients it just
answered to send their next requests (without that, 16 closed-loop clients split into two groups that
alternate, each waiting for the other's batch: half the throughput). The queue is bounded: past `max_queue`
waiting requests `submit` raises `QueueFull` (the server answers 503) instead of letting latency grow
without end.

Pure Python, no web or torch imports: the batching logic is tested with a stand-in model.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class QueueFull(Exception):
    """More requests are waiting than the queue holds."""


class Stopped(Exception):
    """The batcher was stopped before the request ran."""


@dataclass(frozen=True)
class Done(Generic[R]):
    """One request's result and how it was run."""

    result: R
    batch_size: int
    queued_s: float  # from submit to the start of its batch
    run_s: float  # the batch's model call


class Ticket:
    """A request on its way (`MicroBatcher.expect`): counted until submitted or released."""

    def __init__(self, batcher: "MicroBatcher"):
        self._batcher, self._open = batcher, True
        with batcher._lock:
            batcher._incoming += 1

    def release(self) -> None:
        if self._open:
            self._open = False
            with self._batcher._lock:
                self._batcher._incoming -= 1

    def __enter__(self) -> "Ticket":
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


@dataclass
class _Job:
    item: Any
    future: Future
    enqueued: float


_STOP = object()
POLL_S = 0.002
IDLE_POLL_S = 0.2  # how often an idle loop looks at the stop flag


class MicroBatcher(Generic[T, R]):
    """`call(items) -> results` (same length, same order) run on batches of items by one loop.

    The loop runs on a thread of its own (`start`), or in the calling thread (`serve_forever`): `pafas serve`
    runs it in the main thread, where PyTorch's OpenMP threads run small ops many times faster than from a
    secondary thread (measured: 9x for the small ops of a tiny model's generation; docs/bench.md).
    """

    def __init__(self, call: Callable[[Sequence[T]], Sequence[R]], max_batch: int = 16, window_s: float = 0.02,
                 max_queue: int = 256, name: str = "pafas-batcher"):
        if max_batch < 1:
            raise ValueError(f"max_batch must be >= 1, got {max_batch}")
        if window_s < 0:
            raise ValueError(f"window_s must be >= 0, got {window_s}")
        self.call, self.max_batch, self.window_s, self.name = call, max_batch, window_s, name
        self._queue: queue.Queue = queue.Queue(maxsize=max_queue)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopped = False  # set by stop() (any thread, or a signal handler): no new requests, the loop ends
        self._incoming = 0  # requests announced (expect) and not yet submitted
        self._last = 0  # size of the previous batch
        self.sizes: Counter[int] = Counter()  # batch size -> how many batches ran with it

    # -- the public side ---------------------------------------------------------------------------------
    def start(self) -> "MicroBatcher[T, R]":
        """Run the loop on a thread of its own."""
        self._thread = threading.Thread(target=self.serve_forever, name=self.name, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self, alive: Callable[[], bool] = lambda: True) -> None:
        """Run batches in this thread until stop() (or until `alive()` turns false); then fail what still waits."""
        try:
            while not self._stopped and alive():
                try:
                    first = self._queue.get(timeout=IDLE_POLL_S)
                except queue.Empty:
                    continue
                if first is _STOP:
                    break
                batch, stop = self._collect(first)
                self._run(batch)
                if stop:
                    break
        finally:
            self._stopped = True
            self._fail_waiting()

    def expect(self) -> Ticket:
        """Announce a request that is still being received: batches being collected wait for it (up to the
        window) until it is submitted with this ticket or the ticket is released (e.g. a bad upload)."""
        return Ticket(self)

    def submit(self, item: T, ticket: Ticket | None = None) -> Future:
        """A future of `Done`; raises QueueFull when `max_queue` requests already wait, Stopped after stop()."""
        try:
            if self._stopped:
                raise Stopped("the server is shutting down")
            job = _Job(item, Future(), time.monotonic())
            try:
                self._queue.put_nowait(job)
            except queue.Full:
                raise QueueFull(f"{self._queue.maxsize} requests are already waiting") from None
            if self._stopped:  # stopped between the check and the put: the loop may be gone
                self._fail_waiting()
            return job.future
        finally:
            if ticket is not None:
                ticket.release()  # after the put: the loop never sees it neither queued nor on its way

    def request_stop(self) -> None:
        """Only set the stop flag: safe in a signal handler (takes no lock). The loop ends within IDLE_POLL_S,
        after the batch in progress."""
        self._stopped = True

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the batch in progress, fail the requests still queued (Stopped), end the loop."""
        self._stopped = True
        self._fail_waiting()
        try:
            self._queue.put_nowait(_STOP)  # wakes a loop waiting for its first request
        except queue.Full:  # pragma: no cover - the queue was just drained
            pass
        if self._thread is not None and self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def waiting(self) -> int:
        return self._queue.qsize()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            sizes = dict(sorted(self.sizes.items()))
        batches = sum(sizes.values())
        items = sum(size * n for size, n in sizes.items())
        return {"batches": batches, "requests": items, "largest_batch": max(sizes, default=0),
                "mean_batch": round(items / batches, 2) if batches else 0.0, "batch_sizes": sizes,
                "waiting": self.waiting}

    # -- the loop --------------------------------------------------------------------------------------
    def _fail_waiting(self) -> None:
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                return
            if job is not _STOP and job.future.set_running_or_notify_cancel():
                job.future.set_exception(Stopped("the server is shutting down"))

    def _collect(self, first: _Job) -> tuple[list[_Job], bool]:
        batch = [first]
        deadline = time.monotonic() + self.window_s
        while len(batch) < self.max_batch:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                left = deadline - time.monotonic()
                with self._lock:
                    coming = self._incoming
                # A lone request (nothing on its way, the previous batch a single one) runs at once; under load
                # the batch waits the window for the clients it just answered to send their next requests.
                if left <= 0 or (coming == 0 and self._last <= 1) or self._stopped:
                    break
                try:  # short waits: the count of requests on their way is read again after each
                    job = self._queue.get(timeout=min(left, POLL_S))
                except queue.Empty:
                    continue
            if job is _STOP:
                return batch, True
            batch.append(job)
        return batch, False

    def _run(self, batch: list[_Job]) -> None:
        live = [job for job in batch if job.future.set_running_or_notify_cancel()]  # drop cancelled requests
        if not live:
            return
        started = time.monotonic()
        try:
            results = list(self.call([job.item for job in live]))
            if len(results) != len(live):
                raise RuntimeError(f"the model returned {len(results)} results for {len(live)} requests")
        except Exception as exc:  # every waiting request hears of it; the loop goes on
            for job in live:
                job.future.set_exception(exc)
            return
        except BaseException:  # KeyboardInterrupt, SystemExit: the requests fail as stopped, the loop ends
            for job in live:
                job.future.set_exception(Stopped("the server is shutting down"))
            raise
        finally:
            with self._lock:
                self.sizes[len(live)] += 1
            self._last = len(live)
        took = time.monotonic() - started
        for job, result in zip(live, results):
            job.future.set_result(Done(result, len(live), started - job.enqueued, took))
