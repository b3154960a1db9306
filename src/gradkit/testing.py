"""The shared layer-contract test: one helper every layer's tests call.

:func:`check_layer` builds a layer with a factory and checks, in order:

1. **forward**: a float32 input gives float32 outputs of the expected shape (and no NaN);
2. **gradients**: in float64 (``layer.to(dtype="float64")``) the backprop gradients of
   the input and of every parameter match numerical differences (:func:`gradkit.diagnose.gradcheck`,
   relative error below 1e-7), in training mode *and* in evaluation mode. Randomness
   (dropout masks) is frozen by reseeding gradkit's generator before every forward, so
   each evaluation inside the gradient check sees the same mask;
3. **train/eval**: evaluation mode is deterministic (two calls agree); a layer declared
   ``stochastic`` must differ between two training calls with different seeds and must
   be deterministic in evaluation; an optional ``train_eval_check(layer, x)`` callback
   asserts layer-specific behaviour;
4. **state_dict round trip**: after a training step (running statistics move), a fresh
   instance built under another seed loads the state_dict strictly and gives identical
   outputs in evaluation mode; the loaded values are copies (changing the source later
   does not change the copy); for gradkit's registered layers the JSON config
   (``get_config`` -> ``json`` -> ``module_from_config``) rebuilds the same architecture;
5. **summary**: ``summary`` runs and has a row for every leaf layer of the module.

Example (a test file)::

    from gradkit.testing import check_layer
    import gradkit as gk

    def test_linear_contract():
        check_layer(lambda: gk.nn.Linear(5, 3), (4, 5), expected_output_shape=(4, 3))

    def test_dropout_contract():
        check_layer(lambda: gk.nn.Dropout(0.3), (6, 5), stochastic=True)

Conv and recurrent layers use the same helper (pass ``input_fn`` for integer inputs,
``output_fn`` to pick the tensor to check from a tuple output).
"""

from __future__ import annotations

import functools
import json

import numpy as np

__all__ = ["check_layer", "LayerContractError"]


class LayerContractError(AssertionError):
    """A layer broke the contract; the message says which check and what was found."""


def _tensors(out):
    from .tensor import Tensor

    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        res = []
        for o in out:
            res.extend(_tensors(o))
        return res
    return []


def _combine(out, output_fn):
    """One tensor from a layer output (for gradcheck): the chosen or concatenated outputs."""
    from . import ops

    if output_fn is not None:
        out = output_fn(out)
    ts = [t for t in _tensors(out) if t.dtype.kind == "f"]
    if len(ts) == 1:
        return ts[0]
    return ops.cat([ops.reshape(t, (-1,)) for t in ts], 0)


def _max_abs_diff(check) -> float:
    return max((abs(a - n) for _, a, n in check.worst), default=float("inf"))


def _to_numpy_list(out):
    return [t.numpy().copy() for t in _tensors(out)]


def check_layer(
    make_layer,
    input_shape,
    *,
    expected_output_shape=None,
    input_fn=None,
    output_fn=None,
    stochastic: bool = False,
    check_input_grad: bool = True,
    train_eval_check=None,
    gradcheck_max_elements: int | None = 48,
    gradcheck_tol: float = 1e-7,
    gradcheck_atol: float = 1e-6,
    seed: int = 1234,
    check_config: bool = True,
    check_summary: bool = True,
    device: str | None = None,
):
    """Check that a layer honours gradkit's layer contract (see the module docstring).

    Args:
        make_layer: a zero-argument callable returning a new layer (built in float32).
        input_shape: the shape of the test input, batch included.
        expected_output_shape: if given, the shape the (first) output must have.
        input_fn: ``input_fn(dtype) -> Tensor`` builds the input (default ``gk.randn``
            of ``input_shape`` cast to ``dtype``). Return an integer tensor for
            index inputs (then no input gradient is checked).
        output_fn: picks what to check from the output (e.g. ``lambda out: out[0]``).
        stochastic: the layer is random in training mode (dropout): two training calls
            under different seeds must differ.
        check_input_grad: gradcheck the input too (default True).
        train_eval_check: optional ``fn(layer, x)`` run with a float32 layer and input,
            asserting layer-specific train/eval behaviour.
        gradcheck_max_elements: elements sampled per tensor in the gradient check
            (None checks all; keep it small for big layers).
        gradcheck_tol: relative-error tolerance (default 1e-7, float64).
        gradcheck_atol: an input whose relative error is above ``gradcheck_tol`` still
            passes when no element differs by more than this (default 1e-6): a gradient
            that is exactly zero (a bias before batch norm) has a relative error of 1 from
            finite-difference noise alone.
        seed: the seed for the inputs and the frozen masks.
        check_config: check the JSON config round trip (registered gradkit layers only).
        check_summary: check the summary rows (skipped when ``input_fn`` is given: the
            summary feeds a float zero batch).
        device: run the whole contract on this device (``'cuda'``): every layer the factory
            makes and every input are moved there (None: where they are built, the CPU).

    Returns:
        A dict with the gradient-check results (``"gradcheck_train"``, ``"gradcheck_eval"``)
        and the output shape (``"output_shape"``).

    Raises:
        LayerContractError: naming the check that failed and what was found.
    """
    import gradkit as gk

    from .random import get_rng_state, set_rng_state

    saved_rng = get_rng_state()
    try:
        gk.manual_seed(seed)
        make_input = functools.partial(_layer_input, input_fn, input_shape, device)
        if device is not None:
            make_layer = functools.partial(_layer_on, make_layer, device)
        layer, x32, output_shape = _check_forward(make_layer, make_input, output_fn, expected_output_shape)
        name_of = type(layer).__name__
        report = {"output_shape": output_shape}
        report.update(_check_gradients(
            name_of, make_layer, make_input, output_fn, check_input_grad=check_input_grad,
            tol=gradcheck_tol, atol=gradcheck_atol, max_elements=gradcheck_max_elements, seed=seed,
        ))
        _check_train_eval(name_of, layer, x32, stochastic=stochastic, train_eval_check=train_eval_check, seed=seed)
        dst, dst_outputs = _check_state_dict_round_trip(name_of, make_layer, x32, seed)
        if check_config:
            _check_config_round_trip(name_of, layer, dst, dst_outputs, x32)
        if check_summary and input_fn is None:
            _check_summary(name_of, layer, input_shape)
        return report
    finally:
        set_rng_state(saved_rng)


def _layer_input(input_fn, input_shape, device, dtype):
    """The test input in ``dtype``: ``input_fn(dtype)``, or a standard normal batch of ``input_shape``
    (moved to ``device`` unless it is None)."""
    import gradkit as gk

    x = input_fn(dtype) if input_fn is not None else gk.randn(*input_shape).to(dtype)
    return x if device is None else x.to(device)


def _layer_on(make_layer, device):
    """``make_layer()`` moved to ``device`` (anything that is not a Module is left for the check to reject)."""
    from .nn.module import Module

    layer = make_layer()
    return layer.to(device) if isinstance(layer, Module) else layer


def _check_forward(make_layer, make_input, output_fn, expected_output_shape):
    """Part 1: a float32 forward pass gives finite float32 outputs of the expected shape.

    Returns the float32 layer, its input and the shape of the (first) output.
    """
    from .nn.module import Module

    layer = make_layer()
    if not isinstance(layer, Module):
        raise LayerContractError(f"make_layer() must return a gk.nn.Module, got {type(layer).__name__}")
    name_of = type(layer).__name__
    x32 = make_input("float32")
    out = layer(x32)
    outs = _tensors(out if output_fn is None else output_fn(out))
    if not outs:
        raise LayerContractError(f"{name_of}: forward returned {type(out).__name__}, expected Tensor output(s)")
    for t in outs:
        if t.dtype.kind == "f" and t.dtype != np.float32:
            raise LayerContractError(f"{name_of}: float32 input gave a {t.dtype} output (an accidental upcast)")
        if t.dtype.kind == "f" and not np.isfinite(t.numpy()).all():
            raise LayerContractError(f"{name_of}: output has NaN or inf for a standard normal input")
    if expected_output_shape is not None and tuple(outs[0].shape) != tuple(expected_output_shape):
        raise LayerContractError(
            f"{name_of}: output shape {tuple(outs[0].shape)}, expected {tuple(expected_output_shape)}"
        )
    return layer, x32, tuple(outs[0].shape)


def _check_gradients(name_of, make_layer, make_input, output_fn, *, check_input_grad, tol, atol, max_elements,
                     seed):
    """Part 2: the float64 gradient check, in training then evaluation mode, with frozen randomness.

    Returns ``{"gradcheck_train": ..., "gradcheck_eval": ...}`` (empty when there is nothing to check).
    """
    import gradkit as gk

    from .diagnose.gradcheck import gradcheck
    from .nn.module import functional_call

    layer64 = make_layer().to(dtype="float64")
    x64 = make_input("float64")
    names = [n for n, p in layer64.named_parameters() if p.requires_grad]
    params = [gk.tensor(p.array.copy(), requires_grad=True) for n, p in layer64.named_parameters() if p.requires_grad]
    grad_x = check_input_grad and x64.dtype.kind == "f"
    inputs = ([x64.detach().requires_grad_(True)] if grad_x else []) + params
    mask_seed = seed + 1

    def fn(*ts):
        xs, ps = (ts[0], ts[1:]) if grad_x else (x64, ts)
        gk.manual_seed(mask_seed)
        y = functional_call(layer64, dict(zip(names, ps)), (xs,))
        return _combine(y, output_fn)

    labels = (["input"] if grad_x else []) + names
    results = {}
    for mode in ("train", "eval"):
        layer64.train(mode == "train")
        if not inputs:
            break
        res = gradcheck(fn, inputs, tol=tol, max_elements=max_elements, seed=seed)
        results[f"gradcheck_{mode}"] = res
        bad = [labels[c.index] for c in res.inputs if not c.passed and _max_abs_diff(c) > atol]
        if bad:
            raise LayerContractError(
                f"{name_of}: float64 gradient check failed in {mode} mode for {bad}:\n{res}"
            )
    return results


def _check_train_eval(name_of, layer, x32, *, stochastic, train_eval_check, seed):
    """Part 3: evaluation is deterministic, a stochastic layer varies in training, the layer's own check.

    Leaves ``layer`` in training mode.
    """
    import gradkit as gk

    layer.eval()
    a, b = _to_numpy_list(layer(x32)), _to_numpy_list(layer(x32))
    if any(not np.array_equal(u, v) for u, v in zip(a, b)):
        raise LayerContractError(f"{name_of}: two calls in eval mode gave different outputs")
    layer.train()
    if stochastic:
        gk.manual_seed(seed + 2)
        a = _to_numpy_list(layer(x32))
        gk.manual_seed(seed + 3)
        b = _to_numpy_list(layer(x32))
        if all(np.array_equal(u, v) for u, v in zip(a, b)):
            raise LayerContractError(f"{name_of}: declared stochastic but two training calls gave the same output")
    if train_eval_check is not None:
        train_eval_check(layer, x32)
        layer.train()


def _check_state_dict_round_trip(name_of, make_layer, x32, seed):
    """Part 4a: a fresh instance loads a trained instance's state_dict strictly, as copies, same outputs.

    Returns the loaded instance (in evaluation mode) and its outputs as NumPy arrays.
    """
    import gradkit as gk

    src = make_layer()
    src.train()
    src(x32)  # one training step: running statistics move
    src.eval()
    gk.manual_seed(seed + 17)
    dst = make_layer()
    result = dst.load_state_dict(src.state_dict())
    if list(result.missing_keys) or list(result.unexpected_keys):
        raise LayerContractError(f"{name_of}: state_dict round trip reported {result}")
    dst.eval()
    ya, yb = _to_numpy_list(src(x32)), _to_numpy_list(dst(x32))
    if any(not np.array_equal(u, v) for u, v in zip(ya, yb)):
        raise LayerContractError(f"{name_of}: a fresh instance loaded with the state_dict gives different outputs")
    _check_loaded_values_are_copies(name_of, src, dst)
    return dst, yb


def _check_loaded_values_are_copies(name_of, src, dst):
    """Part 4b: changing the source's floating state after loading leaves the loaded copy alone."""
    import gradkit as gk

    with gk.no_grad():
        for v in src.state_dict(keep_vars=True).values():
            if v.dtype.kind == "f":
                v.array[...] += 1.0
    from .backend import get_array_module

    src_state = src.state_dict()
    for k, v in dst.state_dict().items():
        if v.dtype.kind == "f" and get_array_module(v.array).shares_memory(v.array, src_state[k].array):
            raise LayerContractError(f"{name_of}: load_state_dict aliased {k!r} instead of copying it")


def _check_config_round_trip(name_of, layer, dst, dst_outputs, x32):
    """Part 4c: a registered layer rebuilt from its JSON config, loaded with ``dst``'s state, matches ``dst``.

    Layers that are not gradkit's registered classes are skipped.
    """
    from .nn.module import MODULE_REGISTRY, module_from_config

    if MODULE_REGISTRY.get(name_of) is not type(layer):
        return
    spec = json.loads(json.dumps({"class": name_of, "config": layer.get_config()}))
    rebuilt = module_from_config(spec)
    if type(rebuilt) is not type(layer) or rebuilt.get_config() != spec["config"]:
        raise LayerContractError(f"{name_of}: config round trip rebuilt {rebuilt!r} from {spec}")
    rebuilt.to(x32.device)  # built on the CPU, as any new module; the contract may run on a device
    rebuilt.load_state_dict(dst.state_dict())
    rebuilt.eval()
    yc = _to_numpy_list(rebuilt(x32))
    if any(not np.array_equal(u, v) for u, v in zip(dst_outputs, yc)):
        raise LayerContractError(f"{name_of}: the model rebuilt from its config gives different outputs")


def _check_summary(name_of, layer, input_shape):
    """Part 5: ``summary`` has a row for every leaf layer and counts the layer's parameters."""
    from .nn.summary import summary_rows

    rows, totals = summary_rows(layer, tuple(input_shape[1:]), batch_size=input_shape[0])
    row_types = {r["type"] for r in rows}
    for m in layer.modules():
        is_leaf = not any(True for _ in m.children())
        if is_leaf and type(m).__name__ not in row_types:
            raise LayerContractError(f"{name_of}: summary has no row for {type(m).__name__}")
    if totals["total"] != layer.num_parameters():
        raise LayerContractError(
            f"{name_of}: summary counts {totals['total']} parameters, the layer has {layer.num_parameters()}"
        )
