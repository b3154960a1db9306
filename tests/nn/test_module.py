"""Module, Parameter and containers: registration, state_dict, modes, config capture."""

import json
from collections import OrderedDict

import numpy as np
import pytest

import gradkit as gk
from gradkit import nn
from gradkit.nn.module import MODULE_REGISTRY, functional_call, module_from_config, register_serializable


class Net(nn.Module):
    def __init__(self, n_in=4, n_hidden=5, n_out=3):
        super().__init__()
        self.fc = nn.Linear(n_in, n_hidden)
        self.bn = nn.BatchNorm1d(n_hidden)
        self.head = nn.Sequential(nn.Linear(n_hidden, n_out))
        self.register_buffer("scratch", gk.zeros(2), persistent=False)

    def forward(self, x):
        return self.head(self.bn(self.fc(x)).relu())


# ---------------------------------------------------------------- Parameter
def test_parameter_from_number_array_and_tensor():
    p = nn.Parameter(3)
    assert p.dtype == np.float32 and p.requires_grad and p.shape == ()
    a = np.ones((2, 3), dtype=np.float64)
    q = nn.Parameter(a)
    assert q.dtype == np.float64 and q.shape == (2, 3)
    t = gk.randn(4)
    r = nn.Parameter(t, requires_grad=False)
    assert not r.requires_grad and r.array is t.array
    assert isinstance(r, gk.Tensor)
    assert nn.Parameter(np.arange(3)).dtype == np.float32
    assert "Parameter containing" in repr(p)


def test_parameter_works_in_ops_and_gets_grad():
    p = nn.Parameter(np.array([1.0, 2.0], dtype=np.float32))
    (p * p).sum().backward()
    np.testing.assert_allclose(p.grad.numpy(), [2.0, 4.0])


# ---------------------------------------------------------------- registration / iteration
def test_registration_order_and_state_dict_keys():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["fc.weight", "fc.bias", "bn.weight", "bn.bias", "head.0.weight", "head.0.bias"]
    assert list(net.state_dict()) == [
        "fc.weight", "fc.bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var",
        "bn.num_batches_tracked", "head.0.weight", "head.0.bias",
    ]
    assert [n for n, _ in net.named_buffers()] == ["scratch", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"]
    assert [n for n, _ in net.named_children()] == ["fc", "bn", "head"]
    assert [n for n, _ in net.named_modules()] == ["", "fc", "bn", "head", "head.0"]
    assert len(list(net.modules())) == 5
    assert net.get_submodule("head.0") is net.head[0]
    assert net.get_parameter("fc.bias") is net.fc.bias


def test_state_dict_values_are_detached_plain_tensors():
    net = Net()
    sd = net.state_dict()
    for v in sd.values():
        assert type(v) is gk.Tensor and not v.requires_grad
    assert np.shares_memory(sd["fc.weight"].numpy(), net.fc.weight.array)
    assert sd["bn.num_batches_tracked"].dtype == np.int64


def test_shared_parameter_counted_once():
    lin = nn.Linear(3, 3)
    seq = nn.Sequential(lin, lin)
    assert len(list(seq.parameters())) == 2
    assert seq.num_parameters() == 12


def test_setattr_errors_and_reassignment():
    m = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="Parameter or None expected"):
        m.weight = gk.zeros(2, 2)
    m.bias = None
    assert "bias" not in m.state_dict()

    class NoInit(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(1.0)

    with pytest.raises(AttributeError, match=r"super\(\)\.__init__\(\) first"):
        NoInit()
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        m.nope  # noqa: B018


def test_delattr_unregisters():
    net = Net()
    del net.bn
    assert not any(k.startswith("bn.") for k in net.state_dict())


def test_forward_hooks_and_pre_hooks():
    lin = nn.Linear(2, 3)
    seen = []
    h = lin.register_forward_hook(lambda m, inp, out: seen.append((m, inp[0].shape, out.shape)))
    lin(gk.zeros(4, 2))
    assert seen == [(lin, (4, 2), (4, 3))]
    h.remove()
    lin(gk.zeros(1, 2))
    assert len(seen) == 1
    h2 = lin.register_forward_hook(lambda m, inp, out: out * 0)
    assert float(lin(gk.ones(1, 2)).abs().sum()) == 0.0
    h2.remove()
    pre = lin.register_forward_pre_hook(lambda m, inp: (inp[0] * 0,))
    np.testing.assert_allclose(lin(gk.ones(1, 2)).numpy()[0], lin.bias.numpy(), rtol=1e-6)
    pre.remove()


def test_missing_forward_message():
    with pytest.raises(NotImplementedError, match="Module \\[Module\\] is missing the required 'forward'"):
        nn.Module()(gk.zeros(1))


# ---------------------------------------------------------------- load_state_dict
def test_load_state_dict_copies_and_keeps_parameter_objects():
    a, b = Net(), Net()
    w_obj = b.fc.weight
    res = b.load_state_dict(a.state_dict())
    assert res.missing_keys == [] and res.unexpected_keys == []
    assert b.fc.weight is w_obj
    np.testing.assert_array_equal(b.fc.weight.numpy(), a.fc.weight.numpy())
    assert not np.shares_memory(b.fc.weight.array, a.fc.weight.array)
    with gk.no_grad():
        a.fc.weight.array[...] += 1
    assert not np.array_equal(b.fc.weight.numpy(), a.fc.weight.numpy())


def test_load_state_dict_accepts_numpy_and_casts_dtype():
    lin = nn.Linear(2, 2)
    sd = {k: v.numpy().astype(np.float64) + 1 for k, v in lin.state_dict().items()}
    lin.load_state_dict(sd)
    assert lin.weight.dtype == np.float32
    np.testing.assert_allclose(lin.bias.numpy(), sd["bias"].astype(np.float32))


def test_strict_load_lists_all_problems_and_changes_nothing():
    net = Net()
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    other = Net(4, 6, 3)  # hidden size differs: shape mismatches
    sd = dict(other.state_dict())
    del sd["head.0.bias"]
    sd["extra.weight"] = gk.zeros(2)
    with pytest.raises(RuntimeError) as err:
        net.load_state_dict(sd)
    msg = str(err.value)
    assert 'Missing key(s) in state_dict: "head.0.bias"' in msg
    assert 'Unexpected key(s) in state_dict: "extra.weight"' in msg
    assert "size mismatch for fc.weight: copying a param with shape (6, 4) from checkpoint, the shape in current model is (5, 4)" in msg
    assert "nothing was changed" in msg
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])


def test_non_strict_load_reports_keys_but_still_rejects_shapes():
    net = Net()
    sd = dict(Net().state_dict())
    del sd["fc.bias"]
    sd["foo"] = gk.zeros(1)
    res = net.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["fc.bias"] and res.unexpected_keys == ["foo"]
    np.testing.assert_array_equal(net.fc.weight.numpy(), sd["fc.weight"].numpy())
    sd["fc.weight"] = gk.zeros(1, 1)
    with pytest.raises(RuntimeError, match="size mismatch for fc.weight"):
        net.load_state_dict(sd, strict=False)


# ---------------------------------------------------------------- modes, grads, dtype
def test_train_eval_propagate():
    net = Net()
    assert net.training and net.bn.training
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_zero_grad_and_requires_grad():
    net = Net()
    net(gk.randn(8, 4)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(float(p.grad.abs().sum()) == 0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.fc.freeze()
    assert not net.fc.weight.requires_grad and net.bn.weight.requires_grad
    assert net.num_parameters(trainable_only=True) == net.num_parameters() - 25
    net.fc.unfreeze()
    assert net.fc.weight.requires_grad
    net.requires_grad_(False)
    assert net.num_parameters(trainable_only=True) == 0


def test_to_dtype_in_place_keeps_objects():
    net = Net()
    w = net.fc.weight
    assert net.to(dtype="float64") is net
    assert net.fc.weight is w and w.dtype == np.float64
    assert net.bn.running_mean.dtype == np.float64
    assert net.bn.num_batches_tracked.dtype == np.int64
    out = net(gk.randn(3, 4).double())
    assert out.dtype == np.float64
    net.float()
    assert w.dtype == np.float32
    net.double()
    assert w.dtype == np.float64
    net.to("float32")
    assert w.dtype == np.float32
    with pytest.raises(TypeError, match="floating"):
        net.to(dtype="int64")


def test_apply_visits_children_first():
    net = Net()
    order = []
    net.apply(lambda m: order.append(type(m).__name__))
    assert order == ["Linear", "BatchNorm1d", "Linear", "Sequential", "Net"]

    def init(m):
        if isinstance(m, nn.Linear):
            nn.init.zeros_(m.weight)

    net.apply(init)
    assert float(net.head[0].weight.abs().sum()) == 0


def test_repr_nested():
    text = repr(Net())
    assert text.startswith("Net(\n  (fc): Linear(in_features=4, out_features=5, bias=True)")
    assert "  (head): Sequential(\n    (0): Linear(in_features=5, out_features=3, bias=True)\n  )" in text


def test_functional_call_substitutes_and_restores():
    lin = nn.Linear(2, 1)
    w = gk.tensor([[1.0, 2.0]], requires_grad=True)
    out = functional_call(lin, {"weight": w, "bias": gk.zeros(1)}, (gk.tensor([[3.0, 4.0]]),))
    assert out.item() == 11.0
    out.backward()
    np.testing.assert_allclose(w.grad.numpy(), [[3.0, 4.0]])
    assert isinstance(lin.weight, nn.Parameter) and lin.weight is not w
    with pytest.raises(KeyError):
        functional_call(lin, {"nope": w}, gk.zeros(1, 2))


# ---------------------------------------------------------------- config capture
def test_get_config_and_rebuild_nested():
    net = nn.Sequential(
        nn.Linear(4, 8, bias=False), nn.BatchNorm1d(8, momentum=0.2), nn.Residual(nn.Linear(8, 8)),
        nn.LayerNorm((8,)), nn.Dropout(0.25), nn.Flatten(), nn.Linear(8, 2),
    )
    spec = json.loads(json.dumps({"class": "Sequential", "config": net.get_config()}))
    assert spec["config"]["args"][1] == {
        "class": "BatchNorm1d",
        "config": {"num_features": 8, "eps": 1e-5, "momentum": 0.2, "affine": True, "track_running_stats": True,
                   "dtype": None},
    }
    assert spec["config"]["args"][3]["config"]["normalized_shape"] == [8]  # tuple became a list
    rebuilt = module_from_config(spec)
    assert repr(rebuilt) == repr(net)
    assert rebuilt.get_config() == spec["config"]
    rebuilt.load_state_dict(net.state_dict())
    net.eval(), rebuilt.eval()
    x = gk.randn(5, 4)
    np.testing.assert_array_equal(rebuilt(x).numpy(), net(x).numpy())


def test_config_of_named_sequential_and_containers():
    seq = nn.Sequential(OrderedDict(enc=nn.Linear(2, 3), dec=nn.Linear(3, 2)))
    r = module_from_config(json.loads(json.dumps({"class": "Sequential", "config": seq.get_config()})))
    assert list(r.state_dict()) == ["enc.weight", "enc.bias", "dec.weight", "dec.bias"]
    ml = nn.ModuleList([nn.Linear(1, 2), nn.Identity()])
    r2 = module_from_config({"class": "ModuleList", "config": ml.get_config()})
    assert [type(m).__name__ for m in r2] == ["Linear", "Identity"]
    md = nn.ModuleDict({"a": nn.Linear(1, 1)})
    r3 = module_from_config({"class": "ModuleDict", "config": md.get_config()})
    assert list(r3.keys()) == ["a"]


def test_config_tracks_appended_children():
    seq = nn.Sequential(nn.Linear(2, 2))
    seq.append(nn.Linear(2, 1))
    assert len(module_from_config({"class": "Sequential", "config": seq.get_config()})) == 2


def test_user_class_cannot_be_rebuilt_without_code():
    assert "Net" not in MODULE_REGISTRY
    assert Net(3, 4, 2).get_config() == {"n_in": 3, "n_hidden": 4, "n_out": 2}
    with pytest.raises(ValueError, match="'Net' is not one of gradkit's built-in layers"):
        module_from_config({"class": "Net", "config": {}})
    with pytest.raises(ValueError, match="'Net' is not one of gradkit's built-in layers"):
        module_from_config({"class": "Sequential", "config": nn.Sequential(Net()).get_config()})


def test_register_serializable_and_non_json_argument():
    @register_serializable
    class Scaled(nn.Module):
        def __init__(self, inner, factor=2.0):
            super().__init__()
            self.inner, self.factor = inner, factor

        def forward(self, x):
            return self.inner(x) * self.factor

    try:
        m = Scaled(nn.Linear(2, 2), factor=3.0)
        r = module_from_config(json.loads(json.dumps({"class": "Scaled", "config": m.get_config()})))
        assert r.factor == 3.0 and isinstance(r.inner, nn.Linear)
    finally:
        MODULE_REGISTRY.pop("Scaled", None)

    class Holder(nn.Module):
        def __init__(self, fn):
            super().__init__()
            self.fn = fn

    with pytest.raises(TypeError, match="cannot record argument 'fn' of Holder"):
        Holder(lambda x: x).get_config()


def test_builtin_layers_are_registered():
    for name in ["Linear", "Sequential", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Dropout", "RBF", "Residual",
                 "DropConnect", "MLP", "Perceptron", "SelfNormalizingNet"]:
        if name in ("MLP", "Perceptron", "SelfNormalizingNet"):
            import gradkit.models  # noqa: F401
        assert name in MODULE_REGISTRY, name


# ---------------------------------------------------------------- containers
def test_sequential_indexing_slicing_and_editing():
    a, b, c = nn.Linear(2, 3), nn.Identity(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and seq[0] is a and seq[-1] is c
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and len(sub) == 2 and sub[0] is b
    assert list(seq) == [a, b, c] or all(x is y for x, y in zip(seq, [a, b, c]))
    seq.append(nn.Identity())
    assert len(seq) == 4
    del seq[1]
    assert [n for n, _ in seq.named_children()] == ["0", "1", "2"] and seq[1] is c
    seq.insert(1, b)
    assert seq[1] is b and len(seq) == 4
    seq[3] = nn.Linear(1, 1)
    assert seq(gk.zeros(5, 2)).shape == (5, 1)
    with pytest.raises(IndexError):
        seq[10]
    with pytest.raises(TypeError, match="Sequential argument 0"):
        nn.Sequential(3)


def test_modulelist_and_moduledict():
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(ml) == 3 and len(list(ml.parameters())) == 6
    ml.append(nn.Linear(2, 1))
    assert [n for n, _ in ml.named_parameters()][-1] == "3.bias"
    assert len(ml[1:]) == 3
    del ml[0]
    assert list(ml._modules) == ["0", "1", "2"]
    md = nn.ModuleDict({"a": nn.Linear(1, 2)})
    md["b"] = nn.Linear(2, 3)
    assert list(md) == ["a", "b"] and "b" in md and len(md) == 2
    assert [n for n, _ in md.named_parameters()] == ["a.weight", "a.bias", "b.weight", "b.bias"]
    md.pop("a")
    assert list(md.keys()) == ["b"]
