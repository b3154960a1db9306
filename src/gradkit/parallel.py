"""Intra-op parallelism on the CPU: how many threads gradkit's own kernels use, and BLAS's.

PyTorch splits the work of one op across its intra-op thread pool (``torch.set_num_threads``).
NumPy does that only inside BLAS (matrix products); every other NumPy function runs on one
core. gradkit's heavy kernels (the fused LSTM, convolution's im2col/col2im, pooling) cut their
work into independent pieces, usually along the batch, and run the pieces at once with
:func:`parallel_for`. NumPy releases the GIL inside its loops, so the pieces really do run
side by side.

The kernels that do parallel work of their own also split their large matrix products
(:func:`matmul`) and run BLAS on one thread per piece. The reason: after a multi-threaded
product OpenBLAS keeps its worker threads spinning for a while, and they take the cores
that gradkit's parallel pieces need next (``benchmarks/`` has the measurements). So while
gradkit's own kernels run, BLAS runs on one thread, and when they return the BLAS thread
count is what it was before: gradkit is a guest in your process, and your own NumPy products
keep the threads you gave them. The dense layers (``linear``, ``matmul``) are the exception:
between their products there is little parallel work to disturb, so :func:`blas_matmul`
gives BLAS :func:`get_num_threads` threads for each large product. BLAS's thread count is
read and set through threadpoolctl (OpenBLAS, MKL, BLIS); without a controllable BLAS the
pieces still run in parallel and BLAS is left alone. :func:`blas_threads` sets it for a block
of your own code.

:func:`set_num_threads` sets the number of threads for both, like ``torch.set_num_threads``.
The default is the number of cores this process may use, or ``GRADKIT_NUM_THREADS`` /
``OMP_NUM_THREADS`` / ``OPENBLAS_NUM_THREADS`` when set (the first one found). One thread
turns every split off.

Results do not depend on the thread count: each piece computes exactly what the serial loop
computes for its part of the batch (the matrix products of a smaller batch may round in a
different order, as they may between BLAS thread counts).

Example:
    >>> import gradkit as gk
    >>> n = gk.get_num_threads()
    >>> gk.set_num_threads(1)
    >>> gk.get_num_threads()
    1
    >>> gk.set_num_threads(n)
"""

from __future__ import annotations

import contextlib
import ctypes
import numbers
import os
import sys
import threading

import numpy as np

__all__ = ["get_num_threads", "set_num_threads", "parallel_for", "parallel_pieces", "blas_threads", "matmul",
           "blas_matmul", "outer_axis", "gradkit_kernels", "tune_allocator"]


def _default_threads() -> int:
    for var in ("GRADKIT_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        value = os.environ.get(var, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


_num_threads = _default_threads()
_workers: list = []  # the pool: _num_threads - 1 threads, started on first use
_pool_lock = threading.Lock()  # guards _workers
_dispatch = threading.Lock()  # held by the one parallel_for that is using the pool
_local = threading.local()  # .busy: this thread is running a piece (no nested splits)


# ----------------------------------------------------------------------------- BLAS threads
class _Blas:
    """The thread count of the BLAS libraries loaded in this process, through threadpoolctl.

    The controller is built on first use (it inspects the loaded libraries once), never at
    import. ``get`` returns one count per library, ``set`` takes a count or such a list.
    """

    def __init__(self):
        self.libs = None

    def find(self) -> bool:
        if self.libs is None:
            try:
                from threadpoolctl import ThreadpoolController

                self.libs = list(ThreadpoolController().select(user_api="blas").lib_controllers)
            except Exception:  # threadpoolctl missing or unable to inspect the process
                self.libs = []
        return bool(self.libs)

    def get(self) -> list:
        return [lib.num_threads for lib in self.libs]

    def set(self, counts) -> None:
        if isinstance(counts, int):
            counts = [counts] * len(self.libs)
        for lib, n in zip(self.libs, counts):
            lib.set_num_threads(n)

    def take(self) -> None:
        """Let this thread set the count. threadpoolctl lets one thread at a time control a
        process-wide OpenBLAS pool (the others' settings are silently ignored); gradkit sets
        the count from whichever thread runs its kernels, so it takes control first, and the
        outermost kernel scope gives it back (:meth:`release`) when it restores the count."""
        for lib in self.libs:
            clear = getattr(lib, "clear_controlling_thread", None)
            if clear is not None:
                clear(force=True)

    def release(self) -> None:
        for lib in self.libs:
            clear = getattr(lib, "clear_controlling_thread", None)
            if clear is not None:
                clear()


_blas = _Blas()


class _GradkitBlas:
    """``with _own_blas:`` marks gradkit's own kernels: BLAS on one thread inside, the caller's
    count restored when the outermost such block in the process ends.

    Blocks nest and may be entered from several threads at once: a process-wide depth count
    (BLAS's thread count is process-wide too) makes only the outermost entry read and set the
    count, and only the last exit restore it, so a nested block costs a lock and a counter.
    This is the one owner of gradkit's BLAS state.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.depth = 0
        self.saved = None

    def __enter__(self):
        with self.lock:
            self.depth += 1
            if self.depth == 1 and _blas.find():
                self.saved = _blas.get()
                if any(n != 1 for n in self.saved):
                    _blas.take()
                    _blas.set(1)
        return self

    def __exit__(self, *exc):
        with self.lock:
            self.depth -= 1
            if self.depth == 0 and self.saved is not None:
                if any(n != 1 for n in self.saved):
                    _blas.take()
                    _blas.set(self.saved)
                    _blas.release()
                self.saved = None
        return False


_own_blas = _GradkitBlas()


_NO_KERNELS = contextlib.nullcontext()


def gradkit_kernels(like=None):
    """Context manager for a block of gradkit's own parallel work (BLAS on one thread inside).

    The training loop and the backward pass enter it once around a whole step, so that the
    kernels inside (each of which enters it too) do not read and set BLAS's thread count one
    by one. Nothing of it outlives the block. Given ``like``, an array of the block's work that
    is not a NumPy array (CuPy's: the GPU does the work), it does nothing.
    """
    if like is not None and not isinstance(like, np.ndarray):
        return _NO_KERNELS
    return _own_blas


@contextlib.contextmanager
def blas_threads(n: int):
    """Within the block, BLAS (NumPy's matrix products) uses ``n`` threads; restored after.

    Does nothing when the BLAS library cannot be controlled (see the module docstring).

    Example:
        >>> import numpy as np
        >>> with blas_threads(1):
        ...     _ = np.ones((4, 4)) @ np.ones((4, 4))
    """
    if not _blas.find():
        yield
        return
    before = _blas.get()
    _blas.take()
    _blas.set(n)
    try:
        yield
    finally:
        _blas.take()
        _blas.set(before)
        _blas.release()


# ----------------------------------------------------------------------------- thread count
def get_num_threads() -> int:
    """The number of threads gradkit's CPU kernels split their work into (see the module docstring)."""
    return _num_threads


def set_num_threads(n: int) -> None:
    """Use ``n`` threads on the CPU for gradkit's work, as ``torch.set_num_threads``.

    gradkit splits its kernels and its large matrix products over ``n`` threads, running
    BLAS on one thread inside them (see the module docstring); BLAS's own setting outside
    gradkit's kernels is left as it is.

    Args:
        n: a positive number of threads; 1 runs everything on the calling thread.

    Raises:
        ValueError: when ``n`` is not a positive integer.
    """
    global _num_threads
    if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 1:
        raise ValueError(f"set_num_threads expects a positive integer, got {n!r}")
    n = int(n)
    with _dispatch, _pool_lock:  # not while a parallel_for is using the pool
        if n != _num_threads:
            for worker in _workers:
                worker.stop()
            _workers.clear()
        _num_threads = n


class _Worker:
    """One pool thread, handed its piece through two locks: the cheapest wake-up CPython has
    (about half the round trip of a ThreadPoolExecutor; ``benchmarks/NOTES.md``)."""

    def __init__(self):
        self.go = threading.Lock()
        self.go.acquire()
        self.done = threading.Lock()
        self.done.acquire()
        self.task = None
        self.error = None
        threading.Thread(target=self._loop, name="gradkit-intraop", daemon=True).start()

    def _loop(self):
        while True:
            self.go.acquire()
            task, self.task = self.task, None
            if task is None:  # stop
                self.done.release()
                return
            try:
                _run_piece(*task)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller in join()
                self.error = exc
            self.done.release()

    def start(self, fn, lo, hi):
        self.task = (fn, lo, hi)
        self.go.release()

    def join(self):
        self.done.acquire()
        error, self.error = self.error, None
        return error

    def stop(self):
        self.task = None
        self.go.release()


def _after_fork_in_child() -> None:
    """A forked child has none of the parent's pool threads: start over with fresh locks."""
    global _pool_lock, _dispatch, _own_blas
    _workers.clear()
    _pool_lock = threading.Lock()
    _dispatch = threading.Lock()
    _local.busy = False
    _own_blas = _GradkitBlas()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _get_workers(k: int) -> list:
    with _pool_lock:
        while len(_workers) < k:
            _workers.append(_Worker())
        return _workers[:k]


def _run_piece(fn, lo, hi):
    _local.busy = True
    try:
        return fn(lo, hi)
    finally:
        _local.busy = False


def parallel_for(n: int, fn, grain: int = 1) -> None:
    """Call ``fn(lo, hi)`` over consecutive pieces of ``range(n)``, the pieces in parallel.

    Splits into at most :func:`get_num_threads` pieces of at least ``grain`` items each; with
    one piece (one thread, small ``n``, or a call from inside another piece) it is just
    ``fn(0, n)`` on the calling thread. The calling thread runs the first piece itself.
    ``fn`` must write disjoint parts of its outputs.
    The first exception raised by a piece is raised here, after every piece has finished.

    Args:
        n: the number of items (batch rows, time steps ...).
        fn: ``fn(lo, hi)`` processes items ``lo`` to ``hi - 1``; its return value is ignored.
        grain: the smallest number of items worth a thread of its own.

    Example:
        >>> import numpy as np
        >>> x = np.arange(10.0); y = np.empty_like(x)
        >>> def square(lo, hi):
        ...     np.multiply(x[lo:hi], x[lo:hi], out=y[lo:hi])
        >>> parallel_for(10, square, grain=2)
        >>> y[:4]
        array([0., 1., 4., 9.])
    """
    if getattr(_local, "busy", False) or _num_threads == 1:
        fn(0, n)
        return
    pieces = min(_num_threads, n // max(1, grain))
    if pieces <= 1:
        fn(0, n)
        return
    if not _dispatch.acquire(blocking=False):  # another thread of the program is using the pool
        fn(0, n)
        return
    try:
        with _own_blas:
            error = _run_pieces(n, fn, pieces)
    finally:
        _dispatch.release()
    if error is not None:
        raise error


def _run_pieces(n, fn, pieces):
    """Run the pieces of :func:`parallel_for`; returns the first exception raised by one."""
    bounds = [n * k // pieces for k in range(pieces + 1)]
    workers = _get_workers(pieces - 1)
    for k, worker in enumerate(workers, start=1):
        worker.start(fn, bounds[k], bounds[k + 1])
    error = None
    try:
        _run_piece(fn, bounds[0], bounds[1])
    except BaseException as exc:  # noqa: BLE001 - raised after the other pieces end
        error = exc
    for worker in workers:
        piece_error = worker.join()  # always wait: the pieces write into the caller's arrays
        if error is None:
            error = piece_error
    return error


# The smallest m*n*k worth splitting: a piece must outweigh the hand-off to the pool.
_SPLIT_WORK = 1 << 22


def matmul(a, b, out=None):
    """``a @ b`` (NumPy's ``matmul`` semantics), large products split over the intra-op threads.

    gradkit runs BLAS on one thread and splits instead (see the module docstring): a large 2-D
    product is cut into row blocks (or column blocks when it is wider than tall, or its sum
    over k into partial products when it is long and skinny), one single-threaded GEMM per
    block; a batched product is cut along its first batch axis, or folded into one 2-D
    product when ``b`` is a plain matrix.

    Args:
        a: array with at least one dimension.
        b: array with at least one dimension.
        out: optional array of the product's shape to write into.

    Returns:
        The product (``out`` when given).

    Example:
        >>> import numpy as np
        >>> a = np.arange(6.0).reshape(2, 3); b = np.ones((3, 2))
        >>> matmul(a, b)
        array([[ 3.,  3.],
               [12., 12.]])
    """
    if type(a) is not np.ndarray or type(b) is not np.ndarray:
        if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):  # subclasses: NumPy decides
            return np.matmul(a, b) if out is None else np.matmul(a, b, out=out)
        from .backend import get_array_module  # CuPy: the GPU library decides

        xp = get_array_module(a)
        return xp.matmul(a, b) if out is None else xp.matmul(a, b, out=out)
    with _own_blas:
        return _matmul(a, b, out)


def _matmul(a, b, out):
    if a.ndim != 2 or b.ndim != 2:
        return _batched_matmul(a, b, out)
    m, k = a.shape
    n = b.shape[1]
    if _num_threads == 1 or m * n * k < _SPLIT_WORK or getattr(_local, "busy", False):
        return np.matmul(a, b) if out is None else np.matmul(a, b, out=out)
    if k >= 16 * max(m, n):
        # long and skinny (a weight gradient summed over many pixels): split the sum over k,
        # one partial product per piece, added at the end
        return _matmul_split_k(a, b, out)
    if out is None:
        out = np.empty((m, n), dtype=np.result_type(a.dtype, b.dtype))
    if m >= n:
        def rows(lo, hi):
            np.matmul(a[lo:hi], b, out=out[lo:hi])

        parallel_for(m, rows, grain=8)
    else:
        def cols(lo, hi):
            np.matmul(a, b[:, lo:hi], out=out[:, lo:hi])

        parallel_for(n, cols, grain=32)
    return out


def blas_matmul(a, b, out=None):
    """``a @ b`` with BLAS's own threads (``get_num_threads()`` of them) for large products.

    For the dense layers (``linear``, ``matmul``): between their products gradkit runs little
    parallel work of its own, and OpenBLAS's threads, which keep spinning between calls,
    start the next product sooner than gradkit's pool can wake (an MLP training step was faster
    this way than split by :func:`matmul`; ``benchmarks/NOTES.md``). Kernels that run parallel work of
    their own between products (convolution, the fused LSTM) use :func:`matmul`, which never
    wakes BLAS's threads. Small products run on one thread either way.

    Example:
        >>> import numpy as np
        >>> blas_matmul(np.ones((2, 3)), np.ones((3, 2)))
        array([[3., 3.],
               [3., 3.]])
    """
    if type(a) is not np.ndarray or type(b) is not np.ndarray:
        return matmul(a, b, out)
    if (_num_threads == 1 or getattr(_local, "busy", False) or a.ndim < 2 or b.ndim < 2
            or a.size * b.shape[-1] < _SPLIT_WORK or not _blas.find()):
        with _own_blas:  # small products: one thread, as in the rest of gradkit's kernels
            return np.matmul(a, b) if out is None else np.matmul(a, b, out=out)
    if _own_blas.depth == 0 and all(n == _num_threads for n in _blas.get()):
        # the caller's own count is already the one wanted: nothing to set or restore
        return np.matmul(a, b) if out is None else np.matmul(a, b, out=out)
    with _own_blas:  # inside a kernel scope BLAS is on one thread: give it n for this product
        _blas.take()
        _blas.set(_num_threads)
        try:
            return np.matmul(a, b) if out is None else np.matmul(a, b, out=out)
        finally:
            _blas.set(1)


def _matmul_split_k(a, b, out):
    m, k = a.shape
    n = b.shape[1]
    pieces = min(_num_threads, max(1, k // 256))
    partial = np.empty((pieces, m, n), dtype=np.result_type(a.dtype, b.dtype))
    bounds = [k * p // pieces for p in range(pieces + 1)]

    def piece(lo, hi):
        for p in range(lo, hi):
            np.matmul(a[:, bounds[p]: bounds[p + 1]], b[bounds[p]: bounds[p + 1]], out=partial[p])

    parallel_for(pieces, piece)
    return np.sum(partial, axis=0, out=out)


def _batched_matmul(a, b, out):
    def serial():
        return np.matmul(a, b) if out is None else np.matmul(a, b, out=out)

    if a.ndim < 2 or b.ndim < 2 or _num_threads == 1 or getattr(_local, "busy", False):
        return serial()
    if b.ndim == 2 and a.flags.c_contiguous:  # (..., m, k) @ (k, n): one (rows, k) @ (k, n)
        res = matmul(a.reshape(-1, a.shape[-1]), b).reshape(a.shape[:-1] + (b.shape[1],))
        if out is None:
            return res
        out[...] = res
        return out
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    shape = batch + (a.shape[-2], b.shape[-1])
    if shape[0] < 2 or int(np.prod(shape, dtype=np.int64)) * a.shape[-1] < _SPLIT_WORK:
        return serial()
    if out is None:
        out = np.empty(shape, dtype=np.result_type(a.dtype, b.dtype))
    nd = len(shape)
    cut_a = a.ndim == nd and a.shape[0] != 1
    cut_b = b.ndim == nd and b.shape[0] != 1

    def piece(lo, hi):
        np.matmul(a[lo:hi] if cut_a else a, b[lo:hi] if cut_b else b, out=out[lo:hi])

    parallel_for(shape[0], piece)
    return out


# Elementwise passes over fewer elements than this stay on one thread (the hand-off to the
# pool buys nothing below about a hundred thousand elements).
ELEMENTWISE_MIN = 1 << 17


def outer_axis(a) -> int:
    """The axis of ``a`` with the largest stride: cutting along it gives pieces that are each
    one block of memory (for a channel-major (N, C, H, W) view, the C axis)."""
    best, best_stride = 0, -1
    for ax, (size, stride) in enumerate(zip(a.shape, a.strides)):
        if size > 1 and abs(stride) > best_stride:
            best, best_stride = ax, abs(stride)
    return best


def parallel_pieces(fn, arrays, axes, grain: int = 1, min_size: int = ELEMENTWISE_MIN) -> None:
    """Call ``fn(*pieces)`` on pieces of ``arrays`` cut along ``axes`` (one axis per array, all of
    the same length), the pieces in parallel (see :func:`parallel_for`).

    Arrays smaller than ``min_size`` elements (the first one counts), and every array when
    only one thread is in use, go to ``fn`` whole. ``fn`` must write only into its pieces.

    Example:
        >>> import numpy as np
        >>> x = np.arange(8.0).reshape(4, 2); y = np.empty_like(x)
        >>> parallel_pieces(lambda a, b: np.negative(a, out=b), (x, y), (0, 0), min_size=1)
        >>> y[3]
        array([-6., -7.])
    """
    n = arrays[0].shape[axes[0]]
    if (_num_threads == 1 or type(arrays[0]) is not np.ndarray or arrays[0].size < min_size or n < 2
            or getattr(_local, "busy", False)):  # CuPy arrays: the GPU runs them whole
        fn(*arrays)
        return

    def piece(lo, hi):
        fn(*[a[(slice(None),) * ax + (slice(lo, hi),)] for a, ax in zip(arrays, axes)])

    parallel_for(n, piece, grain)


# ----------------------------------------------------------------------------- allocator
def tune_allocator() -> bool:
    """Opt in: let the C allocator keep freed memory for reuse (Linux with glibc; one-way).

    Training allocates and frees the same multi-megabyte arrays (activations, gradients,
    im2col buffers) every step. With glibc's defaults the freed top of the heap goes back to
    the OS and the next allocation page-faults on first touch; on the benchmark CNN that made a
    training step about 1.7x slower (``benchmarks/NOTES.md`` has the figures). This call raises
    glibc's trim threshold (256 MB) and fixes its mmap threshold (32 MB, glibc's own ceiling
    for it), so that memory stays reusable; the cost is a resident size that does not shrink
    after a peak.

    gradkit never calls it as a library (``import gradkit`` and its functions leave your
    process's allocator as it was); a program that owns its process calls it once at the
    start: the ``gradkit`` command does, and so do the benchmarks. The setting is process-wide and
    cannot be undone (glibc has no way to read the previous values back).

    Returns:
        True when the settings were applied; False where the allocator is not glibc's.

    Example:
        >>> import gradkit as gk
        >>> if __name__ == "__main__":  # a program's own entry point, never a library
        ...     gk.parallel.tune_allocator()
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, ...)
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's mallopt parameter numbers
    ok = mallopt(m_trim_threshold, 256 << 20) == 1
    return mallopt(m_mmap_threshold, 32 << 20) == 1 and ok
