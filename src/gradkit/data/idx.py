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

Example:
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


def _read_bytes(path) -> bytes:
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"IDX file not found: {path}")
    with open(path, "rb") as f:
        head = f.read(2)
    if head == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as f:
                return f.read()
        except (EOFError, OSError, zlib.error) as exc:
            raise ValueError(f"{path}: not a valid gzip file ({exc})") from exc
    with open(path, "rb") as f:
        return f.read()


def read_idx(path) -> np.ndarray:
    """Read an IDX file (raw, or gzip whatever its name) into a NumPy array of native byte order.

    Args:
        path: the file path.

    Returns:
        The array, with the file's dimensions and dtype (uint8 for MNIST).

    Raises:
        FileNotFoundError: when the file does not exist.
        ValueError: naming the path and the reason for a malformed file: bad magic
            number, unknown type byte, zero dimensions, or a size that does not match
            the header (truncated or with trailing bytes), or a broken gzip stream.
    """
    path = os.fspath(path)
    raw = _read_bytes(path)
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
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header ({len(raw)} bytes, {ndim} dimensions need {header})")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = IDX_TYPES[code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    got = len(raw) - header
    if got < expected:
        raise ValueError(f"{path}: truncated IDX data: header says shape {dims} ({expected} bytes), file has {got}")
    if got > expected:
        raise ValueError(f"{path}: {got - expected} unexpected trailing bytes after IDX data of shape {dims}")
    arr = np.frombuffer(raw, dtype=dtype, count=int(np.prod(dims, dtype=np.int64)), offset=header)
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
