"""Micro-batching: requests that arrive close together go through the model in one call.

One loop owns the model. A request is queued with a future; the loop takes the oldest and collects more
for a batch until `max_batch` are collected or the collection window (`window_s` from when collecting
started) closes. The window closes early when nothing else is on its way and the previous batch was a
single request: the server announces each request when its body starts to arrive (`expect`) and it counts
as on its way until it is queued. So a lone request at an idle server runs at once, a batch waits for the
requests being received right now, and under load a batch waits the window for the clients it just
answered to send their next requests (without that, 16 closed-loop clients split into two groups that
alternate, each waiting for the other's batch: half the throughput). The queue is bounded: past `max_queue`
waiting requests `submit` raises `QueueFull` (the server answers 429) instead of letting latency grow
without end. A request may carry a deadline: one whose deadline passed while it waited is dropped from its
batch before the model runs (`DeadlineExceeded`), so a backlog of abandoned requests costs no model time.

Stopping drains: after `request_stop()` nothing new is accepted (`Stopped`), but every request already
queued, or announced while it was being received, is still run and answered; then the loop ends.

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
    """The batcher was stopping or stopped when the request came, or ended before it ran."""


class DeadlineExceeded(Exception):
    """The request's deadline passed while it waited for a batch."""


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
            if batcher._stopping:
                raise Stopped("the server is shutting down")
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
    deadline: float | None  # time.monotonic() past which it is not run


POLL_S = 0.002
IDLE_POLL_S = 0.2  # how often an idle loop looks at the stop flag


class MicroBatcher(Generic[T, R]):
    """`call(items) -> results` (same length, same order) run on batches of items by one loop.

    The loop runs on a thread of its own (`start`), or in the calling thread (`serve_forever`): `pafas serve`
    runs it in the main thread, where PyTorch's OpenMP threads run small ops many times faster than from a
    secondary thread (measured: 9x for the small ops of a tiny model's generation; docs/bench.md).
    """

    def __init__(self, call: Callable[[Sequence[T]], Sequence[R]], max_batch: int = 16, window_s: float = 0.02,
                 max_queue: int = 256, name: str = "pafas-batcher", drain_s: float = 60.0,
                 on_batch: Callable[[int, float], None] | None = None):
        """`drain_s`: how long a stopping loop waits for requests still being received; `on_batch(size,
        seconds)` is told of every model call (the server's metrics)."""
        if max_batch < 1:
            raise ValueError(f"max_batch must be >= 1, got {max_batch}")
        if window_s < 0:
            raise ValueError(f"window_s must be >= 0, got {window_s}")
        self.call, self.max_batch, self.window_s, self.name = call, max_batch, window_s, name
        self.drain_s, self.on_batch = drain_s, on_batch
        self._queue: queue.Queue = queue.Queue(maxsize=max_queue)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopping = False  # set by request_stop() (any thread, or a signal handler): nothing new is accepted
        self._stop_requested_at = 0.0
        self._closed = False  # the loop has ended: nothing is run any more
        self._incoming = 0  # requests announced (expect) and not yet submitted
        self._last = 0  # size of the previous batch
        self.last_run_s = 0.0  # the previous batch's model call
        self.sizes: Counter[int] = Counter()  # batch size -> how many batches ran with it

    # -- the public side ---------------------------------------------------------------------------------
    def start(self) -> "MicroBatcher[T, R]":
        """Run the loop on a thread of its own."""
        self._thread = threading.Thread(target=self.serve_forever, name=self.name, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self, alive: Callable[[], bool] = lambda: True) -> None:
        """Run batches in this thread until a stop is requested and every accepted request is answered (or
        until `alive()` turns false, or an exception such as a second Ctrl-C); then fail what still waits."""
        try:
            while alive() and not (self._stopping and self._drained()):
                try:
                    first = self._queue.get(timeout=IDLE_POLL_S)
                except queue.Empty:
                    continue
                self._run(self._collect(first))
        finally:
            self._stopping = self._closed = True
            self._fail_waiting()

    def expect(self) -> Ticket:
        """Announce a request that is still being received: batches being collected wait for it (up to the
        window) until it is submitted with this ticket or the ticket is released (e.g. a bad upload).
        Raises Stopped once a stop was requested (a request announced before it is still served)."""
        return Ticket(self)

    def submit(self, item: T, ticket: Ticket | None = None, deadline: float | None = None) -> Future:
        """A future of `Done` (or of DeadlineExceeded, when `deadline`, a time.monotonic() value, passes before
        its batch runs); raises QueueFull when `max_queue` requests already wait, Stopped when stopping (unless
        `ticket` announced it before) or stopped."""
        try:
            if self._closed or (self._stopping and ticket is None):
                raise Stopped("the server is shutting down")
            job = _Job(item, Future(), time.monotonic(), deadline)
            try:
                self._queue.put_nowait(job)
            except queue.Full:
                raise QueueFull(f"{self._queue.maxsize} requests are already waiting") from None
            if self._closed:  # the loop ended between the check and the put
                self._fail_waiting()
            return job.future
        finally:
            if ticket is not None:
                ticket.release()  # after the put: the loop never sees it neither queued nor on its way

    def request_stop(self) -> None:
        """Stop accepting requests; the loop answers every accepted one, then ends. Only sets flags: safe in a
        signal handler (takes no lock)."""
        if not self._stopping:
            self._stop_requested_at = time.monotonic()
        self._stopping = True

    @property
    def stopping(self) -> bool:
        return self._stopping

    def stop(self, timeout: float = 60.0) -> None:
        """Stop accepting requests and wait (up to `timeout`) for the loop's thread to answer the accepted ones;
        without a running loop, fail what waits."""
        self.request_stop()
        thread = self._thread
        if thread is not None and thread.is_alive() and thread is not threading.current_thread():
            thread.join(timeout)
        if thread is None or not thread.is_alive():
            self._closed = True
            self._fail_waiting()

    @property
    def waiting(self) -> int:
        return self._queue.qsize()

    def _drained(self) -> bool:
        """Nothing queued, and nothing still being received (or the drain has waited `drain_s` for it)."""
        if not self._queue.empty():
            return False
        with self._lock:
            coming = self._incoming
        return coming == 0 or time.monotonic() - self._stop_requested_at > self.drain_s

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
            if job.future.set_running_or_notify_cancel():
                job.future.set_exception(Stopped("the server is shutting down"))

    def _collect(self, first: _Job) -> list[_Job]:
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
                if left <= 0 or (coming == 0 and self._last <= 1) or self._stopping:
                    break
                try:  # short waits: the count of requests on their way is read again after each
                    job = self._queue.get(timeout=min(left, POLL_S))
                except queue.Empty:
                    continue
            batch.append(job)
        return batch

    def _run(self, batch: list[_Job]) -> None:
        now, live = time.monotonic(), []
        for job in batch:
            if not job.future.set_running_or_notify_cancel():  # cancelled: its client gave up
                continue
            if job.deadline is not None and now > job.deadline:
                job.future.set_exception(DeadlineExceeded(f"waited {now - job.enqueued:.1f} s for a batch"))
                continue
            live.append(job)
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
            took = time.monotonic() - started
            with self._lock:
                self.sizes[len(live)] += 1
            self._last, self.last_run_s = len(live), took
            if self.on_batch is not None:
                self.on_batch(len(live), took)
        for job, result in zip(live, results):
            job.future.set_result(Done(result, len(live), started - job.enqueued, took))
