"""IDX (MNIST / Fashion-MNIST) and CIFAR-10 binary files: round trips and malformed files."""

import gzip
import struct

import numpy as np
import pytest

from gradkit.data import datasets as D
from gradkit.data import read_cifar_batch, read_idx, write_cifar_batch, write_idx


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_round_trip(tmp_path, rng, dtype, suffix):
    a = (rng.random((3, 4, 5)) * 100).astype(dtype)
    path = tmp_path / f"arr-idx3{suffix}"
    write_idx(path, a)
    b = read_idx(path)
    assert b.dtype == np.dtype(dtype) and np.array_equal(a, b)


def test_idx_header_bytes_are_the_mnist_ones(tmp_path):
    path = tmp_path / "labels"
    write_idx(path, np.array([1, 2], dtype=np.uint8))
    assert path.read_bytes() == bytes([0, 0, 8, 1, 0, 0, 0, 2, 1, 2])
    gz = tmp_path / "labels-no-suffix"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    assert read_idx(gz).tolist() == [1, 2]  # gzip recognized by content, whatever the name


def _raw(code, dims, payload):
    return bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + payload


@pytest.mark.parametrize("content, reason", [
    (b"\x00\x00", "only 2 bytes"),
    (b"\x01\x00\x08\x01" + b"\x00" * 8, "two zero bytes"),
    (_raw(0x07, (2,), b"\x00\x00"), "unknown IDX data type 0x07"),
    (bytes([0, 0, 8, 3, 0, 0]), "truncated IDX header"),
    (_raw(0x08, (2, 3), b"\x00" * 5), r"truncated IDX data: header says shape \(2, 3\) \(6 bytes\), file has 5"),
    (_raw(0x08, (2,), b"\x00" * 4), "2 unexpected trailing bytes"),
])
def test_idx_malformed_files_are_refused_with_path_and_reason(tmp_path, content, reason):
    path = tmp_path / "bad-idx"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=reason) as e:
        read_idx(path)
    assert str(path) in str(e.value)


def test_idx_truncated_gzip_and_missing_file(tmp_path):
    good = gzip.compress(_raw(0x08, (100,), bytes(range(100))))
    path = tmp_path / "t.gz"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(ValueError, match="not a valid gzip file") as e:
        read_idx(path)
    assert str(path) in str(e.value)
    with pytest.raises(FileNotFoundError, match="IDX file not found"):
        read_idx(tmp_path / "nope")


def _write_mnist(root, n_train=6, n_test=4, gz=True, rng=None):
    rng = rng or np.random.default_rng(0)
    sfx = ".gz" if gz else ""
    out = {}
    for train, n in ((True, n_train), (False, n_test)):
        img_name, lab_name = D._MNIST_FILES[train]
        imgs = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labs = rng.integers(0, 10, size=n, dtype=np.uint8)
        write_idx(root / (img_name + sfx), imgs)
        write_idx(root / (lab_name + sfx), labs)
        out[train] = (imgs, labs)
    return out


@pytest.mark.parametrize("gz", [True, False])
def test_load_mnist_and_fashion_from_folder(tmp_path, gz):
    written = _write_mnist(tmp_path, gz=gz)
    X, y = D.load_mnist(tmp_path, train=True)
    assert X.shape == (6, 1, 28, 28) and X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_allclose(X[:, 0] * 255, written[True][0], atol=1e-4)
    assert y.tolist() == written[True][1].tolist()
    Xt, yt = D.load("fashion_mnist", root=tmp_path, train=False, as_images=False)
    assert Xt.shape == (4, 784) and 0 <= Xt.min() and Xt.max() <= 1


def test_load_mnist_inconsistent_and_missing(tmp_path):
    _write_mnist(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(5, np.uint8))
    with pytest.raises(ValueError, match="holds 6 images but .* holds 5 labels"):
        D.load_mnist(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.full(6, 12, np.uint8))
    with pytest.raises(ValueError, match="labels must be 0..9"):
        D.load_mnist(tmp_path)
    with pytest.raises(FileNotFoundError, match="t10k-images-idx3-ubyte.*never downloads"):
        D.load_mnist(tmp_path / "empty", train=False)


def test_cifar_round_trip_and_folder_loader(tmp_path, rng):
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    parts = []
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        imgs = rng.integers(0, 256, size=(2, 3, 32, 32), dtype=np.uint8)
        labs = rng.integers(0, 10, size=2, dtype=np.uint8)
        write_cifar_batch(folder / name, imgs, labs)
        parts.append((imgs, labs))
    imgs, labs = read_cifar_batch(folder / "data_batch_3.bin")
    assert np.array_equal(imgs, parts[2][0]) and np.array_equal(labs, parts[2][1])
    # the record layout: label byte, then the red plane row-major
    raw = (folder / "data_batch_1.bin").read_bytes()
    assert len(raw) == 2 * 3073 and raw[0] == parts[0][1][0] and raw[1] == parts[0][0][0, 0, 0, 0]
    X, y = D.load_cifar10(tmp_path, train=True)  # finds the cifar-10-batches-bin subfolder
    assert X.shape == (10, 3, 32, 32) and X.dtype == np.float32 and y.dtype == np.int64
    assert y.tolist() == np.concatenate([p[1] for p in parts[:5]]).tolist()
    np.testing.assert_allclose(X[0] * 255, parts[0][0][0], atol=1e-4)
    Xt, yt = D.load("cifar10", root=folder, train=False)
    assert Xt.shape == (2, 3, 32, 32)


def test_cifar_malformed_files(tmp_path):
    bad = tmp_path / "data_batch_1.bin"
    bad.write_bytes(b"\x01" * 3000)
    with pytest.raises(ValueError, match="not a whole number of 3073-byte") as e:
        read_cifar_batch(bad)
    assert str(bad) in str(e.value)
    bad.write_bytes(b"")
    with pytest.raises(ValueError, match="empty"):
        read_cifar_batch(bad)
    bad.write_bytes(bytes([11]) + b"\x00" * 3072)
    with pytest.raises(ValueError, match="record 0 has label byte 11"):
        read_cifar_batch(bad)
    with pytest.raises(FileNotFoundError, match="data_batch_2.bin, data_batch_3.bin"):
        D.load_cifar10(tmp_path)
