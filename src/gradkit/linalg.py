"""``gk.linalg``: PyTorch's ``torch.linalg`` namespace (norms, inverses, solves and decompositions)."""

from __future__ import annotations

__all__: list = []
