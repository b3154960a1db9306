"""Read and write IDX files, the format of MNIST and Fashion-MNIST (raw or gzip-compressed).

IDX layout (big-endian): two zero bytes, a type byte, the number of dimensions
``d``, then ``d`` unsigned 32-bit sizes, then the values in C order.

=========  ==============
type byte  values
=========  ==============
0x08       unsigned byte
0x09       signed byte
0x0B       int16
0x0C       int32
0x0D       float32
0x0E       float64
=========  ==============

Examples:
    >>> import numpy as np, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "labels-idx1-ubyte.gz")
    >>> write_idx(path, np.array([3, 1, 4], dtype=np.uint8))
    >>> read_idx(path).tolist()
    [3, 1, 4]
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib

import numpy as np

IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {np.dtype(v).newbyteorder("="): k for k, v in IDX_TYPES.items()}


_CHUNK = 1 << 20


def _check_regular(path: str, what: str) -> None:
    """FileNotFoundError for a missing file, ValueError for a folder, pipe or device (never opened)."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"{what} not found: {path}")
    if not os.path.isfile(path):
        raise ValueError(f"{path}: not a regular file (a folder, pipe or device); expected {what}")


def _open(path: str):
    """The file opened for reading its (decompressed) bytes, and whether it is gzip."""
    with open(path, "rb") as f:
        head = f.read(2)
    if head == b"\x1f\x8b":
        return gzip.open(path, "rb"), True
    return open(path, "rb"), False


def _read_exactly(f, n: int, path: str, gz: bool) -> bytes:
    """``n`` bytes from ``f`` read in chunks (never more than the header promised, plus nothing)."""
    parts, got = [], 0
    try:
        while got < n:
            chunk = f.read(min(_CHUNK, n - got))
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
    except (EOFError, OSError, zlib.error) as exc:
        if gz:
            raise ValueError(f"{path}: not a valid gzip file ({exc})") from None
        raise
    return b"".join(parts)


def read_idx(path) -> np.ndarray:
    """Read an IDX file (raw, or gzip whatever its name) into a NumPy array of native byte order.

    The header is read and checked first; then exactly the number of bytes it promises is
    read (a gzip stream that would inflate to more is refused after one extra byte, so a
    small ``.gz`` cannot make the reader inflate gigabytes).

    Args:
        path: the file path.

    Returns:
        The array, with the file's dimensions and dtype (uint8 for MNIST).

    Raises:
        FileNotFoundError: when the file does not exist.
        ValueError: naming the path and the reason for a malformed file: bad magic
            number, unknown type byte, zero dimensions, a size that does not match
            the header (truncated or with trailing bytes), sizes whose product is too
            large, a broken gzip stream, or a path that is not a regular file.
    """
    path = os.fspath(path)
    _check_regular(path, "IDX file")
    f, gz = _open(path)
    with f:
        raw = _read_exactly(f, 4, path, gz)
        if len(raw) < 4:
            raise ValueError(f"{path}: not an IDX file (only {len(raw)} bytes, the header needs at least 4)")
        if raw[0] != 0 or raw[1] != 0:
            raise ValueError(
                f"{path}: not an IDX file (magic number must start with two zero bytes, got {raw[:4].hex()})"
            )
        code, ndim = raw[2], raw[3]
        if code not in IDX_TYPES:
            raise ValueError(
                f"{path}: unknown IDX data type 0x{code:02X} (expected one of "
                + ", ".join(f"0x{k:02X}" for k in IDX_TYPES) + ")"
            )
        if ndim == 0:
            raise ValueError(f"{path}: IDX header declares 0 dimensions")
        head = _read_exactly(f, 4 * ndim, path, gz)
        if len(head) < 4 * ndim:
            raise ValueError(f"{path}: truncated IDX header ({4 + len(head)} bytes, {ndim} dimensions need "
                             f"{4 + 4 * ndim})")
        dims = struct.unpack(f">{ndim}I", head)
        dtype = IDX_TYPES[code]
        count = 1
        for d in dims:  # Python ints: no overflow
            count *= d
        expected = count * dtype.itemsize
        if expected > np.iinfo(np.intp).max // 2:
            raise ValueError(f"{path}: IDX header declares shape {dims}, {expected} bytes: too large to be real")
        if not gz:
            size = os.fstat(f.fileno()).st_size - 4 - 4 * ndim
            if size < expected:
                raise ValueError(f"{path}: truncated IDX data: header says shape {dims} ({expected} bytes), "
                                 f"file has {size}")
        data = _read_exactly(f, expected, path, gz)
        if len(data) < expected:
            raise ValueError(f"{path}: truncated IDX data: header says shape {dims} ({expected} bytes), "
                             f"file has {len(data)}")
        extra = _read_exactly(f, _CHUNK, path, gz) if gz else b""
        trailing = len(extra) if gz else os.fstat(f.fileno()).st_size - 4 - 4 * ndim - expected
    if trailing > 0:
        more = " or more" if gz and trailing == _CHUNK else ""
        raise ValueError(f"{path}: {trailing}{more} unexpected trailing bytes after IDX data of shape {dims}")
    arr = np.frombuffer(data, dtype=dtype, count=count)
    return arr.reshape(dims).astype(dtype.newbyteorder("="))


def write_idx(path, array) -> None:
    """Write ``array`` as an IDX file (gzip-compressed when ``path`` ends with ``.gz``).

    Args:
        path: the destination.
        array: an array of dtype uint8, int8, int16, int32, float32 or float64 with at
            least one dimension.

    Raises:
        ValueError: for another dtype or a 0-d array.
    """
    arr = np.asarray(array)
    key = arr.dtype.newbyteorder("=")
    if key not in _CODES:
        raise ValueError(f"write_idx supports uint8, int8, int16, int32, float32, float64; got {arr.dtype}")
    if arr.ndim == 0 or arr.ndim > 255:
        raise ValueError(f"write_idx needs 1 to 255 dimensions, got shape {arr.shape}")
    code = _CODES[key]
    payload = (bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
               + np.ascontiguousarray(arr, dtype=IDX_TYPES[code]).tobytes())
    path = os.fspath(path)
    if path.endswith(".gz"):
        with gzip.open(path, "wb") as f:
            f.write(payload)
    else:
        with open(path, "wb") as f:
            f.write(payload)
