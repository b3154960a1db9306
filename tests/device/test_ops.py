"""Every op and its backward on the device: values and gradients equal the CPU's.

The cases come from the CPU suites' own tables (tests/core/test_ops_gradcheck.py ``CASES``,
tests/nn/test_activations.py ``SMOOTH``/``PIECEWISE``), so a case added there runs here too; and every
name in ``gradkit.ops.__all__`` that runs on one or two float tensors on the CPU is called on the
device the same way (new ops are picked up without listing them).
"""

import importlib
import inspect

import numpy as np
import pytest

import gradkit as gk
from gradkit import backend, ops
from gradkit.diagnose import gradcheck

from .conftest import host


def _table(module, *names):
    try:
        mod = importlib.import_module(module)
    except ImportError:  # pragma: no cover - a renamed test module
        return {}
    out = {}
    for n in names:
        out.update({f"{n}:{k}": v for k, v in getattr(mod, n, {}).items()})
    return out


GRAD_CASES = _table("tests.core.test_ops_gradcheck", "CASES")
ACTIVATIONS = _table("tests.nn.test_activations", "SMOOTH", "PIECEWISE")


def _on_device(make):
    """The CPU case's inputs, and the same inputs built with 'cuda' as the default device."""
    gk.manual_seed(0)
    cpu = make()
    gk.set_default_device("cuda")
    try:
        gk.manual_seed(0)
        dev = make()
    finally:
        gk.set_default_device("cpu")
    return cpu, dev


def _grads(fn, xs):
    out = fn(*xs)
    if out.requires_grad:
        gk.manual_seed(1)
        proj = gk.randn(*out.shape, dtype=out.dtype).to(out.device)
        (out * proj).sum().backward()
    return host(out), [None if x.grad is None else host(x.grad) for x in xs]


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_op_forward_backward_and_gradcheck_on_device(name):
    fn, make = GRAD_CASES[name]
    cpu, dev = _on_device(make)
    assert all(x.device == "cuda" for x in dev)
    gk.set_default_device("cuda")  # constants made inside the case land on the device too
    try:
        y_dev, g_dev = _grads(fn, dev)
        assert gradcheck(fn, [x.detach().requires_grad_(True) for x in dev]).passed
    finally:
        gk.set_default_device("cpu")
    y_cpu, g_cpu = _grads(fn, cpu)
    np.testing.assert_allclose(y_dev, y_cpu, rtol=1e-10, atol=1e-12)
    for a, b in zip(g_dev, g_cpu):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_on_device(name):
    fn = ACTIVATIONS[name]
    x = gk.tensor(np.random.default_rng(0).standard_normal((3, 4)) + 0.05, requires_grad=True)
    xd = x.detach().to("cuda").requires_grad_(True)
    y_cpu, (g_cpu,) = _grads(fn, [x])
    y_dev, (g_dev,) = _grads(fn, [xd])
    np.testing.assert_allclose(y_dev, y_cpu, rtol=1e-12)
    np.testing.assert_allclose(g_dev, g_cpu, rtol=1e-12)
    assert gradcheck(fn, [xd.detach().requires_grad_(True)]).passed


def _public_ops():
    """``ops:name`` for each function of ``gradkit.ops.__all__``, ``F:name`` of ``gradkit.nn.functional.__all__``."""
    import gradkit.nn.functional as F

    names = []
    for prefix, mod in (("ops", ops), ("F", F)):
        for n in sorted(set(getattr(mod, "__all__", ()))):
            f = getattr(mod, n, None)
            if callable(f) and not inspect.isclass(f):
                names.append(f"{prefix}:{n}")
    return names


def _try(f, args):
    try:
        with np.errstate(all="ignore"):
            return True, f(*args)
    except Exception as exc:  # noqa: BLE001 - an op that does not take these arguments
        return False, exc


def _leaves(out):
    if isinstance(out, gk.Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _leaves(o)]
    if hasattr(out, "_fields") or hasattr(out, "values"):
        return [t for o in tuple(out) for t in _leaves(o)]
    return []


@pytest.mark.filterwarnings("ignore::UserWarning")  # softmax without dim: the CPU suite checks the warning
@pytest.mark.parametrize("name", _public_ops())
def test_every_public_op_that_runs_on_the_cpu_runs_on_the_device(name):
    """Called as f(x), f(x, y), f(x, 1), f(x, 0) on (3, 4) float tensors: the first form that works on
    the CPU must work on the device and give the same values and gradients."""
    import gradkit.nn.functional as F

    prefix, short = name.split(":")
    f = getattr(ops if prefix == "ops" else F, short)
    rng = np.random.default_rng(0)
    a, b = (np.abs(rng.standard_normal((3, 4))) + 0.5 for _ in range(2))
    for arrays, extra in (((a,), ()), ((a, b), ()), ((a,), (1,)), ((a,), (0,))):  # f(x), f(x, y), f(x, dim)
        cpu = [gk.tensor(v, requires_grad=True) for v in arrays]
        gk.manual_seed(7)  # random ops (dropout) draw the same numbers on both devices
        ok, out_cpu = _try(f, [*cpu, *extra])
        if not ok:
            continue
        dev = [gk.tensor(v, requires_grad=True, device="cuda") for v in arrays]
        gk.manual_seed(7)
        out_dev = f(*dev, *extra)
        lc, ld = _leaves(out_cpu), _leaves(out_dev)
        assert len(lc) == len(ld), name
        for tc, td in zip(lc, ld):
            assert td.device == "cuda", f"{name} returned a CPU tensor for device inputs"
            np.testing.assert_allclose(host(td), host(tc), rtol=1e-12, equal_nan=True)
        floats = [(tc, td) for tc, td in zip(lc, ld) if tc.requires_grad and tc.dtype.kind == "f"]
        if floats:
            sum(tc.sum() for tc, _ in floats).backward()
            sum(td.sum() for _, td in floats).backward()
            for xc, xd in zip(cpu, dev):
                if xc.grad is not None:
                    assert xd.grad.device == "cuda"
                    np.testing.assert_allclose(host(xd.grad), host(xc.grad), rtol=1e-12)
        return
    pytest.skip(f"{name} takes other arguments than f(x), f(x, y) or f(x, dim) (covered by the tables)")
