"""Module hooks: forward pre/post hooks, full backward hooks and the global (every-module) hooks.

As in PyTorch:

* ``register_forward_pre_hook(hook)``: ``hook(module, args)`` before ``forward``; a returned
  value replaces the positional arguments (``with_kwargs=True``: ``hook(module, args, kwargs)``
  returning ``(args, kwargs)``).
* ``register_forward_hook(hook)``: ``hook(module, args, output)`` after it; a returned value
  replaces the output (``with_kwargs=True``: ``hook(module, args, kwargs, output)``).
* ``register_full_backward_pre_hook(hook)``: ``hook(module, grad_output)`` when the gradients
  of the module's outputs are known; a returned tuple replaces them.
* ``register_full_backward_hook(hook)``: ``hook(module, grad_input, grad_output)`` when the
  gradients of its tensor inputs are known; a returned tuple replaces ``grad_input``. Inputs
  that do not require grad get ``None``; when none does, the hook fires with all ``None`` once
  ``grad_output`` is known.

Backward hooks work by passing the module's tensor inputs and outputs through two identity
ops whose backward calls the hooks; the ordinary call path (no hooks) is untouched.
:func:`register_module_forward_hook` and its siblings register a hook for *every* module
(``torch.nn.modules.module.register_module_forward_hook``); global hooks run before a
module's own.

Example:
    >>> import gradkit as gk
    >>> lin = gk.nn.Linear(3, 2)
    >>> seen = []
    >>> h = lin.register_full_backward_hook(lambda m, gi, go: seen.append((gi[0].shape, go[0].shape)))
    >>> lin(gk.ones(4, 3, requires_grad=True)).sum().backward()
    >>> seen
    [((4, 3), (4, 2))]
"""

from __future__ import annotations

from collections import OrderedDict

from ..autograd.function import Op
from ..autograd.grad_mode import is_grad_enabled
from ..tensor import Tensor

__all__ = [
    "RemovableHandle", "register_module_forward_pre_hook", "register_module_forward_hook",
    "register_module_full_backward_pre_hook", "register_module_full_backward_hook",
]


class RemovableHandle:
    """Returned by hook registration; ``remove()`` unregisters the hook (also as a context manager)."""

    _next_id = 0

    def __init__(self, hooks: dict, *extra: set):
        self._hooks = hooks
        self._extra = extra
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        """Unregister the hook (a second call does nothing)."""
        self._hooks.pop(self.id, None)
        for s in self._extra:
            s.discard(self.id)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


_global_forward_pre_hooks: OrderedDict = OrderedDict()
_global_forward_hooks: OrderedDict = OrderedDict()
_global_backward_pre_hooks: OrderedDict = OrderedDict()
_global_backward_hooks: OrderedDict = OrderedDict()
_global_with_kwargs: set = set()
#: ids of every registered global hook; Module.__call__ reads it (one truth test) on its fast path.
global_hook_ids: set = set()


def _add(store, hook, prepend=False, with_kwargs=None, kw_set=None, is_global=False):
    extra = tuple(s for s in (kw_set, global_hook_ids if is_global else None) if s is not None)
    handle = RemovableHandle(store, *extra)
    store[handle.id] = hook
    if is_global:
        global_hook_ids.add(handle.id)
    if prepend:
        store.move_to_end(handle.id, last=False)
    if with_kwargs:
        kw_set.add(handle.id)
    return handle


def register_module_forward_pre_hook(hook) -> RemovableHandle:
    """Call ``hook(module, args)`` before every module's ``forward`` (a returned value replaces the args).

    Returns:
        A handle whose ``remove()`` unregisters the hook.

    Example:
        >>> import gradkit as gk
        >>> calls = []
        >>> with gk.nn.module.register_module_forward_pre_hook(lambda m, a: calls.append(type(m).__name__)):
        ...     _ = gk.nn.Sequential(gk.nn.Linear(2, 2), gk.nn.ReLU())(gk.ones(1, 2))
        >>> calls
        ['Sequential', 'Linear', 'ReLU']
    """
    return _add(_global_forward_pre_hooks, hook, is_global=True)


def register_module_forward_hook(hook, *, with_kwargs: bool = False) -> RemovableHandle:
    """Call ``hook(module, args, output)`` after every module's ``forward`` (a returned value replaces the output).

    Args:
        hook: the callable.
        with_kwargs: call ``hook(module, args, kwargs, output)`` instead.

    Returns:
        A handle whose ``remove()`` unregisters the hook.
    """
    return _add(_global_forward_hooks, hook, with_kwargs=with_kwargs, kw_set=_global_with_kwargs, is_global=True)


def register_module_full_backward_pre_hook(hook) -> RemovableHandle:
    """Call ``hook(module, grad_output)`` for every module in backward (see the module docstring).

    Returns:
        A handle whose ``remove()`` unregisters the hook.
    """
    return _add(_global_backward_pre_hooks, hook, is_global=True)


def register_module_full_backward_hook(hook) -> RemovableHandle:
    """Call ``hook(module, grad_input, grad_output)`` for every module in backward.

    Returns:
        A handle whose ``remove()`` unregisters the hook.
    """
    return _add(_global_backward_hooks, hook, is_global=True)


# ----------------------------------------------------------------------------- backward hooks
def _flatten(out):
    """The tensors of a (nested tuple/list) output, and a function rebuilding it from new tensors."""
    if isinstance(out, Tensor):
        return [out], lambda ts: ts[0]
    if isinstance(out, (tuple, list)):
        parts = [_flatten(o) for o in out]
        flat = [t for p, _ in parts for t in p]

        def rebuild(ts):
            res, k = [], 0
            for p, rb in parts:
                res.append(rb(ts[k:k + len(p)]))
                k += len(p)
            return type(out)(res) if not hasattr(out, "_fields") else type(out)(*res)

        return flat, rebuild
    return [], lambda ts: out


def _check_grads(new, old, what, module):
    if not isinstance(new, (tuple, list)) or len(new) != len(old):
        raise RuntimeError(
            f"backward hook of {type(module).__name__} returned {what} with {len(new) if isinstance(new, (tuple, list)) else 'no'}"
            f" entries, expected a tuple of {len(old)}"
        )
    return tuple(new)


class _HookState:
    def __init__(self, module, hooks, pre_hooks, n_inputs):
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks
        self.n_inputs = n_inputs
        self.input_pos = []  # positions (among the tensor args) that went through the input op
        self.grad_output = None

    def fire(self, grad_input):
        for hook in self.hooks:
            res = hook(self.module, grad_input, self.grad_output)
            if res is not None:
                grad_input = _check_grads(res, grad_input, "grad_input", self.module)
        return grad_input


class _BackwardHookIn(Op):
    """Identity on the module's inputs; its backward calls the full backward hooks."""

    def __init__(self, state):
        self.state = state

    def forward(self, *arrays):
        return tuple(a.view() for a in arrays)

    def backward(self, *grads):
        st = self.state
        full = [None] * st.n_inputs
        for pos, g in zip(st.input_pos, grads):
            full[pos] = g
        full = st.fire(tuple(full))
        return tuple(full[pos] for pos in st.input_pos)


class _BackwardHookOut(Op):
    """Identity on the module's outputs; its backward calls the backward pre-hooks and keeps grad_output."""

    def __init__(self, state):
        self.state = state

    def forward(self, *arrays):
        return tuple(a.view() for a in arrays)

    def backward(self, *grads):
        st = self.state
        for hook in st.pre_hooks:
            res = hook(st.module, grads)
            if res is not None:
                grads = _check_grads(res, grads, "grad_output", st.module)
        st.grad_output = grads
        if not st.input_pos:  # no input needs a gradient: fire now, as PyTorch
            st.fire((None,) * st.n_inputs)
        return grads


def call_with_backward_hooks(module, args, kwargs, hooks, pre_hooks):
    """Run ``module.forward`` with its tensor inputs and outputs wrapped for the backward hooks."""
    if not is_grad_enabled():
        return module.forward(*args, **kwargs)
    tensor_idx = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    state = _HookState(module, hooks, pre_hooks, len(tensor_idx))
    state.input_pos = [k for k, i in enumerate(tensor_idx) if args[i].requires_grad]
    if state.input_pos:
        wrapped = _BackwardHookIn(state)(*[args[tensor_idx[k]] for k in state.input_pos])
        args = list(args)
        for k, w in zip(state.input_pos, wrapped):
            args[tensor_idx[k]] = w
        args = tuple(args)
    out = module.forward(*args, **kwargs)
    flat, rebuild = _flatten(out)
    live = [k for k, t in enumerate(flat) if t.requires_grad]
    if not live:
        return out
    wrapped = _BackwardHookOut(state)(*[flat[k] for k in live])
    flat = list(flat)
    for k, w in zip(live, wrapped):
        flat[k] = w
    return rebuild(flat)


def call_module(module, args, kwargs):
    """A module call with hooks: global and own forward pre-hooks, forward (wrapped for backward hooks), forward hooks."""
    kw_ids = module._forward_hooks_with_kwargs
    for hid, hook in list(_global_forward_pre_hooks.items()) + list(module._forward_pre_hooks.items()):
        if hid in kw_ids:
            res = hook(module, args, kwargs)
            if res is not None:
                if not (isinstance(res, tuple) and len(res) == 2):
                    raise RuntimeError(
                        f"forward pre-hook with kwargs of {type(module).__name__} must return None or (args, kwargs)"
                    )
                args, kwargs = res
                args = args if isinstance(args, tuple) else (args,)
        else:
            res = hook(module, args)
            if res is not None:
                args = res if isinstance(res, tuple) else (res,)
    hooks = list(_global_backward_hooks.values()) + list(module._backward_hooks.values())
    pre_hooks = list(_global_backward_pre_hooks.values()) + list(module._backward_pre_hooks.values())
    if hooks or pre_hooks:
        out = call_with_backward_hooks(module, args, kwargs, hooks, pre_hooks)
    else:
        out = module.forward(*args, **kwargs)
    for hid, hook in list(_global_forward_hooks.items()) + list(module._forward_hooks.items()):
        with_kw = hid in kw_ids or hid in _global_with_kwargs
        res = hook(module, args, kwargs, out) if with_kw else hook(module, args, out)
        if res is not None:
            out = res
    if not (module._forward_pre_hooks or module._forward_hooks or module._backward_hooks
            or module._backward_pre_hooks):
        object.__setattr__(module, "_has_hooks", False)  # all removed: back to the fast path
    return out


class HooksMixin:
    """The hook-registration methods of :class:`~gradkit.nn.module.Module` (see the module docstring)."""

    def register_forward_pre_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False) -> RemovableHandle:
        """Call ``hook(module, args)`` before ``forward``; a returned value replaces the args.

        Args:
            hook: the callable.
            prepend: run it before the hooks already registered.
            with_kwargs: call ``hook(module, args, kwargs)``, which may return ``(args, kwargs)``.

        Returns:
            A handle whose ``remove()`` unregisters the hook.

        Example:
            >>> import gradkit as gk
            >>> lin = gk.nn.Linear(2, 2)
            >>> h = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
            >>> lin(gk.ones(1, 2)).tolist() == [lin.bias.tolist()]
            True
        """
        object.__setattr__(self, "_has_hooks", True)
        return _add(self._forward_pre_hooks, hook, prepend, with_kwargs, self._forward_hooks_with_kwargs)

    def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after ``forward``; a returned value replaces the output.

        ``args`` is the tuple of positional arguments. Used by ``summary`` and the
        training-health monitor to watch activations.

        Args:
            hook: the callable.
            prepend: run it before the hooks already registered.
            with_kwargs: call ``hook(module, args, kwargs, output)``.
            always_call: accepted for PyTorch compatibility.

        Returns:
            A handle whose ``remove()`` unregisters the hook.

        Example:
            >>> import gradkit as gk
            >>> lin = gk.nn.Linear(2, 3)
            >>> seen = []
            >>> h = lin.register_forward_hook(lambda m, inp, out: seen.append(out.shape))
            >>> _ = lin(gk.zeros(4, 2)); h.remove(); _ = lin(gk.zeros(1, 2))
            >>> seen
            [(4, 3)]
        """
        object.__setattr__(self, "_has_hooks", True)
        return _add(self._forward_hooks, hook, prepend, with_kwargs, self._forward_hooks_with_kwargs)

    def register_full_backward_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(module, grad_output)`` in backward; a returned tuple replaces ``grad_output``.

        Returns:
            A handle whose ``remove()`` unregisters the hook.
        """
        object.__setattr__(self, "_has_hooks", True)
        return _add(self._backward_pre_hooks, hook, prepend)

    def register_full_backward_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(module, grad_input, grad_output)`` in backward; a returned tuple replaces ``grad_input``.

        Returns:
            A handle whose ``remove()`` unregisters the hook.
        """
        object.__setattr__(self, "_has_hooks", True)
        return _add(self._backward_hooks, hook, prepend)

    def register_backward_hook(self, hook) -> RemovableHandle:
        """PyTorch's deprecated name: registers ``hook`` as a full backward hook."""
        return self.register_full_backward_hook(hook)
