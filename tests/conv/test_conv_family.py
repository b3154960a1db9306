"""Transposed and 3-D convolutions, 3-D and adaptive max pooling: values and gradients as PyTorch's,
float64 gradient checks, the layer contract, parameter shapes and initialization."""

import numpy as np
import pytest

import gradkit as gk
from gradkit import nn
from gradkit.testing import check_layer

F = gk.nn.functional


def _compare(fn_gk, fn_t, arrays, rtol=1e-9, atol=1e-10):
    torch = pytest.importorskip("torch")
    g = [gk.tensor(a, requires_grad=True) for a in arrays]
    t = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, ref = fn_gk(*g), fn_t(*t)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=rtol, atol=atol)
    w = np.random.default_rng(9).standard_normal(ref.shape)
    (out * gk.tensor(w)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    for a, b in zip(g, t):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=atol)


TRANSPOSE = [
    # (input shape, weight shape, kwargs)
    ((2, 4, 5, 5), (4, 3, 3, 3), dict()),
    ((2, 4, 5, 6), (4, 3, 3, 2), dict(stride=2, padding=1, output_padding=1)),
    ((1, 4, 4, 4), (4, 2, 3, 3), dict(stride=(2, 3), padding=(0, 1), dilation=2, groups=2)),
    ((2, 3, 3), (2, 2, 4, 4), dict(stride=2, padding=1)),  # unbatched
    ((2, 6, 3, 3), (6, 1, 2, 2), dict(groups=6, stride=2)),  # depthwise
]


@pytest.mark.parametrize("xs,ws,kw", TRANSPOSE)
def test_conv_transpose2d_matches_torch(xs, ws, kw):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[1] * kw.get("groups", 1))]
    _compare(lambda x, w, b: F.conv_transpose2d(x, w, b, **kw),
             lambda x, w, b: torch.nn.functional.conv_transpose2d(x, w, b, **kw), arrays)


@pytest.mark.parametrize("kw", [dict(), dict(stride=3, padding=2, output_padding=1), dict(dilation=2, groups=2)])
def test_conv_transpose1d_matches_torch(kw):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal((2, 4, 7)), rng.standard_normal((4, 3, 3))]
    _compare(lambda x, w: F.conv_transpose1d(x, w, **kw), lambda x, w: torch.nn.functional.conv_transpose1d(x, w, **kw),
             arrays)


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1), dict(stride=(1, 2, 1), dilation=(2, 1, 1), groups=2)])
def test_conv3d_matches_torch(kw):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal((2, 4, 6, 5, 5)), rng.standard_normal((4, 4 // kw.get("groups", 1), 3, 3, 2)),
              rng.standard_normal(4)]
    _compare(lambda x, w, b: F.conv3d(x, w, b, **kw), lambda x, w, b: torch.nn.functional.conv3d(x, w, b, **kw), arrays)


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=(2, 3, 2), stride=(1, 2, 2), ceil_mode=True)])
def test_pool3d_matches_torch(kw):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.permutation(2 * 3 * 7 * 6 * 5).reshape(2, 3, 7, 6, 5).astype(np.float64) / 10  # no ties
    _compare(lambda t: F.max_pool3d(t, **kw), lambda t: torch.nn.functional.max_pool3d(t, **kw), [x])
    if not (kw.get("ceil_mode") and kw.get("padding")):
        _compare(lambda t: F.avg_pool3d(t, **kw), lambda t: torch.nn.functional.avg_pool3d(t, **kw), [x])


@pytest.mark.parametrize("size", [(3, 2), (1, 1), (7, 5), (4, None)])
def test_adaptive_max_pool2d_matches_torch(size):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(4).permutation(2 * 3 * 7 * 5).reshape(2, 3, 7, 5).astype(np.float64)
    _compare(lambda t: F.adaptive_max_pool2d(t, size), lambda t: torch.nn.functional.adaptive_max_pool2d(t, size), [x])
    x1 = x.reshape(2, 3, 35)
    _compare(lambda t: F.adaptive_max_pool1d(t, 6), lambda t: torch.nn.functional.adaptive_max_pool1d(t, 6), [x1])


def test_gradcheck_transposed_and_3d():
    x = gk.randn(1, 2, 3, 3, dtype="float64", requires_grad=True)
    w = gk.randn(2, 2, 2, 2, dtype="float64", requires_grad=True)
    assert gk.diagnose.gradcheck(lambda x, w: (F.conv_transpose2d(x, w, stride=2) ** 2).sum(), [x, w]).passed
    v = gk.randn(1, 2, 3, 3, 3, dtype="float64", requires_grad=True)
    k = gk.randn(2, 2, 2, 2, 2, dtype="float64", requires_grad=True)
    assert gk.diagnose.gradcheck(lambda v, k: (F.conv3d(v, k, padding=1) ** 2).sum(), [v, k]).passed


def test_modules_have_torchs_parameters_and_init():
    torch = pytest.importorskip("torch")
    for g_mod, t_mod in ((nn.ConvTranspose2d(6, 4, 3, groups=2), torch.nn.ConvTranspose2d(6, 4, 3, groups=2)),
                         (nn.ConvTranspose1d(3, 5, 4), torch.nn.ConvTranspose1d(3, 5, 4)),
                         (nn.Conv3d(2, 4, (3, 2, 2)), torch.nn.Conv3d(2, 4, (3, 2, 2)))):
        t_sd = t_mod.state_dict()
        g_sd = g_mod.state_dict()
        assert {k: tuple(v.shape) for k, v in g_sd.items()} == {k: tuple(v.shape) for k, v in t_sd.items()}
        bound_t = float(t_sd["weight"].abs().max())
        bound_g = float(np.abs(g_sd["weight"].numpy()).max())
        assert 0.6 < bound_g / bound_t < 1.6  # same U(-b, b) up to sampling
        g_mod.load_state_dict({k: v.numpy() for k, v in t_sd.items()})
        shape = {nn.ConvTranspose2d: (2, 6, 5, 5), nn.ConvTranspose1d: (2, 3, 9), nn.Conv3d: (1, 2, 5, 4, 4)}[type(g_mod)]
        x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        np.testing.assert_allclose(g_mod(gk.tensor(x)).detach().numpy(), t_mod(torch.tensor(x)).detach().numpy(),
                                   rtol=1e-4, atol=1e-5)


def test_output_size_argument_and_errors():
    up = nn.ConvTranspose2d(2, 2, 3, stride=2, padding=1)
    x = gk.randn(1, 2, 4, 4)
    assert up(x).shape == (1, 2, 7, 7) and up(x, output_size=(8, 8)).shape == (1, 2, 8, 8)
    with pytest.raises(ValueError, match="not reachable"):
        up(x, output_size=(10, 10))
    with pytest.raises(ValueError, match="output_padding"):
        nn.ConvTranspose2d(2, 2, 3, stride=1, output_padding=1)
    with pytest.raises(ValueError, match="expected 2 input channels"):
        up(gk.randn(1, 3, 4, 4))


CONTRACT = [
    ("convtranspose2d", lambda: nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1), (2, 2, 3, 3),
     (2, 3, 6, 6)),
    ("convtranspose1d", lambda: nn.ConvTranspose1d(2, 3, 3, stride=2), (2, 2, 4), (2, 3, 9)),
    ("conv3d", lambda: nn.Conv3d(2, 3, 2, padding=1), (1, 2, 2, 3, 3), (1, 3, 3, 4, 4)),
    ("maxpool3d", lambda: nn.MaxPool3d(2), (1, 2, 4, 4, 4), (1, 2, 2, 2, 2)),
    ("avgpool3d", lambda: nn.AvgPool3d(2, stride=1), (1, 2, 3, 3, 3), (1, 2, 2, 2, 2)),
    ("adaptivemax2d", lambda: nn.AdaptiveMaxPool2d((2, 2)), (2, 3, 5, 4), (2, 3, 2, 2)),
    ("adaptivemax1d", lambda: nn.AdaptiveMaxPool1d(3), (2, 3, 7), (2, 3, 3)),
]


@pytest.mark.parametrize("name,make,shape,out_shape", CONTRACT, ids=[c[0] for c in CONTRACT])
def test_layer_contract(name, make, shape, out_shape):
    assert check_layer(make, shape, expected_output_shape=out_shape)["output_shape"] == out_shape


def test_max_unpool2d_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(5).permutation(2 * 3 * 6 * 7).reshape(2, 3, 6, 7).astype(np.float64)
    for kw, size in ((dict(kernel_size=2), (6, 7)), (dict(kernel_size=3, stride=2, padding=1), (6, 7))):
        y, idx = torch.nn.functional.max_pool2d(torch.tensor(x), return_indices=True, **kw)
        _compare(lambda t: F.max_unpool2d(t, gk.tensor(idx.numpy()), output_size=size, **kw),
                 lambda t: torch.nn.functional.max_unpool2d(t, idx, output_size=size, **kw), [y.numpy()])
    with pytest.raises(ValueError, match="outside"):
        F.max_unpool2d(gk.ones(1, 1, 1, 1), np.array([[[[9]]]]), 2)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("cls,shape,kw", [("Conv2d", (2, 3, 6, 7), dict(padding=(1, 2))),
                                          ("Conv2d", (1, 3, 5, 5), dict(padding="same", dilation=2)),
                                          ("Conv1d", (2, 3, 9), dict(padding=2, stride=2))])
def test_conv_padding_modes_match_torch(mode, cls, shape, kw):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    t_mod = getattr(torch.nn, cls)(3, 4, 3, padding_mode=mode, dtype=torch.float64, **kw)
    g_mod = getattr(nn, cls)(3, 4, 3, padding_mode=mode, dtype="float64", device="cpu", **kw)
    g_mod.load_state_dict({k: v.detach().numpy() for k, v in t_mod.state_dict().items()})
    x = np.random.default_rng(0).standard_normal(shape)
    gx, tx = gk.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref = g_mod(gx), t_mod(tx)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-10)
    (out ** 2).sum().backward()
    (ref ** 2).sum().backward()
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(g_mod.weight.grad.numpy(), t_mod.weight.grad.numpy(), rtol=1e-9, atol=1e-10)
