"""The micro-batcher with a stand-in model: what is batched together, when a batch starts, and failures."""

from __future__ import annotations

import threading
import time

import pytest

from pafas_cli.serve.batcher import MicroBatcher, QueueFull, Stopped


class Model:
    """Records each batch; `gate` holds a batch until released (to queue requests behind it)."""

    def __init__(self, fail: bool = False):
        self.batches: list[list[int]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.fail = fail

    def __call__(self, items):
        self.gate.wait(10)
        self.batches.append(list(items))
        if self.fail:
            raise ValueError("model exploded")
        return [item * 10 for item in items]


def test_requests_queued_behind_a_running_batch_run_together_up_to_max_batch():
    model = Model()
    batcher = MicroBatcher(model, max_batch=4, window_s=0.05).start()
    model.gate.clear()
    first = batcher.submit(0)
    time.sleep(0.05)  # the first batch is running (held at the gate)
    rest = [batcher.submit(i) for i in range(1, 10)]
    model.gate.set()
    results = [f.result(5) for f in [first, *rest]]
    batcher.stop()
    assert [r.result for r in results] == [i * 10 for i in range(10)]
    assert model.batches == [[0], [1, 2, 3, 4], [5, 6, 7, 8], [9]]
    assert [r.batch_size for r in results] == [1, 4, 4, 4, 4, 4, 4, 4, 4, 1]
    assert batcher.stats()["batch_sizes"] == {1: 2, 4: 2} and batcher.stats()["requests"] == 10


def test_a_lone_request_does_not_wait_for_the_window():
    model = Model()
    batcher = MicroBatcher(model, max_batch=8, window_s=2.0).start()
    started = time.monotonic()
    assert batcher.submit(7).result(5).result == 70
    batcher.stop()
    assert time.monotonic() - started < 1.0, "no other request was on its way: the batch ran at once"


def test_a_batch_waits_for_a_request_still_being_received():
    model = Model()
    batcher = MicroBatcher(model, max_batch=8, window_s=2.0).start()
    ticket = batcher.expect()  # a request whose body is still arriving
    first = batcher.submit(1)

    def arrives_later():
        time.sleep(0.2)
        batcher.submit(2, ticket)

    threading.Thread(target=arrives_later).start()
    assert first.result(5).batch_size == 2 and model.batches == [[1, 2]]
    batcher.stop()


def test_the_window_bounds_the_wait_and_a_released_ticket_ends_it():
    model = Model()
    batcher = MicroBatcher(model, max_batch=8, window_s=0.3).start()
    never = batcher.expect()  # announced, never submitted (e.g. its upload was refused)
    started = time.monotonic()
    assert batcher.submit(1).result(5).batch_size == 1
    assert 0.25 < time.monotonic() - started < 2.0, "waited one window for the announced request, no longer"
    never.release()
    started = time.monotonic()
    assert batcher.submit(2).result(5).batch_size == 1
    assert time.monotonic() - started < 0.25
    batcher.stop()


def test_a_failing_model_fails_every_request_of_its_batch_and_the_batcher_goes_on():
    model = Model(fail=True)
    batcher = MicroBatcher(model, max_batch=4, window_s=0.05).start()
    model.gate.clear()
    futures = [batcher.submit(i) for i in range(3)]
    model.gate.set()
    for f in futures:
        with pytest.raises(ValueError, match="model exploded"):
            f.result(5)
    model.fail = False
    assert batcher.submit(5).result(5).result == 50
    batcher.stop()


def test_a_full_queue_refuses_and_stop_answers_what_waits():
    model = Model()
    batcher = MicroBatcher(model, max_batch=1, window_s=0.0, max_queue=2).start()
    model.gate.clear()
    running = batcher.submit(0)
    time.sleep(0.05)
    waiting = [batcher.submit(1), batcher.submit(2)]
    with pytest.raises(QueueFull):
        batcher.submit(3)
    cancelled = waiting[0].cancel()
    stopper = threading.Thread(target=batcher.stop)
    stopper.start()
    time.sleep(0.05)
    with pytest.raises(Stopped):
        batcher.submit(4)  # stopping: nothing new is accepted
    model.gate.set()
    stopper.join(5)
    assert running.result(5).result == 0 and waiting[1].result(5).result == 20, "the queued request is answered"
    assert cancelled and waiting[0].cancelled()
    with pytest.raises(Stopped):
        batcher.submit(5)
    assert model.batches == [[0], [2]], "a cancelled request never reaches the model"


def test_a_stop_refuses_new_requests_and_answers_the_queued_and_the_announced_ones():
    """Graceful shutdown: what was accepted (queued, or still being received) is run; the loop then ends."""
    model = Model()
    batcher = MicroBatcher(model, max_batch=2, window_s=0.0)
    model.gate.clear()
    queued = [batcher.submit(i) for i in range(5)]
    receiving = batcher.expect()  # a request whose body is still arriving when the stop comes
    loop = threading.Thread(target=batcher.serve_forever)
    loop.start()
    batcher.request_stop()  # what a signal handler calls
    with pytest.raises(Stopped):
        batcher.expect()
    with pytest.raises(Stopped):
        batcher.submit(9)
    model.gate.set()
    late = batcher.submit(7, receiving)
    loop.join(10)
    assert not loop.is_alive(), "the loop ends once everything accepted is answered"
    assert [f.result(0).result for f in queued] == [0, 10, 20, 30, 40] and late.result(0).result == 70
    assert sorted(i for b in model.batches for i in b) == [0, 1, 2, 3, 4, 7]


def test_a_request_whose_deadline_passed_while_queued_never_reaches_the_model():
    from pafas_cli.serve.batcher import DeadlineExceeded

    model = Model()
    seen = []
    batcher = MicroBatcher(model, max_batch=4, window_s=0.0, on_batch=lambda size, s: seen.append(size)).start()
    model.gate.clear()
    running = batcher.submit(0)
    time.sleep(0.05)
    expired = batcher.submit(1, deadline=time.monotonic() + 0.05)  # passes while [0] holds the model
    fresh = batcher.submit(2, deadline=time.monotonic() + 30)
    time.sleep(0.1)
    model.gate.set()
    with pytest.raises(DeadlineExceeded, match="waited"):
        expired.result(5)
    assert running.result(5).result == 0 and fresh.result(5).batch_size == 1
    batcher.stop()
    assert model.batches == [[0], [2]] and seen == [1, 1], "the expired request was dropped from its batch"


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="max_batch"):
        MicroBatcher(Model(), max_batch=0)
    with pytest.raises(ValueError, match="window_s"):
        MicroBatcher(Model(), window_s=-1)


def test_after_a_batch_of_several_the_next_waits_the_window_for_the_clients_it_answered():
    """Closed-loop clients answered together come back a little apart: one batch, not two alternating groups."""
    model = Model()
    batcher = MicroBatcher(model, max_batch=8, window_s=0.5).start()
    model.gate.clear()
    running = batcher.submit(0)
    time.sleep(0.05)
    pair = [batcher.submit(1), batcher.submit(2)]  # queued behind [0]: one batch of two
    model.gate.set()
    assert running.result(5).batch_size == 1 and [f.result(5).batch_size for f in pair] == [2, 2]
    later = batcher.submit(3)  # the previous batch had two requests: this one waits for company

    def returns():
        time.sleep(0.15)
        batcher.submit(4)

    threading.Thread(target=returns).start()
    assert later.result(5).batch_size == 2 and model.batches[-1] == [3, 4]
    batcher.stop()
