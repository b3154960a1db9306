"""The file layer under :mod:`gradkit.io`: safetensors bytes, checksums and atomic writes.

A safetensors file is an 8-byte little-endian header length ``N``, ``N`` bytes of JSON
(``{name: {"dtype", "shape", "data_offsets"}, "__metadata__": {str: str}}``) and then the
raw little-endian tensor bytes. The format has no checksum, so gradkit adds two to the
string metadata:

* ``gradkit.sha256``: SHA-256 over every tensor's name, dtype code, shape and bytes, in
  sorted name order (see :func:`tensor_digest`);
* ``gradkit.metadata_sha256``: SHA-256 over all other metadata entries, so that a flipped
  byte in the header (an architecture, a training history) is caught as well.

Writing goes through ``safetensors.numpy`` (imported lazily). Reading is done here, on the
raw bytes, because it must validate everything (truncation, offsets, checksums) and say
precisely what is wrong; it needs no third-party package. Every array is made
C-contiguous and little-endian before it is written: safetensors 0.8.0 silently writes
wrong values for strided views, Fortran-ordered arrays and reversed views.

Writes are atomic: the bytes go to a temporary file in the destination's directory, which
is flushed and ``fsync``-ed and then renamed over the destination with ``os.replace``. A
crash (or Ctrl-C) in the middle leaves the previous file intact and removes the
temporary file.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import secrets
import stat
import struct
import time

import numpy as np

from .. import backend

FORMAT_VERSION = 1

# gradkit's metadata keys (all start with "gradkit.").
KEY_FORMAT = "gradkit.format_version"
KEY_VERSION = "gradkit.version"
KEY_KIND = "gradkit.kind"
KEY_SHA = "gradkit.sha256"
KEY_META_SHA = "gradkit.metadata_sha256"
KEY_NAMES = "gradkit.names"
KEY_ARCH = "gradkit.architecture"
KEY_NO_ARCH = "gradkit.no_architecture"
KEY_USER = "gradkit.user"
KEY_TREE = "gradkit.checkpoint"
KNOWN_KEYS = frozenset(
    {KEY_FORMAT, KEY_VERSION, KEY_KIND, KEY_SHA, KEY_META_SHA, KEY_NAMES, KEY_ARCH, KEY_NO_ARCH, KEY_USER, KEY_TREE}
)
REQUIRED_KEYS = frozenset({KEY_FORMAT, KEY_VERSION, KEY_KIND, KEY_SHA, KEY_META_SHA})

# safetensors dtype code <-> NumPy dtype.
_CODE_TO_DTYPE = {
    "BOOL": np.dtype(np.bool_),
    "U8": np.dtype(np.uint8),
    "I8": np.dtype(np.int8),
    "U16": np.dtype("<u2"),
    "I16": np.dtype("<i2"),
    "F16": np.dtype("<f2"),
    "U32": np.dtype("<u4"),
    "I32": np.dtype("<i4"),
    "F32": np.dtype("<f4"),
    "U64": np.dtype("<u8"),
    "I64": np.dtype("<i8"),
    "F64": np.dtype("<f8"),
}
_DTYPE_TO_CODE = {dt.newbyteorder("="): code for code, dt in _CODE_TO_DTYPE.items()}
_OTHER_CODES = {"BF16": 2, "F8_E4M3": 1, "F8_E5M2": 1, "F8_E8M0": 1, "F4": 1, "F6_E2M3": 1, "F6_E3M2": 1, "C64": 8}
_MAX_HEADER = 100 * 1024 * 1024
_CHUNK = 16 * 1024 * 1024
MAX_JSON_DEPTH = 256  # nesting levels allowed in a header or a metadata value (a checkpoint's tree uses ~20)
_TMP_RE = re.compile(r"^\.(?P<base>.+)\.(?P<pid>\d+)-[0-9a-f]{12}\.tmp$")
_STALE_AGE = 3600.0  # seconds after which a temporary of a process we cannot see is removed anyway


class CheckpointError(ValueError):
    """A file that gradkit refuses to load (corrupt, truncated, not safetensors, wrong kind).

    Attributes:
        path: the file.
        reason: what is wrong, in a few words (``"checksum mismatch"``, ``"truncated header"``...).
    """

    def __init__(self, path, reason: str, detail: str = ""):
        self.path = os.fspath(path) if path is not None else "<bytes>"
        self.reason = reason
        msg = f"cannot load {self.path}: {reason}"
        if detail:
            msg += f" ({detail})"
        super().__init__(msg)


# ---------------------------------------------------------------------------- strict JSON
def _no_duplicates(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise ValueError(f"duplicate key {k!r}")
        obj[k] = v
    return obj


_STRING_RE = re.compile(r'"(?:[^"\\]|\\.)*"')


def _json_depth(text: str) -> int:
    """The deepest nesting of ``[``/``{`` in JSON ``text`` (brackets inside strings ignored)."""
    codes = np.frombuffer(_STRING_RE.sub("", text).encode("utf-8", "replace"), dtype=np.uint8)
    steps = (np.isin(codes, (ord("["), ord("{"))).astype(np.int64)
             - np.isin(codes, (ord("]"), ord("}"))).astype(np.int64))
    return int(np.cumsum(steps).max()) if steps.size else 0


def strict_json(text: str):
    """Parse JSON refusing duplicate keys and nesting deeper than :data:`MAX_JSON_DEPTH`.

    Raises:
        ValueError: saying which rule the text breaks.
    """
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH and _json_depth(text) > MAX_JSON_DEPTH:
        raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except RecursionError:  # pragma: no cover - guarded by the depth check
        raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None


# ---------------------------------------------------------------------------- arrays
def dtype_code(dtype) -> str:
    """The safetensors code (``"F32"``...) of a NumPy dtype.

    Raises:
        TypeError: for a dtype safetensors cannot store (complex, object, strings...).
    """
    dt = np.dtype(dtype)
    code = _DTYPE_TO_CODE.get(dt.newbyteorder("="))
    if code is None:
        raise TypeError(
            f"cannot store an array of dtype {dt} in a safetensors file; supported: bool, "
            "int8/16/32/64, uint8/16/32/64, float16/32/64"
        )
    return code


def host_array(value, where: str) -> np.ndarray:
    """``value`` (Tensor, NumPy/CuPy array or NumPy scalar) as a C-contiguous little-endian host array.

    Raises:
        TypeError: for anything else, naming ``where``.
    """
    from ..tensor import Tensor

    if isinstance(value, Tensor):
        value = value.array
    if backend.is_cupy_array(value):
        value = value.get()
    if isinstance(value, np.generic):
        value = np.asarray(value)
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{where}: expected a Tensor or an array, got {type(value).__name__}")
    try:
        dtype_code(value.dtype)
    except TypeError as exc:
        raise TypeError(f"{where}: {exc}") from None
    if value.dtype.byteorder == ">":
        value = value.astype(value.dtype.newbyteorder("<"))
    # safetensors 0.8.0 writes wrong values for non-contiguous arrays: copy those to C order.
    # (0-d arrays are always contiguous; np.ascontiguousarray would turn them into shape (1,).)
    return value if value.flags.c_contiguous else np.ascontiguousarray(value)


def tensor_digest(entries) -> str:
    """SHA-256 (hex) of tensors given as ``(name, dtype_code, shape, bytes_like)``.

    Entries are hashed in sorted name order; each contributes a length-prefixed JSON
    record ``[name, dtype_code, shape]`` followed by its length-prefixed raw bytes, so the
    digest is independent of the order in which tensors were written.
    """
    h = hashlib.sha256(b"gradkit-tensors-v1\0")
    for name, code, shape, data in sorted(entries, key=lambda e: e[0]):
        rec = json.dumps([name, code, [int(s) for s in shape]], separators=(",", ":")).encode("utf-8")
        h.update(struct.pack("<Q", len(rec)))
        h.update(rec)
        mv = memoryview(data).cast("B")
        h.update(struct.pack("<Q", mv.nbytes))
        h.update(mv)
    return h.hexdigest()


def _array_bytes(arr: np.ndarray):
    return arr.reshape(-1).view(np.uint8) if arr.size else b""


def metadata_digest(metadata: dict) -> str:
    """SHA-256 (hex) of every metadata entry except ``gradkit.metadata_sha256`` itself."""
    items = sorted((k, v) for k, v in metadata.items() if k != KEY_META_SHA)
    return hashlib.sha256(json.dumps(items, separators=(",", ":")).encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------- writing
def encode(arrays: dict, metadata: dict) -> bytes:
    """The bytes of a safetensors file holding ``arrays`` (already host, contiguous) and checksums.

    ``metadata`` (str -> str) gets gradkit's format version, gradkit's version and both
    checksums added.
    """
    try:
        import safetensors.numpy as stn
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "saving needs the safetensors package (a dependency of gradkit): pip install safetensors"
        ) from exc
    from .. import __version__

    meta = dict(metadata)
    meta[KEY_FORMAT] = str(FORMAT_VERSION)
    meta[KEY_VERSION] = __version__
    meta[KEY_SHA] = tensor_digest((n, dtype_code(a.dtype), a.shape, _array_bytes(a)) for n, a in arrays.items())
    meta[KEY_META_SHA] = metadata_digest(meta)
    for name, a in arrays.items():
        if not (a.flags.c_contiguous and a.dtype.byteorder != ">"):  # pragma: no cover - guarded by host_array
            raise AssertionError(f"internal error: array {name!r} is not contiguous little-endian")
    return stn.save(arrays, metadata=meta)


def _write_payload(f, payload) -> None:
    """Write ``payload`` to the open file ``f`` in chunks (tests replace this to simulate a crash)."""
    mv = memoryview(payload)
    for start in range(0, len(mv), _CHUNK):
        f.write(mv[start:start + _CHUNK])


def is_file_object(obj) -> bool:
    """Whether ``obj`` is an open file-like object (has ``read`` or ``write``), not a path."""
    return not isinstance(obj, (str, bytes, os.PathLike)) and (hasattr(obj, "read") or hasattr(obj, "write"))


def remove_stale_temporaries(path) -> list:
    """Delete temporaries that an earlier, killed write to ``path`` left (gradkit's own naming only).

    A temporary is ``.<name>.<pid>-<12 hex>.tmp`` beside ``path``; it is stale when the process
    that wrote it no longer exists (on this machine), or when it is older than an hour.

    Returns:
        The removed paths.
    """
    directory = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    now = time.time()
    for name in names:
        m = _TMP_RE.match(name)
        if m is None or m.group("base") != base:
            continue
        full = os.path.join(directory, name)
        pid = int(m.group("pid"))
        try:
            old = now - os.lstat(full).st_mtime > _STALE_AGE
        except OSError:
            continue
        if pid == os.getpid() and not old:
            continue  # another thread of this process may be writing it
        if not old and _pid_alive(pid):
            continue
        try:
            os.unlink(full)
            removed.append(full)
        except OSError:
            pass
    return removed


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def atomic_write(path, payload) -> None:
    """Write ``payload`` to ``path`` atomically (temporary file in the same directory, fsync, rename).

    ``path`` may also be a binary file object (``io.BytesIO``, an open file): the bytes are
    written to it at its position. Temporaries left by an earlier write that was killed
    (``.<name>.<pid>-<hex>.tmp``) are removed first.

    Raises:
        FileNotFoundError: when the destination directory does not exist.
        IsADirectoryError: when ``path`` is a directory.
    """
    if is_file_object(path):
        if isinstance(path, io.TextIOBase):
            raise TypeError("cannot save to a text-mode file; open it in binary mode ('wb')")
        _write_payload(path, payload)
        return
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot save to {path}: the directory {directory} does not exist")
    if os.path.isdir(path):
        raise IsADirectoryError(f"cannot save to {path}: it is a directory, expected a file path")
    if os.path.exists(path) and not os.path.isfile(path):
        raise IsADirectoryError(f"cannot save to {path}: it is not a regular file (a device or a pipe?)")
    remove_stale_temporaries(path)
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}-{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            _write_payload(f, payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(directory)


def _fsync_dir(directory: str) -> None:
    """Persist the rename itself (POSIX); a no-op where directories cannot be opened."""
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows
        return
    try:
        os.fsync(dfd)
    except OSError:  # pragma: no cover - some filesystems refuse
        pass
    finally:
        os.close(dfd)


# ---------------------------------------------------------------------------- reading
class RawFile:
    """A parsed, validated safetensors file.

    Attributes:
        path: the file path.
        metadata: the ``__metadata__`` strings (empty dict when absent).
        arrays: name -> NumPy array, in the file's header order.
        checked: True when gradkit checksums were present and verified.
    """

    def __init__(self, path, metadata, arrays, checked):
        self.path = path
        self.metadata = metadata
        self.arrays = arrays
        self.checked = checked

    @property
    def is_gradkit(self) -> bool:
        return KEY_FORMAT in self.metadata


def read(path) -> RawFile:
    """Read, validate and decode a safetensors file.

    Raises:
        FileNotFoundError: when ``path`` does not exist.
        CheckpointError: when the file is not safetensors, is truncated or corrupt, or its
            gradkit checksum does not match.
    """
    if is_file_object(path):
        if isinstance(path, io.TextIOBase):
            raise TypeError("cannot load from a text-mode file; open it in binary mode ('rb')")
        data = path.read()
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"the file object's read() returned {type(data).__name__}, expected bytes")
        return parse(bytearray(data), getattr(path, "name", None) if isinstance(getattr(path, "name", None), str)
                     else None)
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"cannot load {path}: it is a directory, expected a safetensors file")
    st = os.stat(path)  # raises FileNotFoundError; never opens (a named pipe would block)
    if not stat.S_ISREG(st.st_mode):
        raise CheckpointError(path, "not a regular file", "a named pipe, device or socket; give a safetensors file")
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        buf = bytearray(size)
        n = f.readinto(buf)
    if n != size:  # pragma: no cover - file changed while reading
        raise CheckpointError(path, "truncated file", f"expected {size} bytes, read {n}")
    return parse(buf, path)


def parse(buf, path=None) -> RawFile:
    """Validate and decode safetensors bytes (a ``bytearray`` gives writable arrays without copies)."""
    size = len(buf)
    if size < 8:
        raise CheckpointError(
            path, "truncated header",
            f"the file has {size} bytes; a safetensors file starts with an 8-byte header length",
        )
    (hlen,) = struct.unpack_from("<Q", buf, 0)
    if bytes(buf[:4]) == b"PK\x03\x04" or bytes(buf[:2]) == b"\x80\x02":
        raise CheckpointError(
            path, "not a safetensors file",
            "it looks like a PyTorch pickle (torch.save) file; gradkit never unpickles: convert it in PyTorch with "
            "safetensors.torch.save_file(torch.load(path, weights_only=True), 'model.safetensors')",
        )
    if hlen < 2 or hlen > _MAX_HEADER or (size > 8 and buf[8] != ord("{")):
        raise CheckpointError(
            path, "not a safetensors file", "it does not start with an 8-byte header length followed by a JSON header"
        )
    if 8 + hlen > size:
        raise CheckpointError(path, "truncated header", f"the header needs {hlen} bytes, only {size - 8} follow")
    try:
        header = strict_json(bytes(buf[8:8 + hlen]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CheckpointError(path, "corrupt header", f"not valid JSON: {exc}") from None
    if not isinstance(header, dict):
        raise CheckpointError(path, "corrupt header", "the JSON header is not an object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise CheckpointError(path, "corrupt header", "__metadata__ must map strings to strings")

    data_start = 8 + hlen
    data_len = size - data_start
    entries = []
    for name, info in header.items():
        entries.append((name, *_check_entry(path, name, info)))
    entries.sort(key=lambda e: e[3][0])
    pos = 0
    for name, _, _, (begin, end) in entries:
        if begin != pos:
            raise CheckpointError(path, "corrupt header", f"tensor {name!r} starts at byte {begin}, expected {pos}")
        pos = end
    if pos > data_len:
        raise CheckpointError(
            path, "truncated data", f"the tensors need {pos} bytes after the header, the file has {data_len}"
        )
    if pos < data_len:
        raise CheckpointError(path, "corrupt file", f"{data_len - pos} unexpected bytes after the tensor data")

    mv = memoryview(buf)
    checked = _verify(path, metadata, [(n, c, s, mv[data_start + b:data_start + e]) for n, c, s, (b, e) in entries])

    order = {name: i for i, name in enumerate(header)}
    arrays = {}
    for name, code, shape, (begin, end) in sorted(entries, key=lambda e: order[e[0]]):
        arrays[name] = _decode_array(path, name, code, shape, buf, data_start + begin, end - begin)
    return RawFile(path, metadata, arrays, checked)


def _check_entry(path, name, info):
    if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
        raise CheckpointError(path, "corrupt header", f"entry {name!r} must have exactly dtype, shape and data_offsets")
    code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    itemsize = _CODE_TO_DTYPE[code].itemsize if code in _CODE_TO_DTYPE else _OTHER_CODES.get(code)
    if itemsize is None:
        raise CheckpointError(path, "corrupt header", f"tensor {name!r} has unknown dtype {code!r}")
    if not (isinstance(shape, list) and all(type(s) is int and s >= 0 for s in shape)):
        raise CheckpointError(path, "corrupt header", f"tensor {name!r} has an invalid shape {shape!r}")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(type(o) is int and o >= 0 for o in offsets)):
        raise CheckpointError(path, "corrupt header", f"tensor {name!r} has invalid data_offsets {offsets!r}")
    count = 1
    for s in shape:
        count *= s
    begin, end = offsets
    if code in ("F4",):
        nbytes = (count + 1) // 2
    elif code in ("F6_E2M3", "F6_E3M2"):
        nbytes = (count * 6 + 7) // 8
    else:
        nbytes = count * itemsize
    if end - begin != nbytes:
        raise CheckpointError(
            path, "corrupt header",
            f"tensor {name!r} of dtype {code} and shape {tuple(shape)} needs {nbytes} bytes, "
            f"its offsets span {end - begin}",
        )
    return code, tuple(shape), (begin, end)


def _verify(path, metadata, entries) -> bool:
    """Check gradkit's checksums when the file has them; return whether it did."""
    ours = {k for k in metadata if k.startswith("gradkit.")}
    if not ours:
        return False  # written by another tool (e.g. safetensors.torch): nothing to verify
    fmt = metadata.get(KEY_FORMAT)
    if fmt is not None and fmt.isdigit() and int(fmt) > FORMAT_VERSION:
        raise CheckpointError(
            path, "unsupported format version",
            f"written with gradkit format {fmt} (gradkit {metadata.get(KEY_VERSION, '?')}); this gradkit reads up to "
            f"{FORMAT_VERSION}: upgrade gradkit",
        )
    missing = sorted(REQUIRED_KEYS - ours)
    unknown = sorted(ours - KNOWN_KEYS)
    if missing or unknown or fmt != str(FORMAT_VERSION):
        raise CheckpointError(
            path, "corrupt metadata",
            f"gradkit metadata is damaged (missing {missing}, unknown {unknown}, format version {fmt!r})",
        )
    if metadata_digest(metadata) != metadata[KEY_META_SHA]:
        raise CheckpointError(path, "checksum mismatch", "the metadata does not match its SHA-256; the file is corrupt")
    if tensor_digest(entries) != metadata[KEY_SHA]:
        raise CheckpointError(
            path, "checksum mismatch", "the tensor data does not match its SHA-256; the file is corrupt"
        )
    return True


def _decode_array(path, name, code, shape, buf, offset, nbytes) -> np.ndarray:
    if code == "BF16":
        # bfloat16 is the top half of a float32: widen exactly to float32.
        count = nbytes // 2
        u16 = np.frombuffer(buf, dtype="<u2", count=count, offset=offset) if count else np.empty(0, "<u2")
        return (u16.astype(np.uint32) << 16).view(np.float32).reshape(shape)
    dt = _CODE_TO_DTYPE.get(code)
    if dt is None:
        raise CheckpointError(
            path, "unsupported dtype", f"tensor {name!r} has dtype {code}, which NumPy cannot represent"
        )
    if nbytes == 0:
        return np.empty(shape, dtype=dt.newbyteorder("="))
    arr = np.frombuffer(buf, dtype=dt, count=nbytes // dt.itemsize, offset=offset).reshape(shape)
    if not arr.flags.aligned or arr.dtype.byteorder == ">" or not arr.flags.writeable:
        arr = arr.astype(dt.newbyteorder("="), copy=True)
    return arr
