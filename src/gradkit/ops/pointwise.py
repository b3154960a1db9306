"""Elementwise functions beyond arithmetic: rounding, special functions, trigonometry, bitwise and logical ops."""

from __future__ import annotations

__all__: list = []
