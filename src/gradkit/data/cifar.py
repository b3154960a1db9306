"""Read CIFAR-10 binary batches (``data_batch_1.bin`` ... ``data_batch_5.bin``, ``test_batch.bin``).

Each record is 3073 bytes: one label byte (0-9), then 3072 pixel bytes: the 32x32
red plane, then green, then blue, each row-major. That is already NCHW order.

Examples:
    >>> import numpy as np, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "test_batch.bin")
    >>> write_cifar_batch(path, np.zeros((2, 3, 32, 32), np.uint8), np.array([3, 7], np.uint8))
    >>> images, labels = read_cifar_batch(path)
    >>> images.shape, labels.tolist()
    ((2, 3, 32, 32), [3, 7])
"""

from __future__ import annotations

import os

import numpy as np

RECORD_BYTES = 1 + 3 * 32 * 32
TRAIN_FILES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_FILES = ("test_batch.bin",)
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def read_cifar_batch(path) -> tuple[np.ndarray, np.ndarray]:
    """Read one CIFAR-10 binary batch file.

    Args:
        path: the ``.bin`` file.

    Returns:
        ``(images, labels)``: uint8 arrays of shapes ``(N, 3, 32, 32)`` and ``(N,)``.

    Raises:
        FileNotFoundError: when the file does not exist.
        ValueError: naming the path and the reason: empty, a size that is not a whole
            number of 3073-byte records (truncated), or a label byte above 9.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"CIFAR-10 batch not found: {path}")
    if not os.path.isfile(path):
        raise ValueError(f"{path}: not a regular file (a folder, pipe or device); expected a CIFAR-10 batch")
    size = os.path.getsize(path)  # checked before anything is read
    if size == 0:
        raise ValueError(f"{path}: empty CIFAR-10 batch file")
    if size % RECORD_BYTES:
        raise ValueError(
            f"{path}: size {size} bytes is not a whole number of {RECORD_BYTES}-byte CIFAR-10 records "
            f"(1 label byte + 3072 pixel bytes); the file is truncated or not a CIFAR-10 binary batch"
        )
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size == 0:
        raise ValueError(f"{path}: empty CIFAR-10 batch file")
    if raw.size % RECORD_BYTES:
        raise ValueError(
            f"{path}: size {raw.size} bytes is not a whole number of {RECORD_BYTES}-byte CIFAR-10 records "
            f"(1 label byte + 3072 pixel bytes); the file is truncated or not a CIFAR-10 binary batch"
        )
    rec = raw.reshape(-1, RECORD_BYTES)
    labels = rec[:, 0].copy()
    if labels.max() > 9:
        bad = int(np.flatnonzero(labels > 9)[0])
        raise ValueError(f"{path}: record {bad} has label byte {int(labels[bad])}; CIFAR-10 labels are 0..9")
    images = rec[:, 1:].reshape(-1, 3, 32, 32).copy()
    return images, labels


def write_cifar_batch(path, images, labels) -> None:
    """Write images ``(N, 3, 32, 32)`` uint8 and labels ``(N,)`` in CIFAR-10's binary format.

    Raises:
        ValueError: for wrong shapes, dtypes or labels outside 0..9.
    """
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.ndim != 4 or images.shape[1:] != (3, 32, 32) or images.dtype != np.uint8:
        raise ValueError(f"write_cifar_batch expects uint8 images (N, 3, 32, 32), got {images.dtype} {images.shape}")
    if labels.shape != (images.shape[0],) or labels.size and (labels.min() < 0 or labels.max() > 9):
        raise ValueError(f"write_cifar_batch expects {images.shape[0]} labels in 0..9, got shape {labels.shape}")
    rec = np.concatenate([labels.astype(np.uint8)[:, None], images.reshape(images.shape[0], -1)], axis=1)
    with open(os.fspath(path), "wb") as f:
        f.write(np.ascontiguousarray(rec).tobytes())
