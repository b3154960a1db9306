"""Selection and indexing ops: gather, scatter, index_*, masked_*, sort, topk, unique and friends."""

from __future__ import annotations

__all__: list = []
