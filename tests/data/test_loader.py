"""DataLoader: batching, shuffling, drop_last, len, reproducibility and exact resume."""

import json

import numpy as np
import pytest

import gradkit as gk
from gradkit.data import ConcatDataset, DataLoader, Dataset, Subset, TensorDataset, default_collate


def _ds(n=10, d=3, dtype=np.float32):
    X = np.arange(n * d, dtype=dtype).reshape(n, d)
    y = np.arange(n, dtype=np.int64)
    return TensorDataset(X, y)


def _labels(loader):
    return [yb.numpy().tolist() for _, yb in loader]


class PyListDataset(Dataset):
    """A dataset without get_batch: exercises the per-sample path."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.full(2, float(i), dtype=np.float32), i


def test_tensor_dataset_checks_first_dimension():
    with pytest.raises(ValueError, match=r"same first dimension.*\(4, 2\).*\(3,\)"):
        TensorDataset(np.zeros((4, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()
    ds = TensorDataset(gk.tensor([[1.0, 2.0], [3.0, 4.0]]), [0, 1])
    assert len(ds) == 2 and ds[1][0].tolist() == [3.0, 4.0]


def test_batches_in_order_with_last_partial_batch():
    loader = DataLoader(_ds(10), batch_size=4)
    assert len(loader) == 3
    batches = list(loader)
    assert [tuple(b[0].shape) for b in batches] == [(4, 3), (4, 3), (2, 3)]
    assert all(isinstance(t, gk.Tensor) for b in batches for t in b)
    assert _labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert batches[0][0].dtype == np.float32 and batches[0][1].dtype == np.int64


def test_float64_stays_float64_and_batches_are_copies():
    ds = _ds(6, dtype=np.float64)
    xb, _ = next(iter(DataLoader(ds, batch_size=3)))
    assert xb.dtype == np.float64
    xb.array[:] = -1.0  # must not write through to the dataset
    assert ds.arrays[0].min() >= 0


def test_drop_last():
    loader = DataLoader(_ds(10), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert _labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(_ds(8), batch_size=4, drop_last=True)) == 2
    assert len(DataLoader(_ds(3), batch_size=4, drop_last=True)) == 0
    assert list(DataLoader(_ds(3), batch_size=4, drop_last=True)) == []


def test_shuffle_is_a_permutation_each_epoch_and_differs_between_epochs():
    loader = DataLoader(_ds(50), batch_size=7, shuffle=True, generator=gk.Generator(1))
    e1 = np.concatenate(_labels(loader))
    e2 = np.concatenate(_labels(loader))
    assert sorted(e1.tolist()) == list(range(50)) and sorted(e2.tolist()) == list(range(50))
    assert not np.array_equal(e1, np.arange(50))
    assert not np.array_equal(e1, e2)


def test_shuffle_reproducible_with_seed_and_global_generator():
    a = _labels(DataLoader(_ds(30), batch_size=8, shuffle=True, generator=gk.Generator(5)))
    b = _labels(DataLoader(_ds(30), batch_size=8, shuffle=True, generator=gk.Generator(5)))
    c = _labels(DataLoader(_ds(30), batch_size=8, shuffle=True, generator=gk.Generator(6)))
    assert a == b and a != c
    gk.manual_seed(3)
    g1 = _labels(DataLoader(_ds(30), batch_size=8, shuffle=True))
    gk.manual_seed(3)
    g2 = _labels(DataLoader(_ds(30), batch_size=8, shuffle=True))
    assert g1 == g2


def test_shuffle_never_touches_numpy_global_rng():
    state = np.random.get_state()[1].copy()
    list(DataLoader(_ds(30), batch_size=8, shuffle=True))
    assert np.array_equal(np.random.get_state()[1], state)


@pytest.mark.parametrize("own_generator", [True, False])
@pytest.mark.parametrize("drop_last", [False, True])
def test_exact_resume_mid_epoch(own_generator, drop_last):
    def make():
        return DataLoader(_ds(23), batch_size=4, shuffle=True, drop_last=drop_last,
                          generator=gk.Generator(7) if own_generator else None)

    gk.manual_seed(11)
    ref = make()
    full = [_labels(ref) for _ in range(3)]  # three uninterrupted epochs

    gk.manual_seed(11)
    run = make()
    _labels(run)  # epoch 0 done
    it = iter(run)
    got = [next(it)[1].numpy().tolist() for _ in range(2)]  # two batches of epoch 1
    saved = json.loads(json.dumps(run.state_dict()))  # plain numbers only
    global_rng = gk.get_rng_state()
    assert saved["epoch"] == 1 and saved["batch"] == 2 and saved["in_epoch"]

    gk.manual_seed(999)  # a fresh process: different global state until restored
    resumed = make()
    if own_generator:
        resumed.generator.manual_seed(12345)
    gk.set_rng_state(global_rng)  # the training checkpoint restores the global RNG
    resumed.load_state_dict(saved)
    rest = _labels(resumed)
    assert got + rest == full[1]
    assert rest == full[1][2:]
    assert _labels(resumed) == full[2]  # and the next epoch continues identically
    assert resumed.epoch == 3


def test_resume_after_last_batch_and_between_epochs():
    loader = DataLoader(_ds(8), batch_size=4, shuffle=True, generator=gk.Generator(0))
    ref = DataLoader(_ds(8), batch_size=4, shuffle=True, generator=gk.Generator(0))
    full = [_labels(ref) for _ in range(2)]
    it = iter(loader)
    next(it), next(it)  # all batches handed out, StopIteration not reached yet
    st = loader.state_dict()
    other = DataLoader(_ds(8), batch_size=4, shuffle=True, generator=gk.Generator(0))
    other.load_state_dict(st)
    assert _labels(other) == []  # nothing left in that epoch
    assert _labels(other) == full[1]
    between = DataLoader(_ds(8), batch_size=4, shuffle=True, generator=gk.Generator(0))
    _labels(between)
    st = between.state_dict()
    assert not st["in_epoch"] and st["epoch"] == 1
    fresh = DataLoader(_ds(8), batch_size=4, shuffle=True, generator=gk.Generator(0))
    fresh.load_state_dict(st)
    assert _labels(fresh) == full[1]


def test_resume_without_shuffle_and_mismatch_errors():
    loader = DataLoader(_ds(10), batch_size=3)
    it = iter(loader)
    next(it)
    st = loader.state_dict()
    other = DataLoader(_ds(10), batch_size=3)
    other.load_state_dict(st)
    assert _labels(other) == [[3, 4, 5], [6, 7, 8], [9]]
    with pytest.raises(ValueError, match="batch_size: saved 3, this loader 4"):
        DataLoader(_ds(10), batch_size=4).load_state_dict(st)
    with pytest.raises(ValueError, match="num_samples"):
        DataLoader(_ds(11), batch_size=3).load_state_dict(st)
    with pytest.raises(KeyError, match="missing"):
        DataLoader(_ds(10), batch_size=3).load_state_dict({"epoch": 0})


def test_break_starts_a_new_epoch_not_a_resume():
    loader = DataLoader(_ds(10), batch_size=3)
    for _ in loader:
        break
    assert _labels(loader) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert loader.epoch == 2


def test_per_sample_path_and_collate():
    loader = DataLoader(PyListDataset(5), batch_size=2)
    batches = list(loader)
    assert len(batches) == 3 == len(loader)
    xb, yb = batches[0]
    assert xb.shape == (2, 2) and xb.dtype == np.float32 and yb.dtype == np.int64
    assert yb.tolist() == [0, 1] and batches[-1][1].tolist() == [4]
    shuffled = DataLoader(PyListDataset(9), batch_size=4, shuffle=True, generator=gk.Generator(2))
    fast = DataLoader(TensorDataset(np.zeros(9), np.arange(9)), batch_size=4, shuffle=True, generator=gk.Generator(2))
    assert _labels(shuffled) == _labels(fast)  # the same order on both paths
    custom = DataLoader(PyListDataset(4), batch_size=2, collate_fn=lambda s: len(s))
    assert list(custom) == [2, 2]


def test_default_collate_structures():
    out = default_collate([{"a": 1.0, "b": np.zeros(2)}, {"a": 2.0, "b": np.ones(2)}])
    assert out["a"].dtype == np.float32 and out["b"].shape == (2, 2)
    with pytest.raises(ValueError, match="empty"):
        default_collate([])


def test_subset_and_concat_use_fast_path():
    ds = _ds(10)
    sub = Subset(ds, [9, 1, 5])
    assert _labels(DataLoader(sub, batch_size=2)) == [[9, 1], [5]]
    cat = ConcatDataset([_ds(3), _ds(2)])
    assert len(cat) == 5 and int(cat[3][1]) == 0
    assert _labels(DataLoader(cat, batch_size=5)) == [[0, 1, 2, 0, 1]]


def test_bad_arguments():
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(_ds(), batch_size=0)
    with pytest.raises(TypeError, match="gradkit.Generator"):
        DataLoader(_ds(), generator=np.random.default_rng(0))
    with pytest.raises(TypeError, match="__getitem__"):
        DataLoader(5)
