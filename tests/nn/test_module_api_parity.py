"""Module API beside PyTorch's: hooks (forward pre/post with kwargs, full backward, global), buffers, traversal, casts."""

import numpy as np
import pytest

import gradkit as gk
from gradkit.nn import module as gk_module


def _pair(torch, seed=0):
    ours = gk.nn.Sequential(gk.nn.Linear(3, 4), gk.nn.Tanh(), gk.nn.Linear(4, 2)).double()
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(seed).standard_normal((5, 3))
    return ours, theirs, x


def test_full_backward_hooks_see_torchs_gradients():
    torch = pytest.importorskip("torch")
    ours, theirs, x = _pair(torch)
    seen_o, seen_t = [], []
    for m, seen in ((ours[2], seen_o), (theirs[2], seen_t)):
        m.register_full_backward_pre_hook(lambda mod, go, seen=seen: seen.append(("pre", [g.detach().numpy().copy() for g in go])))
        m.register_full_backward_hook(
            lambda mod, gi, go, seen=seen: seen.append(("full", [g.detach().numpy().copy() for g in gi],
                                                        [g.detach().numpy().copy() for g in go])))
    xo, xt = gk.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (ours(xo) ** 2).sum().backward()
    (theirs(xt) ** 2).sum().backward()
    assert [s[0] for s in seen_o] == [s[0] for s in seen_t] == ["pre", "full"]
    np.testing.assert_allclose(seen_o[0][1][0], seen_t[0][1][0])
    np.testing.assert_allclose(seen_o[1][1][0], seen_t[1][1][0])
    np.testing.assert_allclose(seen_o[1][2][0], seen_t[1][2][0])
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy())


def test_backward_hooks_replace_gradients_like_torch():
    torch = pytest.importorskip("torch")
    ours, theirs, x = _pair(torch, 1)
    for m in (ours[2], theirs[2]):
        m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 3,))
    for m in (ours[0], theirs[0]):
        m.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 0.5,))
    xo, xt = gk.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours(xo).sum().backward()
    theirs(xt).sum().backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy())
    for (k, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), err_msg=k)


def test_backward_hook_fires_when_inputs_need_no_grad():
    lin = gk.nn.Linear(3, 2)
    seen = []
    lin.register_full_backward_hook(lambda m, gi, go: seen.append((gi, go[0].shape)))
    lin(gk.ones(4, 3)).sum().backward()
    assert seen == [((None,), (4, 2))]
    with gk.no_grad():
        lin(gk.ones(4, 3))
    assert len(seen) == 1


def test_backward_hooks_on_tuple_outputs_and_removal():
    lstm = gk.nn.LSTM(3, 4, batch_first=True)
    seen = []
    h = lstm.register_full_backward_hook(lambda m, gi, go: seen.append(len(go)))
    out, (hn, cn) = lstm(gk.randn(2, 5, 3, requires_grad=True))
    (out.sum() + hn.sum()).backward()
    assert seen == [3]
    h.remove()
    out, _ = lstm(gk.randn(2, 5, 3, requires_grad=True))
    out.sum().backward()
    assert seen == [3]


def test_forward_hooks_with_kwargs_and_prepend():
    order = []

    class M(gk.nn.Module):
        def forward(self, x, scale=1.0):
            return x * scale

    m = M()
    m.register_forward_pre_hook(lambda mod, args: order.append("a"))
    m.register_forward_pre_hook(lambda mod, args: order.append("b"), prepend=True)
    m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"scale": 10.0}), with_kwargs=True)
    m.register_forward_hook(lambda mod, args, kwargs, out: out + kwargs["scale"], with_kwargs=True)
    assert m(gk.ones(2), scale=2.0).tolist() == [20.0, 20.0]
    assert order == ["b", "a"]


def test_global_hooks():
    calls = []
    net = gk.nn.Sequential(gk.nn.Linear(2, 2), gk.nn.ReLU())
    h1 = gk_module.register_module_forward_hook(lambda m, a, o: calls.append(("fwd", type(m).__name__)))
    h2 = gk_module.register_module_full_backward_hook(lambda m, gi, go: calls.append(("bwd", type(m).__name__)))
    h3 = gk_module.register_module_forward_pre_hook(lambda m, a: calls.append(("pre", type(m).__name__)))
    h4 = gk_module.register_module_full_backward_pre_hook(lambda m, go: calls.append(("bpre", type(m).__name__)))
    try:
        net(gk.ones(1, 2, requires_grad=True)).sum().backward()
    finally:
        for h in (h1, h2, h3, h4):
            h.remove()
    assert ("pre", "Sequential") in calls and ("fwd", "ReLU") in calls
    bwd = [c for c in calls if c[0] in ("bwd", "bpre")]
    assert bwd[0] == ("bpre", "Sequential") and ("bwd", "Linear") in bwd
    n = len(calls)
    net(gk.ones(1, 2))
    assert len(calls) == n


def test_state_and_traversal_api_matches_torch():
    torch = pytest.importorskip("torch")

    def build(lib):
        m = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.BatchNorm1d(2))
        m.register_buffer("scratch", lib.zeros(3), persistent=False)
        m.register_buffer("kept", lib.ones(1))
        return m

    ours, theirs = build(gk), build(torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    shared = gk.nn.Linear(2, 2)
    seq = gk.nn.Sequential(shared, shared)
    tshared = torch.nn.Linear(2, 2)
    tseq = torch.nn.Sequential(tshared, tshared)
    for rd in (True, False):
        assert [n for n, _ in seq.named_modules(remove_duplicate=rd)] == [n for n, _ in tseq.named_modules(remove_duplicate=rd)]
    assert ours.get_submodule("1") is ours[1]
    assert ours.get_parameter("0.weight") is ours[0].weight
    assert ours.get_buffer("1.running_mean") is ours[1].running_mean
    with pytest.raises(AttributeError):
        ours.get_buffer("0.weight")
    ours.half()
    assert ours[0].weight.dtype == np.float16 and ours[1].num_batches_tracked.dtype == np.int64
    ours.float()
    assert ours[0].weight.dtype == np.float32
    ours.to(np.float64)
    assert ours[0].weight.dtype == np.float64
    names = []
    ours.apply(lambda m: names.append(type(m).__name__))
    assert names == ["Linear", "BatchNorm1d", "Sequential"]
    ours.requires_grad_(False)
    assert not any(p.requires_grad for p in ours.parameters())
    ours.requires_grad_()
    ours(gk.ones(3, 2, dtype="float64")).sum().backward()
    ours.zero_grad(set_to_none=False)
    assert all(float(p.grad.abs().sum()) == 0 for p in ours.parameters())
    ours.zero_grad()
    assert all(p.grad is None for p in ours.parameters())
    assert "in_features=2" in repr(ours)


def test_parameters_to_vector_round_trip_and_clip_value():
    torch = pytest.importorskip("torch")
    net = gk.nn.Linear(3, 2)
    v = gk.nn.utils.parameters_to_vector(net.parameters())
    tnet = torch.nn.Linear(3, 2)
    tnet.load_state_dict({k: torch.tensor(x.numpy()) for k, x in net.state_dict().items()})
    np.testing.assert_allclose(v.numpy(), torch.nn.utils.parameters_to_vector(tnet.parameters()).detach().numpy())
    gk.nn.utils.vector_to_parameters(v * 2, net.parameters())
    np.testing.assert_allclose(net.weight.numpy(), tnet.weight.detach().numpy() * 2, rtol=1e-6)
    net(gk.ones(1, 3) * 100).sum().backward()
    gk.nn.utils.clip_grad_value_(net.parameters(), 0.5)
    assert float(net.weight.grad.abs().max()) <= 0.5


def test_layers_take_torchs_device_keyword():
    made = [
        gk.nn.Linear(3, 2, True, "cpu"), gk.nn.BatchNorm1d(3, device="cpu"), gk.nn.LayerNorm(3, device="cpu"),
        gk.nn.LSTM(3, 4, device="cpu"), gk.nn.GRU(3, 4, device="cpu"), gk.nn.RNN(3, 4, device="cpu"),
        gk.nn.GRUCell(3, 4, device="cpu"), gk.nn.RNNCell(3, 4, device="cpu"), gk.nn.PReLU(device="cpu"),
        gk.nn.Embedding(5, 2, device="cpu"), gk.nn.GroupNorm(1, 3, device="cpu"), gk.nn.Bilinear(2, 2, 2, device="cpu"),
    ]
    for m in made:
        assert "device" not in m.get_config(), type(m).__name__
        assert all(p.device == "cpu" for p in m.parameters())
    with pytest.raises(NotImplementedError, match="proj_size"):
        gk.nn.LSTM(3, 4, proj_size=2)
