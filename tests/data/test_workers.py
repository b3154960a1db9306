"""DataLoader(num_workers=N): parallel loading in worker processes, in order, reproducible,
resumable, with worker info, init functions, errors and lifetimes handled."""

import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import gradkit as gk
from gradkit.data import DataLoader, Dataset, IterableDataset, TensorDataset, get_worker_info


class Plain(Dataset):
    """A per-sample dataset without randomness (Python work in __getitem__)."""

    def __init__(self, n=37):
        self.x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i] * 2, i


class Augmented(Plain):
    """Random noise from gradkit's global generator: an augmentation."""

    def __getitem__(self, i):
        return self.x[i] + gk.randn(3).numpy(), i


class WhoAmI(Plain):
    def __getitem__(self, i):
        info = get_worker_info()
        return np.array([info.id, info.num_workers, os.getpid()]), i


def _epochs(loader, n=2):
    return [[tuple(t.numpy().copy() for t in batch) for batch in loader] for _ in range(n)]


def _same(a, b):
    assert len(a) == len(b)
    for ea, eb in zip(a, b):
        assert len(ea) == len(eb)
        for ba, bb in zip(ea, eb):
            for x, y in zip(ba, bb):
                np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("num_workers", [1, 3])
def test_workers_give_the_batches_of_the_main_process(num_workers):
    def make(nw):
        return DataLoader(Plain(), batch_size=5, shuffle=True, generator=gk.Generator(3), num_workers=nw)

    _same(_epochs(make(0)), _epochs(make(num_workers)))
    assert len(make(num_workers)) == 8


def test_augmentation_in_workers_is_reproducible_and_independent_of_worker_count():
    def run(nw, seed=0, **kw):
        gk.manual_seed(seed)
        return _epochs(DataLoader(Augmented(), batch_size=4, shuffle=True, num_workers=nw, **kw))

    one = run(1)
    _same(one, run(3))
    _same(one, run(2, persistent_workers=True, prefetch_factor=1))
    other = run(2, seed=1)
    assert not np.array_equal(one[0][0][0], other[0][0][0])
    # the two epochs draw different noise for the same sample
    first = {int(i): x for x, ids in one[0] for x, i in zip(x, ids)}
    second = {int(i): x for x, ids in one[1] for x, i in zip(x, ids)}
    assert not np.array_equal(first[0], second[0])


def test_exact_resume_mid_epoch_with_workers():
    gk.manual_seed(5)
    ref_loader = DataLoader(Augmented(), batch_size=4, shuffle=True, num_workers=2)
    ref = _epochs(ref_loader, 2)
    gk.manual_seed(5)
    loader = DataLoader(Augmented(), batch_size=4, shuffle=True, num_workers=2)
    it = iter(loader)
    done = [tuple(t.numpy().copy() for t in next(it)) for _ in range(3)]
    state = loader.state_dict()
    rng = gk.random.get_rng_state()
    del it
    assert state["in_epoch"] and state["batch"] == 3 and isinstance(state["worker_seed"], int)
    fresh = DataLoader(Augmented(), batch_size=4, shuffle=True, num_workers=3)  # the worker count may change
    fresh.load_state_dict(state)
    gk.random.set_rng_state(rng)
    rest = _epochs(fresh, 1)[0]
    later = _epochs(fresh, 1)
    _same([done + rest], ref[:1])
    _same(later, ref[1:])


def test_worker_info_init_fn_and_persistent_workers():
    assert get_worker_info() is None
    loader = DataLoader(WhoAmI(12), batch_size=2, num_workers=3, persistent_workers=True,
                        worker_init_fn=lambda wid: np.random.seed(wid))
    pids = []
    for _ in range(2):
        batches = [x.numpy() for x, _ in loader]
        ids = [int(b[0, 0]) for b in batches]
        assert ids == [0, 1, 2, 0, 1, 2]  # batch b is loaded by worker b % 3
        assert all(int(b[0, 1]) == 3 for b in batches)
        pids.append(sorted({int(b[0, 2]) for b in batches}))
    assert pids[0] == pids[1] and os.getpid() not in pids[0]  # the same processes both epochs


class Shards(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))


def test_iterable_dataset_sharded_over_workers():
    assert [b.tolist() for (b,) in DataLoader(Shards(7), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    batches = [b.tolist() for (b,) in DataLoader(Shards(11), batch_size=2, num_workers=2)]
    # round robin: worker 0 holds 0,2,4..., worker 1 holds 1,3,5...
    assert batches == [[0, 2], [1, 3], [4, 6], [5, 7], [8, 10], [9]]
    assert sorted(sum(batches, [])) == list(range(11))
    assert [b.tolist() for (b,) in DataLoader(Shards(5), batch_size=2, drop_last=True)] == [[0, 1], [2, 3]]
    assert [int(b) for b in DataLoader(Shards(3), batch_size=None)] == [0, 1, 2]  # no batching, as torch
    with pytest.raises(ValueError, match="IterableDataset"):
        DataLoader(Shards(3), shuffle=True)


class Broken(Plain):
    def __getitem__(self, i):
        if i == 6:
            raise KeyError("sample 6 is missing")
        return super().__getitem__(i)


def test_worker_error_is_raised_in_the_main_process():
    with pytest.raises(RuntimeError, match="(?s)DataLoader worker.*KeyError.*sample 6 is missing"):
        list(DataLoader(Broken(), batch_size=2, num_workers=2))
    with pytest.raises(RuntimeError, match="worker_init_fn failed"):
        list(DataLoader(Plain(), batch_size=2, num_workers=1, worker_init_fn=lambda w: 1 / 0))


class Killer(Plain):
    def __getitem__(self, i):
        if i == 9:
            os._exit(3)
        return super().__getitem__(i)


def test_a_dead_worker_is_reported():
    with pytest.raises(RuntimeError, match="exited unexpectedly.*exit code 3"):
        list(DataLoader(Killer(), batch_size=2, num_workers=2))


class Slow(Plain):
    def __getitem__(self, i):
        time.sleep(1.0)
        return super().__getitem__(i)


def test_timeout_and_option_checks():
    with pytest.raises(RuntimeError, match="timed out after 0.3 seconds"):
        list(DataLoader(Slow(4), batch_size=2, num_workers=1, timeout=0.3))
    with pytest.raises(ValueError, match="num_workers > 0"):
        DataLoader(Plain(), prefetch_factor=2)
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(Plain(), num_workers=-1)
    loader = DataLoader(Plain(), batch_size=4, pin_memory=True, pin_memory_device="", in_order=True)
    assert loader.pin_memory  # accepted: a no-op on the CPU
    assert len(list(loader)) == 10


def test_threads_and_fast_path():
    _same(_epochs(DataLoader(Plain(), batch_size=5, num_workers=2, multiprocessing_context="thread")),
          _epochs(DataLoader(Plain(), batch_size=5)))
    X = np.arange(40, dtype=np.float32).reshape(20, 2)
    fast = DataLoader(TensorDataset(X, np.arange(20)), batch_size=6, shuffle=True, generator=gk.Generator(1),
                      num_workers=2)
    ref = DataLoader(TensorDataset(X, np.arange(20)), batch_size=6, shuffle=True, generator=gk.Generator(1))
    _same(_epochs(fast), _epochs(ref))


@pytest.mark.slow
def test_workers_die_with_their_parent(tmp_path):
    script = textwrap.dedent("""
        import os, sys, time
        import numpy as np
        from gradkit.data import DataLoader, Dataset

        class D(Dataset):
            def __len__(self): return 1000
            def __getitem__(self, i):
                return np.array([os.getpid()]), i

        it = iter(DataLoader(D(), batch_size=1, num_workers=2, persistent_workers=True))
        pids = {int(next(it)[0][0, 0]) for _ in range(4)}
        print(" ".join(map(str, sorted(pids))), flush=True)
        os.kill(os.getpid(), 9)
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    pids = [int(p) for p in out.stdout.split()]
    assert len(pids) == 2, out.stderr
    deadline = time.time() + 10
    alive = pids
    while alive and time.time() < deadline:
        time.sleep(0.2)
        alive = [p for p in pids if _alive(p)]
    assert not alive, f"orphaned workers {alive}"


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


class Pairs(Augmented):
    def __getitem__(self, i):
        x, _ = super().__getitem__(i)
        return x.astype(np.float32), i % 2


def test_fit_with_workers_resumes_exactly(tmp_path):
    def run(epochs, **kw):
        gk.manual_seed(2)
        net = gk.nn.Sequential(gk.nn.Linear(3, 4), gk.nn.ReLU(), gk.nn.Linear(4, 2))
        loader = DataLoader(Pairs(30), batch_size=4, shuffle=True, num_workers=2)
        if "resume" in kw:
            gk.manual_seed(2)
            net = gk.nn.Sequential(gk.nn.Linear(3, 4), gk.nn.ReLU(), gk.nn.Linear(4, 2))
        gk.train.fit(net, "cross_entropy", gk.optim.Adam(net.parameters(), lr=0.01), loader, epochs=epochs,
                     verbose=0, **kw)
        return net

    ref = run(3)
    ck = tmp_path / "ck.safetensors"
    run(1, checkpoint=ck)
    got = run(3, resume=ck)
    for p, q in zip(ref.parameters(), got.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


@pytest.mark.parametrize("steps_per_epoch", [None, 5])
def test_fit_with_workers_killed_mid_epoch_resumes_exactly(tmp_path, steps_per_epoch, capsys):
    def setup(seed=2):
        gk.manual_seed(seed)
        net = gk.nn.Sequential(gk.nn.Linear(3, 4), gk.nn.ReLU(), gk.nn.Linear(4, 2))
        loader = DataLoader(Pairs(30), batch_size=4, shuffle=True, num_workers=2)
        return net, gk.optim.Adam(net.parameters(), lr=0.01), loader

    kw = dict(epochs=3, verbose=0, steps_per_epoch=steps_per_epoch)
    net, opt, loader = setup()
    gk.train.fit(net, "cross_entropy", opt, loader, **kw)
    ref = [p.numpy().copy() for p in net.parameters()]

    class Kill(gk.train.callbacks.Callback):
        def on_batch_begin(self, batch, logs=None):
            if self.trainer.epoch == 1 and batch == 3:
                raise KeyboardInterrupt

    ck = tmp_path / "ck.safetensors"
    net, opt, loader = setup()
    part = gk.train.fit(net, "cross_entropy", opt, loader, checkpoint=ck, callbacks=[Kill()], **kw)
    assert part.interrupted
    net, opt, loader = setup(seed=9)
    gk.train.fit(net, "cross_entropy", opt, loader, resume=ck, **kw)
    for p, r in zip(net.parameters(), ref):
        np.testing.assert_array_equal(p.numpy(), r)
