"""Options of ``torch.optim`` that choose an implementation, not a result.

``foreach``, ``fused`` and ``capturable`` select PyTorch kernels (multi-tensor, fused CUDA,
CUDA-graph safe); gradkit has one implementation, the flat-buffer update, so they are accepted
and ignored and a program written for PyTorch runs unchanged. ``differentiable=True`` asks for
an optimizer step that autograd can differentiate through, which gradkit does not offer.
"""

from __future__ import annotations


def check_torch_only_options(name: str, foreach=None, fused=None, capturable=False, differentiable=False) -> None:
    """Accept PyTorch's implementation switches; raise for ``differentiable=True``.

    Args:
        name: the optimizer's name, for the message.
        foreach, fused, capturable: accepted and ignored (gradkit's flat update serves every case).
        differentiable: must be false.

    Raises:
        NotImplementedError: when ``differentiable`` is true.

    Example:
        >>> check_torch_only_options("Adam", foreach=True)
    """
    if differentiable:
        raise NotImplementedError(
            f"{name}(differentiable=True): gradkit's optimizer steps are not differentiable; "
            "write the update with gradkit ops under enable_grad to differentiate through it"
        )
