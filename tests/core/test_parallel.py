"""Intra-op parallelism: the thread pool, the split matrix product, and kernels that use them.

Every split kernel must give the same result with one thread and with several (up to the
rounding of matrix products cut into blocks), so most tests run a computation both ways.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

import gradkit as gk
from gradkit import parallel
from gradkit.nn import functional as F


@pytest.fixture
def threads():
    """Run with a given number of intra-op threads; restores the previous setting."""
    before = gk.get_num_threads()

    def use(n):
        gk.set_num_threads(n)

    yield use
    gk.set_num_threads(before)


# ----------------------------------------------------------------------------- settings
def test_set_num_threads_round_trips_and_rejects_bad_values(threads):
    threads(3)
    assert gk.get_num_threads() == 3 and parallel.get_num_threads() == 3
    for bad in (0, -1, 1.5, "2", True, None):
        with pytest.raises(ValueError, match="positive integer"):
            gk.set_num_threads(bad)
    assert gk.get_num_threads() == 3


def test_blas_threads_restores_the_previous_count():
    if not parallel._blas.find():
        pytest.skip("the BLAS library cannot be controlled here")
    before = parallel._blas.get()
    with parallel.blas_threads(before[0] + 1):
        assert parallel._blas.get() == [before[0] + 1] * len(before)
    assert parallel._blas.get() == before


def test_gradkit_kernels_run_blas_on_one_thread_and_restore_the_callers_count():
    if not parallel._blas.find():
        pytest.skip("the BLAS library cannot be controlled here")
    with parallel.blas_threads(3):
        with parallel.gradkit_kernels():
            assert parallel._blas.get() == [1] * len(parallel._blas.libs)
            with parallel.gradkit_kernels():  # nested: still one thread, nothing restored yet
                pass
            assert parallel._blas.get() == [1] * len(parallel._blas.libs)
        assert parallel._blas.get() == [3] * len(parallel._blas.libs)


def test_gradkit_kernels_restore_once_when_entered_from_two_threads():
    if not parallel._blas.find():
        pytest.skip("the BLAS library cannot be controlled here")
    inside = threading.Barrier(2)
    seen = []

    def work():
        with parallel.gradkit_kernels():
            inside.wait()
            seen.append(parallel._blas.get())
            inside.wait()

    with parallel.blas_threads(3):
        threads = [threading.Thread(target=work) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert seen == [[1] * len(parallel._blas.libs)] * 2
        assert parallel._blas.get() == [3] * len(parallel._blas.libs)


def test_outer_axis_follows_memory_layout():
    a = np.empty((4, 3, 5, 6))
    assert parallel.outer_axis(a) == 0
    channel_major = np.empty((3, 4, 5, 6)).transpose(1, 0, 2, 3)
    assert parallel.outer_axis(channel_major) == 1
    assert parallel.outer_axis(np.empty((1, 7))) == 1  # a length-1 axis cannot be cut


# ----------------------------------------------------------------------------- parallel_for
def test_parallel_for_covers_the_range_once_in_disjoint_pieces(threads):
    threads(2)
    seen, lock = [], threading.Lock()

    def record(lo, hi):
        with lock:
            seen.append((lo, hi, threading.get_ident()))

    parallel.parallel_for(10, record, grain=2)
    spans = sorted((lo, hi) for lo, hi, _ in seen)
    assert spans == [(0, 5), (5, 10)]
    assert len({tid for *_, tid in seen}) == 2  # really on two threads


def test_parallel_for_one_thread_or_small_n_is_a_single_call(threads):
    calls = []
    threads(1)
    parallel.parallel_for(100, lambda lo, hi: calls.append((lo, hi)))
    threads(2)
    parallel.parallel_for(7, lambda lo, hi: calls.append((lo, hi)), grain=4)  # 7 // 4 = 1 piece
    parallel.parallel_for(0, lambda lo, hi: calls.append((lo, hi)))
    assert calls == [(0, 100), (0, 7), (0, 0)]


def test_parallel_for_nested_calls_run_serially(threads):
    threads(2)
    inner = []

    def outer(lo, hi):
        parallel.parallel_for(8, lambda a, b: inner.append((a, b)))

    parallel.parallel_for(2, outer)
    assert sorted(inner) == [(0, 8), (0, 8)]  # each outer piece ran its inner loop whole


def test_parallel_for_raises_a_piece_error_after_all_pieces_finish(threads):
    threads(2)
    done = []

    def piece(lo, hi):
        if lo > 0:
            raise KeyError("second piece failed")
        done.append(lo)

    with pytest.raises(KeyError, match="second piece failed"):
        parallel.parallel_for(4, piece)
    assert done == [0]
    parallel.parallel_for(4, lambda lo, hi: None)  # the pool still works afterwards


def test_parallel_for_from_several_program_threads_at_once(threads):
    """The pool serves one caller at a time; a caller that finds it busy runs its loop itself."""
    threads(2)
    results, errors = {}, []

    def job(seed):
        try:
            x = np.random.default_rng(seed).standard_normal((400, 300))
            w = np.random.default_rng(seed + 1).standard_normal((300, 200))
            for _ in range(20):
                out = parallel.matmul(x, w)
            results[seed] = np.allclose(out, x @ w)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    workers = [threading.Thread(target=job, args=(s,)) for s in range(4)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert not errors and results == {0: True, 1: True, 2: True, 3: True}


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_a_forked_child_gets_a_working_pool(threads):
    import os

    threads(2)
    parallel.parallel_for(4, lambda lo, hi: None)  # the parent's pool threads exist now
    pid = os.fork()
    if pid == 0:  # the child: its pool must start over, not wait on the parent's threads
        code = 1
        try:
            x = np.random.default_rng(0).standard_normal((400, 300))
            code = 0 if np.allclose(parallel.matmul(x, x.T), x @ x.T) else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def test_parallel_pieces_splits_big_arrays_and_passes_small_ones_whole(threads):
    threads(2)
    shapes = []
    x = np.arange(12.0).reshape(6, 2)
    y = np.empty_like(x)

    def neg(a, b):
        shapes.append(a.shape)
        np.negative(a, out=b)

    parallel.parallel_pieces(neg, (x, y), (0, 0), min_size=1)
    np.testing.assert_array_equal(y, -x)
    assert sorted(shapes) == [(3, 2), (3, 2)]
    shapes.clear()
    parallel.parallel_pieces(neg, (x, y), (0, 0))  # below the default minimum: one call
    assert shapes == [(6, 2)]


# ----------------------------------------------------------------------------- matmul
@pytest.mark.parametrize("shape_a, shape_b", [
    ((300, 128), (128, 200)),     # tall: row blocks
    ((40, 256), (256, 900)),      # wide: column blocks
    ((16, 20000), (20000, 9)),    # long and skinny: the sum over k is split
    ((6, 50, 120), (120, 300)),   # batch folded into rows
    ((6, 50, 120), (6, 120, 300)),  # batched: cut along the batch
    ((1, 50, 120), (6, 120, 300)),  # broadcast batch
    ((120,), (120, 300)),          # vector operand: NumPy's rules
    ((10, 10), (10, 10)),          # tiny: no split
])
@pytest.mark.parametrize("n", [1, 2])
@pytest.mark.parametrize("product", [parallel.matmul, parallel.blas_matmul])
def test_matmul_equals_numpy(threads, shape_a, shape_b, n, product):
    threads(n)
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape_a)
    b = rng.standard_normal(shape_b)
    if not parallel._blas.find():
        np.testing.assert_allclose(product(a, b), a @ b, rtol=1e-12, atol=1e-9)
        return
    with parallel.blas_threads(3):
        np.testing.assert_allclose(product(a, b), a @ b, rtol=1e-12, atol=1e-9)
        assert parallel._blas.get() == [3] * len(parallel._blas.libs)  # the caller's count, untouched


def test_matmul_writes_into_out_and_handles_transposed_operands(threads):
    threads(2)
    rng = np.random.default_rng(1)
    a = rng.standard_normal((200, 300)).astype(np.float32)
    b = rng.standard_normal((400, 300)).astype(np.float32)
    out = np.empty((200, 400), dtype=np.float32)
    res = parallel.matmul(a, b.T, out=out)
    assert res is out
    np.testing.assert_allclose(out, a @ b.T, rtol=1e-4, atol=1e-4)
    col = rng.standard_normal((9, 30000)).astype(np.float32)
    gy = rng.standard_normal((16, 30000)).astype(np.float32)
    np.testing.assert_allclose(parallel.matmul(gy, col.T), gy @ col.T, rtol=1e-4, atol=1e-2)


# ----------------------------------------------------------------------------- split kernels
def _run_both(threads, fn, monkeypatch):
    """fn() with one thread and with two (checking that work really ran on a second thread)."""
    threads(1)
    one = fn()
    threads(2)
    workers = set()
    run_piece = parallel._run_piece

    def spy(fn, lo, hi):
        workers.add(threading.get_ident())
        return run_piece(fn, lo, hi)

    monkeypatch.setattr(parallel, "_run_piece", spy)
    two = fn()
    assert len(workers) == 2, "nothing was split over two threads"
    return one, two


def test_conv_pool_relu_are_the_same_on_one_and_two_threads(threads, monkeypatch):
    # float64, big enough that every stage is split (more than ELEMENTWISE_MIN elements)
    rng = np.random.default_rng(2)
    x0 = rng.standard_normal((32, 8, 30, 30))
    w1 = 0.2 * rng.standard_normal((16, 8, 3, 3))
    w2 = 0.2 * rng.standard_normal((24, 16, 3, 3))
    b2 = rng.standard_normal(24)
    head = rng.standard_normal((24 * 7 * 7, 5))

    def run():
        x = gk.tensor(x0, requires_grad=True)
        p1, p2, pb2 = (gk.tensor(v, requires_grad=True) for v in (w1, w2, b2))
        h = F.max_pool2d(F.relu(F.conv2d(x, p1, padding=0)), 2)           # im2col path
        h = F.max_pool2d(F.relu(F.conv2d(h, p2, pb2, padding=1)), 2)      # padded-width path
        loss = (h.reshape(32, -1) @ gk.tensor(head)).square().mean()
        loss.backward()
        return [t.numpy().copy() for t in (h, x.grad, p1.grad, p2.grad, pb2.grad)]

    one, two = _run_both(threads, run, monkeypatch)
    for a, b in zip(one, two):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_lstm_split_over_the_batch_matches_one_thread_and_the_step_by_step_path(threads, bidirectional, monkeypatch):
    rng = np.random.default_rng(3)
    T, B, I, H = 6, 40, 5, 7  # B = 40: two pieces of 20 rows
    gk.manual_seed(0)
    lstm = gk.nn.LSTM(I, H, bidirectional=bidirectional).double()
    x0 = rng.standard_normal((T, B, I))
    lengths = rng.integers(1, T + 1, B)
    mask = np.arange(T)[:, None] < lengths[None, :]

    def run(fused=True):
        x = gk.tensor(x0, requires_grad=True)
        lstm.zero_grad()
        outs = []
        for direction in range(2 if bidirectional else 1):
            sfx = "_reverse" if direction else ""
            w = [getattr(lstm, f"{n}_l0{sfx}") for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            h0 = gk.zeros(B, H, dtype="float64")
            y, (hn, cn) = F.rnn_sequence("LSTM", x, (h0, h0), *w, mask=mask, reverse=bool(direction), fused=fused)
            outs += [y, hn, cn]
        loss = sum((o * o).sum() for o in outs)
        loss.backward()
        grads = [x.grad] + [p.grad for p in lstm.parameters()]
        return [t.numpy().copy() for t in outs + grads]

    one, two = _run_both(threads, run, monkeypatch)
    for a, b in zip(one, two):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    reference = run(fused=False)  # every step built from gradkit ops
    for a, b in zip(two, reference):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)
