"""IDX and CIFAR readers check the header before reading the data, and never inflate past it."""

import gzip
import os
import struct
import time
import tracemalloc

import numpy as np
import pytest

from gradkit.data.cifar import read_cifar_batch
from gradkit.data.idx import read_idx, write_idx


def test_gzip_bomb_stops_at_the_promised_size(tmp_path):
    path = tmp_path / "bomb-idx1-ubyte.gz"
    zeros = bytes(1 << 20)
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(bytes([0, 0, 0x08, 1]) + struct.pack(">I", 10))
        for _ in range(256):  # 256 MB once inflated, about 250 KB on disk
            f.write(zeros)
    t = time.perf_counter()
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="trailing bytes") as err:
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, f"inflated {peak / 2**20:.0f} MB"
    assert time.perf_counter() - t < 2.0 and str(path) in str(err.value)


def test_header_promising_more_than_the_gzip_holds_is_truncated(tmp_path):
    path = tmp_path / "short.gz"
    with gzip.open(path, "wb") as f:
        f.write(bytes([0, 0, 0x08, 2]) + struct.pack(">II", 60000, 784) + bytes(100))
    with pytest.raises(ValueError, match="truncated IDX data"):
        read_idx(path)


@pytest.mark.parametrize("dims", [(2 ** 32 - 1,) * 4, (2 ** 32 - 1,) * 3, (65536, 65536, 65536)])
def test_dimension_products_that_overflow_are_named_with_the_file(tmp_path, dims):
    path = tmp_path / "huge-idx"
    path.write_bytes(bytes([0, 0, 0x0E, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + bytes(16))
    with pytest.raises(ValueError, match="too large|truncated") as err:
        read_idx(path)
    assert str(path) in str(err.value)


def test_idx_round_trip_still_works(tmp_path):
    a = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    for name in ("a-idx", "a-idx.gz"):
        write_idx(tmp_path / name, a)
        np.testing.assert_array_equal(read_idx(tmp_path / name), a)


def test_non_regular_files_are_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for fn in (read_idx, read_cifar_batch):
        with pytest.raises(ValueError, match="not a regular file"):
            fn(fifo)
        with pytest.raises(ValueError, match="not a regular file"):
            fn(tmp_path)
        with pytest.raises(FileNotFoundError):
            fn(tmp_path / "missing")


def test_cifar_size_checked_before_reading(tmp_path):
    path = tmp_path / "data_batch_1.bin"
    path.write_bytes(bytes(3073 * 2 + 5))
    with pytest.raises(ValueError, match="not a whole number"):
        read_cifar_batch(path)
