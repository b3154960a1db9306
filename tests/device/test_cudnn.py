"""The cuDNN convolution path: chosen only for real CuPy with cuDNN, wired right, fallback otherwise.

cuDNN cannot run here: the double is not CuPy, so convolutions take im2col + GEMM (tested
everywhere else in this suite). Here a stand-in for ``cupy.cudnn`` (computing on the host with
gradkit's own CPU convolution) checks that gradkit calls it with the right arguments and uses
its results; ``benchmarks/gpu_check.py`` runs the real thing on a lent GPU.
"""

import numpy as np
import pytest

import gradkit as gk
from gradkit import backend
from gradkit.nn.functional import _cudnn

from .conftest import host, strict_only


class FakeCudnn:
    """``cupy.cudnn``'s three convolution calls, computed on the host by gradkit's CPU path."""

    def __init__(self):
        self.calls = []

    @staticmethod
    def _conv(x, w, b, pad, stride, dil, groups):
        return gk.nn.functional.conv2d(x, w, b, stride=stride, padding=pad, dilation=dil, groups=groups)

    def convolution_forward(self, x, W, b, y, pad, stride, dil, groups, *, auto_tune, tensor_core):
        self.calls.append("forward")
        out = self._conv(gk.tensor(x.get()), gk.tensor(W.get()), None if b is None else gk.tensor(b.get()),
                         pad, stride, dil, groups)
        y[...] = backend.xp_for("cuda").asarray(out.numpy())

    def _grads(self, x, W, gy, pad, stride, dil, groups):
        xt, wt = gk.tensor(x, requires_grad=True), gk.tensor(W, requires_grad=True)
        with gk.enable_grad():  # called from inside gradkit's backward, which records nothing
            (self._conv(xt, wt, None, pad, stride, dil, groups) * gk.tensor(gy)).sum().backward()
        return xt.grad.numpy(), wt.grad.numpy()

    def convolution_backward_data(self, W, gy, b, gx, pad, stride, dil, groups, *, deterministic, auto_tune,
                                  tensor_core):
        self.calls.append("backward_data")
        x = np.zeros(gx.shape, gx.dtype)
        gx[...] = backend.xp_for("cuda").asarray(self._grads(x, W.get(), gy.get(), pad, stride, dil, groups)[0])

    def convolution_backward_filter(self, x, gy, gW, pad, stride, dil, groups, *, deterministic, auto_tune,
                                    tensor_core):
        self.calls.append("backward_filter")
        W = np.zeros(gW.shape, gW.dtype)
        gW[...] = backend.xp_for("cuda").asarray(self._grads(x.get(), W, gy.get(), pad, stride, dil, groups)[1])


@strict_only
def test_the_double_takes_the_im2col_fallback():
    xp = backend.xp_for("cuda")
    g = type("G", (), {"pt": 1, "pb": 1, "pl": 1, "pr": 1})()
    assert _cudnn.cudnn_for(xp, g, np.dtype(np.float32)) is None  # not CuPy
    assert _cudnn.cudnn_for(np, g, np.dtype(np.float32)) is None


def test_cudnn_is_refused_for_asymmetric_padding_and_other_dtypes(monkeypatch):
    monkeypatch.setattr(_cudnn, "_cupy_cudnn", lambda: "cudnn")
    monkeypatch.setattr(_cudnn.backend, "is_real_cupy", lambda xp: True)
    sym = type("G", (), {"pt": 1, "pb": 1, "pl": 0, "pr": 0})()
    asym = type("G", (), {"pt": 0, "pb": 1, "pl": 1, "pr": 1})()
    assert _cudnn.cudnn_for(None, sym, np.dtype(np.float32)) == "cudnn"
    assert _cudnn.cudnn_for(None, asym, np.dtype(np.float32)) is None
    assert _cudnn.cudnn_for(None, sym, np.dtype(np.float16)) is None


@strict_only
@pytest.mark.parametrize("kw", [dict(padding=1), dict(stride=2, dilation=2, groups=2), dict(padding=0, bias=False)])
def test_the_cudnn_path_is_wired_like_the_fallback(monkeypatch, kw):
    kw = dict(kw)
    bias = kw.pop("bias", True)
    gk.manual_seed(0)
    conv = gk.nn.Conv2d(4, 6, 3, bias=bias, **kw).to(dtype="float64")
    x = np.random.default_rng(0).standard_normal((2, 4, 9, 9))
    results = []
    fake = FakeCudnn()
    for use_cudnn in (False, True):
        if use_cudnn:
            monkeypatch.setattr(_cudnn, "cudnn_for", lambda xp, g, dt: fake if xp is backend.xp_for("cuda") else None)
        conv.to("cuda")
        xt = gk.tensor(x, requires_grad=True, device="cuda")
        y = conv(xt)
        (y * y).sum().backward()
        results.append([host(y), host(xt.grad)] + [host(p.grad) for p in conv.parameters()])
        conv.zero_grad()
        conv.cpu()
    assert fake.calls == ["forward", "backward_data", "backward_filter"]
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)
