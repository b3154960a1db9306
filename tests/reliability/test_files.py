"""Crafted and damaged files are refused with a CheckpointError naming the file; saving takes file objects."""

import io
import json
import os
import struct
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradkit as gk
from gradkit.io import CheckpointError, _format
from gradkit.io._preflight import parameter_lower_bound


def _raw_file(header: bytes, data: bytes = b"") -> bytes:
    return struct.pack("<Q", len(header)) + header + data


def test_huge_architecture_in_a_small_file_fails_fast(tmp_path):
    spec = json.dumps({"class": "Sequential", "config": {"args": [
        {"class": "Linear", "config": {"in_features": 100000, "out_features": 100000}}]}})
    payload = _format.encode({"0.weight": np.zeros((2, 2), np.float32), "0.bias": np.zeros(2, np.float32)},
                             {_format.KEY_KIND: "module", _format.KEY_ARCH: spec})
    path = tmp_path / "small.safetensors"
    path.write_bytes(bytes(payload))
    assert path.stat().st_size < 2048
    t = time.perf_counter()
    with pytest.raises(CheckpointError, match="does not match the stored weights.*Linear") as err:
        gk.load_model(path)
    assert time.perf_counter() - t < 1.0 and str(path) in str(err.value)


LAYERS = st.sampled_from(["Linear", "Conv2d", "Embedding", "LSTM", "GRU", "RNN", "BatchNorm1d", "MLP", "LayerNorm"])


@settings(max_examples=40, deadline=None)
@given(kind=LAYERS, a=st.integers(1, 6), b=st.integers(1, 6), k=st.integers(1, 3))
def test_the_architecture_bound_never_exceeds_the_real_parameter_count(kind, a, b, k):
    make = {
        "Linear": lambda: gk.nn.Linear(a, b), "Conv2d": lambda: gk.nn.Conv2d(a, b, k),
        "Embedding": lambda: gk.nn.Embedding(a, b), "LSTM": lambda: gk.nn.LSTM(a, b),
        "GRU": lambda: gk.nn.GRU(a, b), "RNN": lambda: gk.nn.RNN(a, b), "BatchNorm1d": lambda: gk.nn.BatchNorm1d(a),
        "MLP": lambda: gk.models.MLP([a, b, k]), "LayerNorm": lambda: gk.nn.LayerNorm(a),
    }[kind]
    m = make()
    spec = {"class": type(m).__name__, "config": json.loads(json.dumps(m.get_config()))}
    stored = sum(int(v.numpy().size) for v in m.state_dict().values())
    assert 0 < parameter_lower_bound(spec) <= stored


def test_duplicate_metadata_key_is_refused(tmp_path):
    gk.save({"w": gk.ones(2)}, tmp_path / "a.safetensors")
    data = (tmp_path / "a.safetensors").read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = data[8:8 + n].decode()
    forged = header.rstrip()[:-1] + ',"__metadata__":{"x":"y"}}'
    path = tmp_path / "dup.safetensors"
    path.write_bytes(_raw_file(forged.encode(), data[8 + n:]))
    with pytest.raises(CheckpointError, match="duplicate key '__metadata__'"):
        gk.load(path)


def test_deeply_nested_header_is_refused(tmp_path):
    path = tmp_path / "deep.safetensors"
    path.write_bytes(_raw_file(b'{"__metadata__":{"a":"b"},"x":' + b"[" * 100000 + b"]" * 100000 + b"}"))
    with pytest.raises(CheckpointError, match="nested deeper"):
        gk.load(path)


def test_deeply_nested_checkpoint_tree_is_refused(tmp_path):
    value = 0
    for _ in range(300):
        value = [value]
    path = tmp_path / "c.safetensors"
    gk.io.save_checkpoint(path, extra=value)
    with pytest.raises(CheckpointError, match="nested deeper"):
        gk.io.load_checkpoint(path)


def test_named_pipe_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.safetensors"
    os.mkfifo(fifo)
    t = time.perf_counter()
    for fn in (gk.load, gk.load_model, gk.io.load_checkpoint, gk.io.load_metadata):
        with pytest.raises(CheckpointError, match="not a regular file"):
            fn(fifo)
    assert time.perf_counter() - t < 1.0


def test_device_file_is_refused():
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    with pytest.raises(CheckpointError, match="not a regular file"):
        gk.load("/dev/zero")


@pytest.mark.parametrize("mutate, match", [
    (lambda tree: '{"dict":5}', "corrupt checkpoint structure"),
    (lambda tree: '{"dict":[["model",{"tensor":"nope"}]]}', "does not contain"),
])
def test_malformed_checkpoint_tree_is_a_checkpoint_error(tmp_path, mutate, match):
    path = tmp_path / "c.safetensors"
    gk.io.save_checkpoint(path, model=gk.nn.Linear(2, 1), epoch=1)
    raw = _format.read(path)
    meta = {k: v for k, v in raw.metadata.items() if k in (_format.KEY_KIND, _format.KEY_TREE)}
    meta[_format.KEY_TREE] = mutate(meta[_format.KEY_TREE])
    path.write_bytes(bytes(_format.encode(dict(raw.arrays), meta)))
    with pytest.raises(CheckpointError, match=match):
        gk.io.load_checkpoint(path)


# ---------------------------------------------------------------- killed writes leave no litter
def test_stale_temporaries_of_a_killed_write_are_removed_on_the_next_write(tmp_path):
    path = tmp_path / "model.safetensors"
    dead = tmp_path / ".model.safetensors.999999999-0123456789ab.tmp"  # no such process
    old = tmp_path / f".model.safetensors.{os.getppid()}-0123456789ab.tmp"  # alive but an hour old
    fresh = tmp_path / f".model.safetensors.{os.getppid()}-ba9876543210.tmp"  # alive and recent: kept
    other = tmp_path / ".other.safetensors.999999999-0123456789ab.tmp"  # another file's: kept
    foreign = tmp_path / "notes.tmp"
    for p in (dead, old, fresh, other, foreign):
        p.write_bytes(b"x" * 1000)
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    gk.save({"w": gk.ones(3)}, path)
    assert not dead.exists() and not old.exists()
    assert fresh.exists() and other.exists() and foreign.exists()
    assert gk.load(path)["w"].tolist() == [1.0, 1.0, 1.0]


# ---------------------------------------------------------------- saving as PyTorch users write it
def test_save_and_load_through_file_objects():
    buf = io.BytesIO()
    gk.save({"w": gk.arange(4.0)}, buf)
    buf.seek(0)
    assert gk.load(buf)["w"].tolist() == [0.0, 1.0, 2.0, 3.0]


def test_tensors_and_nested_containers_round_trip(tmp_path):
    obj = {"step": 3, "betas": (0.9, 0.99), "m": [gk.ones(2), np.zeros((2, 2))], 1: {"x": gk.tensor([1.0])}}
    buf = io.BytesIO()
    gk.save(obj, buf)
    got = gk.load(io.BytesIO(buf.getvalue()))
    assert got["step"] == 3 and got["betas"] == (0.9, 0.99) and got[1]["x"].tolist() == [1.0]
    assert isinstance(got["m"][0], gk.Tensor) and got["m"][1].shape == (2, 2)
    gk.save(gk.arange(3.0), tmp_path / "t.safetensors")
    assert gk.load(tmp_path / "t.safetensors").tolist() == [0.0, 1.0, 2.0]


def test_an_optimizer_state_dict_round_trips(tmp_path):
    net = gk.nn.Linear(3, 2)
    opt = gk.optim.Adam(net.parameters(), lr=0.01)
    net(gk.randn(4, 3)).sum().backward()
    opt.step()
    gk.save(opt.state_dict(), tmp_path / "opt.safetensors")
    opt2 = gk.optim.Adam(net.parameters(), lr=0.5)
    opt2.load_state_dict(gk.load(tmp_path / "opt.safetensors"))
    assert opt2.param_groups[0]["lr"] == 0.01


def test_pt_suffix_gets_safetensors_and_one_warning(tmp_path, monkeypatch):
    from gradkit.io import checkpoint

    monkeypatch.setattr(checkpoint, "_warned_torch_suffix", False)
    net = gk.nn.Sequential(gk.nn.Linear(2, 3), gk.nn.ReLU(), gk.nn.Linear(3, 1))
    with pytest.warns(UserWarning, match="safetensors.*never a pickle"):
        gk.save(net, tmp_path / "net.pt")
    gk.save(net, tmp_path / "net2.pth")  # said once: no second warning (warnings are errors in the tests)
    twin = gk.load_model(tmp_path / "net.pt")
    x = gk.randn(4, 2)
    assert (twin(x) == net(x)).all()
    assert (tmp_path / "net.pt").read_bytes()[8:9] == b"{"


def test_torch_pickle_is_named(tmp_path):
    p = tmp_path / "m.pt"
    p.write_bytes(b"PK\x03\x04" + bytes(60))
    with pytest.raises(CheckpointError, match="PyTorch pickle"):
        gk.load(p)


@pytest.mark.slow
def test_sigkill_during_a_write_keeps_the_old_file_and_the_next_write_cleans_up(tmp_path):
    import signal
    import subprocess
    import sys
    import textwrap

    path = tmp_path / "big.safetensors"
    gk.save({"w": gk.zeros(4)}, path)
    script = tmp_path / "writer.py"
    script.write_text(textwrap.dedent(f"""
        import numpy as np, gradkit as gk
        from gradkit.io import _format
        real = _format._write_payload
        def slow(f, payload):  # write the first half, flush it, then hang: the kill lands mid-write
            mv = memoryview(payload)
            f.write(mv[: len(mv) // 2]); f.flush()
            print("writing", flush=True)
            import time; time.sleep(60)
        _format._write_payload = slow
        gk.save({{"w": np.ones(4 << 20, np.float32)}}, {str(path)!r})
    """))
    root = os.path.join(os.path.dirname(__file__), "..", "..", "src")
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                            env=dict(os.environ, PYTHONPATH=root))
    assert proc.stdout.readline().strip() == b"writing"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    litter = [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
    assert litter and os.path.getsize(tmp_path / litter[0]) > 1 << 20  # a killed process cannot clean up
    assert gk.load(path)["w"].tolist() == [0.0] * 4  # the previous file is intact
    gk.save({"w": gk.ones(2)}, path)  # the next write removes the dead writer's temporary
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
