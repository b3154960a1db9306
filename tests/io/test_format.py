"""gk.save / gk.load: bit-exact round trips, non-contiguous arrays, corruption, atomic writes."""

import os

import numpy as np
import pytest

import gradkit as gk
from gradkit.io import CheckpointError, _format


def _same(a, b):
    a = a.numpy() if isinstance(a, gk.Tensor) else a
    b = b.numpy() if isinstance(b, gk.Tensor) else b
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.fixture
def path(tmp_path):
    return tmp_path / "w.safetensors"


def test_round_trip_is_bit_exact_for_every_dtype_and_0d(path, rng):
    state = {
        "f32": rng.standard_normal((3, 4)).astype(np.float32),
        "f64": rng.standard_normal(5),
        "f16": rng.standard_normal(4).astype(np.float16),
        "i64": rng.integers(-(2**62), 2**62, size=(2, 3)),
        "i32": np.array([-7, 0, 2**31 - 1], dtype=np.int32),
        "u8": np.array([0, 255], dtype=np.uint8),
        "bool": np.array([[True, False], [False, True]]),
        "scalar_f32": np.array(np.float32(1.0) / 3),
        "scalar_i64": np.array(-5),
        "empty": np.zeros((0, 3), dtype=np.float32),
        "special": np.array([np.nan, np.inf, -np.inf, -0.0, 5e-324]),
        "tensor": gk.randn(2, 2),
    }
    gk.save(state, path)
    out = gk.load(path)
    assert list(out) == list(state)  # saved order is kept
    for k, v in state.items():
        assert isinstance(out[k], gk.Tensor) and not out[k].requires_grad
        assert _same(out[k], v), k
    assert out["scalar_f32"].shape == () and out["scalar_i64"].shape == ()
    arrays = gk.load(path, as_numpy=True)
    assert all(isinstance(a, np.ndarray) for a in arrays.values())
    assert arrays["f32"].flags.writeable
    arrays["f32"] += 1  # loaded arrays are ordinary writable arrays


def test_big_endian_input_is_stored_as_values(path):
    a = np.arange(6, dtype=">f4").reshape(2, 3)
    gk.save({"a": a}, path)
    out = gk.load(path, as_numpy=True)["a"]
    assert np.array_equal(out, a) and out.dtype == np.float32


@pytest.mark.parametrize(
    "make",
    [
        lambda a: a[:, ::2],  # strided view
        lambda a: np.asfortranarray(a),  # Fortran order
        lambda a: a[::-1],  # reversed view
        lambda a: a.T,  # transposed view
    ],
    ids=["strided", "fortran", "reversed", "transposed"],
)
def test_non_contiguous_arrays_are_saved_with_their_values(path, make):
    a = np.arange(24, dtype=np.float32).reshape(4, 6)
    v = make(a)
    assert not v.flags.c_contiguous
    gk.save({"v": v, "t": gk.Tensor(v)}, path)
    out = gk.load(path, as_numpy=True)
    assert np.array_equal(out["v"], v) and np.array_equal(out["t"], v)


def test_metadata_round_trip_and_foreign_keys(path):
    meta = {"epoch": 3, "acc": 0.1 + 0.2, "tags": ["a", "b"], "nested": {"x": None}, "np": np.float32(0.5)}
    gk.save({"w": np.ones(2)}, path, metadata=meta)
    got = gk.io.load_metadata(path)
    assert got == {"epoch": 3, "acc": 0.1 + 0.2, "tags": ["a", "b"], "nested": {"x": None}, "np": 0.5}
    raw = gk.io.load_metadata(path, raw=True)
    assert raw["gradkit.format_version"] == "1" and raw["gradkit.version"] == gk.__version__
    assert len(raw["gradkit.sha256"]) == 64
    with pytest.raises(TypeError, match="metadata"):
        gk.save({"w": np.ones(2)}, path, metadata={"f": object()})


def test_bad_objects_are_refused_with_the_key(path):
    # nested containers, int keys and lists round-trip (issue 15: gk.save as PyTorch users write it)
    gk.save({"w": np.ones(2), "opt": {"lr": 0.1}}, path)
    assert gk.load(path)["opt"] == {"lr": 0.1}
    with pytest.raises(TypeError, match="'s'"):
        gk.save({"s": np.array(["a", "b"])}, path)
    with pytest.raises(TypeError, match="object"):
        gk.save({"w": np.ones(2), "f": object()}, path)

    class Opt:
        def state_dict(self):
            return {"state": {}}

    with pytest.raises(TypeError, match="got a Opt; .*save_checkpoint"):
        gk.save(Opt(), path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        gk.save({"w": np.ones(2)}, path.parent / "no_such_dir" / "x.safetensors")
    assert not (path.parent / "no_such_dir").exists()


def test_flipped_data_byte_is_refused(path):
    gk.save({"w": np.arange(10, dtype=np.float32)}, path)
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x10  # inside the tensor bytes
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="checksum mismatch") as err:
        gk.load(path)
    assert str(path) in str(err.value) and err.value.reason == "checksum mismatch"


def test_every_single_byte_flip_is_detected(path):
    gk.save({"a": np.arange(3, dtype=np.float32), "b": np.array([True])}, path, metadata={"k": "v"})
    good = path.read_bytes()
    for i in range(len(good)):
        for mask in (0x01, 0x80):
            bad = bytearray(good)
            bad[i] ^= mask
            path.write_bytes(bytes(bad))
            with pytest.raises(CheckpointError):
                gk.load(path)
    path.write_bytes(good)
    assert gk.load(path)["a"].tolist() == [0.0, 1.0, 2.0]


@pytest.mark.parametrize("keep", [0, 5, 8, 20, -1])
def test_truncated_file_is_refused(path, keep):
    gk.save({"w": np.arange(10, dtype=np.float32)}, path, metadata={"note": "x" * 50})
    data = path.read_bytes()
    path.write_bytes(data[:keep] if keep >= 0 else data[:-1])
    with pytest.raises(CheckpointError, match="truncated") as err:
        gk.load(path)
    assert str(path) in str(err.value)


def test_not_a_safetensors_file_is_refused(path):
    path.write_bytes(b"PK\x03\x04 this is a zip file, not safetensors" * 3)
    with pytest.raises(CheckpointError, match="not a safetensors file"):
        gk.load(path)
    path.write_text('{"a": 1}')
    with pytest.raises(CheckpointError, match="not a safetensors file"):
        gk.load(path)
    with pytest.raises(FileNotFoundError):
        gk.load(path.parent / "missing.safetensors")


def test_corrupt_header_is_refused(path):
    header = b'{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}'
    path.write_bytes(len(header).to_bytes(8, "little") + header + b"\0" * 4)
    with pytest.raises(CheckpointError, match="needs 8 bytes"):
        gk.load(path)
    header = b'{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}'  # missing brace
    path.write_bytes(len(header).to_bytes(8, "little") + header + b"\0" * 4)
    with pytest.raises(CheckpointError, match="corrupt header"):
        gk.load(path)
    header = b'{"w":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}}'
    path.write_bytes(len(header).to_bytes(8, "little") + header + b"\0" * 4)
    with pytest.raises(CheckpointError, match="unknown dtype"):
        gk.load(path)


def test_files_without_gradkit_checksum_load(path, rng):
    import safetensors.numpy as stn

    a = rng.standard_normal((2, 3)).astype(np.float32)
    stn.save_file({"w": a, "n": np.array(7)}, str(path), metadata={"format": "np"})
    out = gk.load(path)
    assert _same(out["w"], a) and out["n"].item() == 7
    assert gk.io.load_metadata(path) == {}


def test_bf16_is_widened_exactly_to_float32(path):
    values = np.array([1.0, -2.5, 3.140625, 0.0], dtype=np.float32)
    bits = (values.view(np.uint32) >> 16).astype("<u2")  # exact in bfloat16
    header = b'{"w":{"dtype":"BF16","shape":[2,2],"data_offsets":[0,8]}}'
    path.write_bytes(len(header).to_bytes(8, "little") + header + bits.tobytes())
    out = gk.load(path, as_numpy=True)["w"]
    assert out.dtype == np.float32 and np.array_equal(out, values.reshape(2, 2))


# ---------------------------------------------------------------------------- atomic writes
def _crash_halfway(f, payload):
    mv = memoryview(payload)
    f.write(mv[: len(mv) // 2])
    f.flush()
    raise RuntimeError("simulated crash while writing")


def test_crash_mid_save_keeps_previous_file_and_leaves_no_litter(path, monkeypatch):
    gk.save({"w": np.arange(100, dtype=np.float32)}, path)
    before = path.read_bytes()
    monkeypatch.setattr(_format, "_write_payload", _crash_halfway)
    with pytest.raises(RuntimeError, match="simulated crash"):
        gk.save({"w": np.zeros(100, dtype=np.float32)}, path)
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == [path.name]
    assert gk.load(path)["w"].numpy()[-1] == 99


def test_interrupt_during_fsync_or_rename_keeps_previous_file(path, monkeypatch):
    gk.save({"w": np.ones(3)}, path)
    before = path.read_bytes()

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(_format.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        gk.save({"w": np.zeros(3)}, path)
    monkeypatch.undo()
    monkeypatch.setattr(_format.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        gk.save({"w": np.zeros(3)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before and os.listdir(path.parent) == [path.name]


def test_crash_on_first_save_leaves_nothing(path, monkeypatch):
    monkeypatch.setattr(_format, "_write_payload", _crash_halfway)
    with pytest.raises(RuntimeError):
        gk.save({"w": np.ones(10)}, path)
    assert os.listdir(path.parent) == []


def test_saved_file_has_normal_permissions(path):
    gk.save({"w": np.ones(1)}, path)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_overwrite_replaces_content(path):
    gk.save({"w": np.ones(3)}, path)
    gk.save({"v": np.zeros(2)}, path)
    assert list(gk.load(path)) == ["v"]


def test_device_arguments(path):
    gk.save({"w": np.ones(2)}, path)
    assert gk.load(path, map_location="cpu")["w"].device == "cpu"
    assert gk.load(path, device="cpu")["w"].device == "cpu"
    with pytest.raises(ValueError, match="disagree"):
        gk.load(path, map_location="cpu", device="cuda")
    with pytest.raises(ValueError, match="unknown device"):
        gk.load(path, map_location="tpu")
    with pytest.raises(IsADirectoryError):
        gk.load(path.parent)


def test_cuda_tensors_are_copied_to_the_host(path):
    cupy = pytest.importorskip("cupy")
    try:
        cupy.cuda.runtime.getDeviceCount()
    except Exception:  # pragma: no cover - depends on the machine
        pytest.skip("no CUDA device")
    t = gk.randn(3, 4).to("cuda")
    gk.save({"t": t, "v": t.array[:, ::2]}, path)
    cpu = gk.load(path, as_numpy=True)
    assert np.array_equal(cpu["t"], t.numpy()) and np.array_equal(cpu["v"], t.numpy()[:, ::2])
    assert gk.load(path, map_location="cuda")["t"].device == "cuda"


def test_importing_io_stays_light():
    import subprocess
    import sys

    code = "import sys, gradkit, gradkit.io; print(any(m.startswith('safetensors') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_load_accepts_torchs_weights_only_argument(tmp_path):
    import gradkit as gk

    p = tmp_path / "w.safetensors"
    gk.save({"w": gk.tensor([1.0, 2.0])}, p)
    assert gk.load(p, weights_only=True)["w"].tolist() == [1.0, 2.0]
    assert gk.load(p, map_location="cpu", weights_only=False)["w"].tolist() == [1.0, 2.0]
