"""gradkit.utils.data: torch's import path for gk.data; samplers, batch samplers and the DataLoader
options of torch.utils.data, compared with torch where the result is deterministic."""

import numpy as np
import pytest

import gradkit as gk
from gradkit.utils import data as U


def test_one_implementation_two_import_paths():
    from gradkit.utils.data import DataLoader

    assert DataLoader is gk.data.DataLoader
    for name in U.__all__:
        assert getattr(U, name) is getattr(gk.data, name), name
    assert gk.utils.data is U


def _ds(n=10):
    return U.TensorDataset(np.arange(n, dtype=np.float32).reshape(n, 1), np.arange(n))


def test_samplers():
    ds = _ds(10)
    assert list(U.SequentialSampler(ds)) == list(range(10))
    perm = list(U.RandomSampler(ds, generator=gk.Generator(0)))
    assert sorted(perm) == list(range(10)) and perm != list(range(10))
    draws = list(U.RandomSampler(ds, replacement=True, num_samples=25, generator=gk.Generator(0)))
    assert len(draws) == 25 and all(0 <= d < 10 for d in draws)
    longer = list(U.RandomSampler(ds, num_samples=15, generator=gk.Generator(0)))
    assert len(longer) == 15 and sorted(longer[:10]) == list(range(10))
    sub = list(U.SubsetRandomSampler([2, 4, 6], generator=gk.Generator(1)))
    assert sorted(sub) == [2, 4, 6]
    w = U.WeightedRandomSampler([1.0, 0.0, 3.0], num_samples=4000, generator=gk.Generator(2))
    counts = np.bincount(list(w), minlength=3)
    assert counts[1] == 0 and 0.7 < counts[2] / 4000 < 0.8
    assert sorted(U.WeightedRandomSampler([1, 1, 1, 0], 3, replacement=False, generator=gk.Generator(0))) == [0, 1, 2]
    with pytest.raises(ValueError, match="without replacement"):
        U.WeightedRandomSampler([1, 0], 2, replacement=False)
    with pytest.raises(ValueError, match="not all zero"):
        U.WeightedRandomSampler([0, 0], 2)
    with pytest.raises(TypeError, match="gradkit.Generator"):
        U.RandomSampler(ds, generator=np.random.default_rng(0))


def test_batch_sampler_and_lengths_match_torch():
    torch = pytest.importorskip("torch")
    tu = torch.utils.data
    for n, bs, drop in [(10, 3, False), (10, 3, True), (9, 3, True), (1, 4, False)]:
        assert list(U.BatchSampler(range(n), bs, drop)) == list(tu.BatchSampler(range(n), bs, drop))
        assert len(U.BatchSampler(range(n), bs, drop)) == len(tu.BatchSampler(range(n), bs, drop))
        tds = tu.TensorDataset(torch.arange(n))
        assert len(U.DataLoader(_ds(n), batch_size=bs, drop_last=drop)) == len(tu.DataLoader(tds, batch_size=bs,
                                                                                              drop_last=drop))
    # without shuffling, the batches are torch's
    tl = tu.DataLoader(tu.TensorDataset(torch.arange(10)), batch_size=4)
    gl = U.DataLoader(_ds(10), batch_size=4)
    assert [y.tolist() for _, y in gl] == [b[0].tolist() for b in tl]


def test_loader_with_sampler_batch_sampler_and_no_batching():
    ds = _ds(10)
    got = [y.tolist() for _, y in U.DataLoader(ds, batch_size=2, sampler=U.SubsetRandomSampler([1, 3, 5],
                                                                                                  generator=gk.Generator(0)))]
    assert sorted(sum(got, [])) == [1, 3, 5] and [len(b) for b in got] == [2, 1]
    bsamp = U.BatchSampler(U.SequentialSampler(ds), batch_size=4, drop_last=True)
    loader = U.DataLoader(ds, batch_sampler=bsamp)
    assert [y.tolist() for _, y in loader] == [[0, 1, 2, 3], [4, 5, 6, 7]] and len(loader) == 2
    custom = U.DataLoader(ds, batch_sampler=[[9, 0], [5]])
    assert [y.tolist() for _, y in custom] == [[9, 0], [5]]
    single = list(U.DataLoader(ds, batch_size=None))
    assert len(single) == 10 and single[3][1].item() == 3 and tuple(single[3][0].shape) == (1,)
    with pytest.raises(ValueError, match="mutually exclusive"):
        U.DataLoader(ds, sampler=U.SequentialSampler(ds), shuffle=True)
    with pytest.raises(ValueError, match="mutually exclusive"):
        U.DataLoader(ds, batch_sampler=bsamp, batch_size=3)
    assert isinstance(U.DataLoader(ds, shuffle=True).sampler, U.RandomSampler)
    assert isinstance(U.DataLoader(ds).batch_sampler, U.BatchSampler)


@pytest.mark.parametrize("make", [
    lambda ds, g: U.RandomSampler(ds, generator=g),
    lambda ds, g: U.RandomSampler(ds, replacement=True, num_samples=13, generator=g),
    lambda ds, g: U.SubsetRandomSampler(range(0, 20, 2), generator=g),
    lambda ds, g: U.WeightedRandomSampler(np.linspace(0.1, 1, 20), 17, generator=g),
], ids=["random", "replacement", "subset", "weighted"])
def test_exact_resume_with_samplers(make):
    def loader():
        ds = _ds(20)
        return U.DataLoader(ds, batch_size=3, sampler=make(ds, gk.Generator(7)))

    ref = loader()
    full = [[y.tolist() for _, y in ref] for _ in range(2)]
    run = loader()
    it = iter(run)
    head = [next(it)[1].tolist() for _ in range(2)]
    state = run.state_dict()
    again = loader()
    again.load_state_dict(state)
    tail = [y.tolist() for _, y in again]
    assert head + tail == full[0]
    assert [y.tolist() for _, y in again] == full[1]


def test_random_split_lengths_fractions_and_generator():
    ds = _ds(10)
    a, b = U.random_split(ds, [7, 3], generator=gk.Generator(0))
    c, d = U.random_split(ds, [0.7, 0.3], generator=gk.Generator(0))
    assert a.indices.tolist() == c.indices.tolist() and len(b) == len(d) == 3
    parts = U.random_split(ds, [0.5, 0.3, 0.2])
    assert sorted(np.concatenate([p.indices for p in parts]).tolist()) == list(range(10))


def test_a_torch_style_training_script_runs():
    """Written as for PyTorch, with gradkit's names."""
    from gradkit.utils.data import DataLoader, TensorDataset, random_split

    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 4)).astype(np.float32)
    y = (X[:, 0] - X[:, 1] > 0).astype(np.int64)
    train, val = random_split(TensorDataset(gk.tensor(X), gk.tensor(y)), [0.8, 0.2], generator=gk.Generator(0))
    train_loader = DataLoader(train, batch_size=32, shuffle=True, num_workers=2, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val, batch_size=64)
    model = gk.nn.Sequential(gk.nn.Linear(4, 16), gk.nn.ReLU(), gk.nn.Linear(16, 2))
    opt = gk.optim.Adam(model.parameters(), lr=0.05)
    loss_fn = gk.nn.CrossEntropyLoss()
    for _ in range(10):
        model.train()
        for xb, yb in train_loader:
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
    model.eval()
    with gk.no_grad():
        correct = sum(int((model(xb).argmax(1) == yb).sum()) for xb, yb in val_loader)
    assert correct / len(val) > 0.9
