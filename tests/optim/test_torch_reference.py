"""20 steps on random data match torch.optim for every optimizer and option combination."""

import numpy as np
import pytest

import gradkit as gk

torch = pytest.importorskip("torch")

SHAPES = [(5, 3), (3,), (4,)]

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.5, weight_decay=0.1, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.5)),
    ("Adagrad", dict(lr=0.1, eps=1e-3, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.05, maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
]


def _run_pair(name, kw, dtype, steps=20, with_groups=False):
    rng = np.random.default_rng(1)
    inits = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(steps)]
    gp = [gk.tensor(a.copy(), requires_grad=True) for a in inits]
    tp = [torch.nn.Parameter(torch.from_numpy(a.copy())) for a in inits]
    if with_groups:
        gopt = getattr(gk.optim, name)([{"params": gp[:2]}, {"params": gp[2:], "lr": kw["lr"] / 3}], **kw)
        topt = getattr(torch.optim, name)([{"params": tp[:2]}, {"params": tp[2:], "lr": kw["lr"] / 3}], **kw)
    else:
        gopt = getattr(gk.optim, name)(gp, **kw)
        topt = getattr(torch.optim, name)(tp, **kw)
    for k in range(steps):
        for p, q, g in zip(gp, tp, grads[k]):
            p.grad = gk.tensor(g.copy())
            q.grad = torch.from_numpy(g.copy())
        gopt.step()
        topt.step()
    return gp, tp, gopt, topt


@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_matches_torch_float64(name, kw):
    gp, tp, gopt, topt = _run_pair(name, kw, np.float64)
    for p, q in zip(gp, tp):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-10, atol=1e-12)
    # the state has the same names and values as torch's
    gs, ts = gopt.state_dict()["state"], topt.state_dict()["state"]
    assert set(gs) == set(ts)
    for k in ts:
        assert set(gs[k]) == set(ts[k]), (gs[k].keys(), ts[k].keys())
        for key, tv in ts[k].items():
            tv = tv.numpy() if hasattr(tv, "numpy") else tv
            np.testing.assert_allclose(np.asarray(gs[k][key], dtype=np.float64), np.asarray(tv, dtype=np.float64),
                                       rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,kw", CASES[::3], ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES[::3])])
def test_matches_torch_float32_with_groups(name, kw):
    gp, tp, _, _ = _run_pair(name, kw, np.float32, with_groups=True)
    for p, q in zip(gp, tp):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=2e-5, atol=2e-6)


def test_flat_threaded_path_matches_torch(monkeypatch):
    """Large buffers are split across threads: still torch's numbers."""
    from gradkit.optim import optimizer as optmod

    threads = gk.get_num_threads()
    gk.set_num_threads(3)
    try:
        monkeypatch.setattr(optmod, "_MIN_CHUNK", 64)
        rng = np.random.default_rng(2)
        inits = [rng.standard_normal(s) for s in [(20, 10), (10,), (7, 3)]]
        gp = [gk.tensor(a.copy(), requires_grad=True) for a in inits]
        tp = [torch.nn.Parameter(torch.from_numpy(a.copy())) for a in inits]
        gopt = gk.optim.Adam(gp, lr=0.01, amsgrad=True, weight_decay=0.1)
        topt = torch.optim.Adam(tp, lr=0.01, amsgrad=True, weight_decay=0.1)
        assert len(gopt._group_buckets(gopt.param_groups[0])[0].chunks) == 3
        for _ in range(10):
            for p, q in zip(gp, tp):
                g = rng.standard_normal(p.shape)
                p.grad = gk.tensor(g.copy())
                q.grad = torch.from_numpy(g)
            gopt.step()
            topt.step()
    finally:
        gk.set_num_threads(threads)
    for p, q in zip(gp, tp):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-10, atol=1e-12)




@pytest.mark.parametrize("line_search", [None, "strong_wolfe"])
def test_lbfgs_matches_torch(line_search):
    rng = np.random.default_rng(3)
    M = rng.standard_normal((6, 6))
    A = M @ M.T + np.eye(6)
    b = rng.standard_normal(6)
    x0 = rng.standard_normal(6)
    gx = gk.tensor(x0.copy(), requires_grad=True)
    tx = torch.nn.Parameter(torch.from_numpy(x0.copy()))
    gopt = gk.optim.LBFGS([gx], lr=0.5 if line_search is None else 1.0, history_size=4, max_iter=7,
                          line_search_fn=line_search)
    topt = torch.optim.LBFGS([tx], lr=0.5 if line_search is None else 1.0, history_size=4, max_iter=7,
                             line_search_fn=line_search)
    At, bt = torch.from_numpy(A), torch.from_numpy(b)

    def gclosure():
        gopt.zero_grad()
        loss = 0.5 * (gx * (gk.tensor(A) @ gx)).sum() - (gk.tensor(b) * gx).sum() + (gx ** 4).sum() * 0.1
        loss.backward()
        return loss

    def tclosure():
        topt.zero_grad()
        loss = 0.5 * (tx * (At @ tx)).sum() - (bt * tx).sum() + (tx ** 4).sum() * 0.1
        loss.backward()
        return loss

    for _ in range(3):
        gl = gopt.step(gclosure)
        tl = topt.step(tclosure)
        np.testing.assert_allclose(float(gl), float(tl.detach()), rtol=1e-10)
        np.testing.assert_allclose(gx.numpy(), tx.detach().numpy(), rtol=1e-9, atol=1e-11)
    gs = gopt.state_dict()["state"][0]
    ts = topt.state_dict()["state"][0]
    assert gs["func_evals"] == ts["func_evals"] and gs["n_iter"] == ts["n_iter"]


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_momentum_matches_torch_sgd_with_lr_times_one_minus_beta(weight_decay):
    """The course's v = beta v + (1 - beta) g is torch's buffer times (1 - beta)."""
    rng = np.random.default_rng(4)
    inits = [rng.standard_normal(s) for s in SHAPES]
    gp = [gk.tensor(a.copy(), requires_grad=True) for a in inits]
    tp = [torch.nn.Parameter(torch.from_numpy(a.copy())) for a in inits]
    gopt = gk.optim.Momentum(gp, lr=0.1, beta=0.9, weight_decay=weight_decay)
    topt = torch.optim.SGD(tp, lr=0.1 * (1 - 0.9), momentum=0.9, weight_decay=weight_decay)
    for _ in range(20):
        for p, q in zip(gp, tp):
            g = rng.standard_normal(p.shape)
            p.grad = gk.tensor(g.copy())
            q.grad = torch.from_numpy(g)
        gopt.step()
        topt.step()
    for p, q in zip(gp, tp):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(gopt.state[p]["velocity"], 0.1 * topt.state[q]["momentum_buffer"].numpy(),
                                   rtol=1e-10, atol=1e-12)
