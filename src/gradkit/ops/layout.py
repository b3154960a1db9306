"""Layout ops beyond reshaping: flip, roll, rot90, tril/triu, diagonals, repeat, tile, unfold and friends."""

from __future__ import annotations

__all__: list = []
