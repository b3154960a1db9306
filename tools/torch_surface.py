#!/usr/bin/env python3
"""Build docs/torch_surface.md, the list of the PyTorch tensor surface gradkit supports, from the code.

Run it as ``python dev.py surface`` (or ``python tools/torch_surface.py``). The page is made
from three things only, so it cannot drift from the code:

- gradkit itself: ``hasattr(gk.Tensor, name)`` and ``hasattr(gk, name)``;
- the names PyTorch has, kept in ``tools/torch_surface_names.txt`` (public ``torch.Tensor``
  attributes and operators, public ``torch.*`` functions and classes); with PyTorch installed, this script
  rewrites that file from ``dir(torch.Tensor)`` and ``dir(torch)`` first;
- gradkit's tables of names it lacks on purpose (``gradkit.errors.TENSOR_EQUIVALENTS`` and
  ``MODULE_EQUIVALENTS``) and the deliberate differences listed below.

tests/docs/test_torch_surface.py fails when the checked-in page differs from what this script
makes. ``--check`` exits 1 in that case without writing.
"""

from __future__ import annotations

import sys
import textwrap
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "torch_surface.md"
NAMES = ROOT / "tools" / "torch_surface_names.txt"
COMMAND = "python dev.py surface"

# torch.Tensor dunders that are Python 2 leftovers or torch internals, not part of the tensor API
_SKIP_DUNDERS = {
    "__annotations__", "__dict__", "__module__", "__weakref__", "__torch_dispatch__", "__torch_function__",
    "__dlpack_c_exchange_api__", "__setstate__", "__array_priority__", "__array_wrap__", "__div__", "__idiv__",
    "__rdiv__", "__long__", "__nonzero__", "__cuda_array_interface__",
}

DIFFERENCES = [
    ("dtypes are NumPy dtypes",
     "`gk.float32 is np.dtype('float32')`, the object `t.dtype` returns, so `t.dtype == gk.float32` and "
     "`t.dtype is gk.float32` hold as in PyTorch and NumPy accepts gradkit's dtypes; they print as "
     "`dtype('float32')` and have NumPy's attributes (`itemsize`, `kind`), not `is_floating_point` "
     "(use `t.is_floating_point()` or `gk.is_floating_point(t)`)."),
    ("no bfloat16",
     "NumPy has no bfloat16: `gk.bfloat16` exists so code naming it imports, and every use of it "
     "(`dtype=gk.bfloat16`, `.bfloat16()`, `.to(gk.bfloat16)`) raises `gk.errors.DtypeError` saying so."),
    ("devices are also strings",
     "`t.device` is a `gk.device` with torch's `type`, `index`, `str` and `repr`; it is also a `str` and "
     "equals a device name of its type (`t.device == 'cpu'`; `'cuda'` equals `'cuda:0'`), where "
     "`torch.device('cpu') == 'cpu'` is False. gradkit uses CuPy's current GPU; the index is not used to pick one."),
    ("type names",
     "`t.type()` returns `'gradkit.FloatTensor'` (`'gradkit.cuda.FloatTensor'` on a GPU); `t.type(...)` accepts "
     "both `'torch.FloatTensor'` and `'gradkit.FloatTensor'`. The legacy classes (`torch.FloatTensor`) do not exist: "
     "`gk.FloatTensor` says to use `gk.tensor(data, dtype=gk.float32)`."),
    ("empty is zeros", "`gk.empty`, `empty_like` and `new_empty` return zeros, never uninitialized memory."),
    ("random streams",
     "Random numbers come from one NumPy PCG64 generator seeded by `gk.manual_seed`: a seed reproduces "
     "gradkit's numbers (the same on every device), not torch's. `gk.cuda.manual_seed(_all)` only checks its "
     "argument."),
    ("numpy() of a tensor that requires grad",
     "`t.numpy()` returns the values of a tensor that requires grad (torch asks for `t.detach().numpy()` first), "
     "and `__dlpack__` exports it; `force=` is accepted and changes nothing."),
    ("size is also a number",
     "`t.size()` and `t.size(dim)` work as in PyTorch; `t.size` without a call is the element count, as in NumPy."),
    ("errors", "Misuses for which torch raises `RuntimeError` raise `gk.errors.ShapeError`, `DtypeError`, "
               "`DeviceError` or `GraphFreedError`, all `RuntimeError` subclasses; `ShapeError` is also a "
               "`ValueError` and `DtypeError` a `TypeError`, which gradkit raised before."),
]


# --------------------------------------------------------------------------- the names PyTorch has
def torch_names(torch) -> dict:
    """``{'version', 'tensor', 'torch'}``: the public torch.Tensor names and torch.* functions and classes."""
    tensor = sorted(n for n in dir(torch.Tensor) if not n.startswith("_")
                    or (n.startswith("__") and n.endswith("__") and n not in dir(object) and n not in _SKIP_DUNDERS))
    funcs = []
    for n in dir(torch):
        if n.startswith("_"):
            continue
        obj = getattr(torch, n, None)
        if callable(obj) and not isinstance(obj, types.ModuleType):
            funcs.append(n)
    return {"version": torch.__version__, "tensor": tensor, "torch": sorted(funcs)}


def write_names(names: dict) -> None:
    lines = [f"# torch {names['version']}: public torch.Tensor names, then torch.* functions and classes ({COMMAND})",
             "[tensor]", *names["tensor"], "[torch]", *names["torch"]]
    NAMES.write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_names() -> dict:
    text = NAMES.read_text(encoding="utf-8").splitlines()
    version = text[0].split()[2].rstrip(":")
    at = text.index("[torch]")
    return {"version": version, "tensor": text[text.index("[tensor]") + 1:at], "torch": text[at + 1:]}


# --------------------------------------------------------------------------- the page
def _names(names) -> str:
    """Names as backticked, comma-separated, wrapped lines."""
    if not names:
        return "(none)"
    return "\n".join(textwrap.wrap(", ".join(f"`{n}`" for n in names), 110, break_on_hyphens=False))


def _section(title, owner, torch_list, has, table, extra):
    supported = [n for n in torch_list if has(n)]
    equivalents = sorted(n for n in table if not has(n))  # (the torch.* table also names classes and modules)
    missing = [n for n in torch_list if not has(n) and n not in table]
    out = [f"## {title}", "",
           f"gradkit has {len(supported)} of the {len(torch_list)} {owner} names.", "",
           f"### Supported ({len(supported)})", "", _names(supported), "",
           f"### Not supported, with what to use instead ({len(equivalents)})", ""]
    out += [f"- `{n}`: {table[n]}" for n in equivalents] or ["(none)"]
    out += ["", f"### Not supported yet ({len(missing)})", "", _names(missing), "",
            f"### gradkit only ({len(extra)})", "", _names(extra), ""]
    return out, len(supported)


def render(names: dict) -> str:
    """The page's text from gradkit and the recorded torch names."""
    sys.path.insert(0, str(ROOT / "src"))
    import gradkit as gk
    from gradkit import errors

    tensor_extra = sorted(n for n in dir(gk.Tensor) if not n.startswith("_") and n not in names["tensor"])
    gk_funcs = sorted(n for n in dir(gk) if not n.startswith("_") and n not in gk._LAZY and callable(getattr(gk, n))
                      and not isinstance(getattr(gk, n), types.ModuleType))
    gk_extra = [n for n in gk_funcs if n not in names["torch"]]
    t_sec, t_n = _section("`torch.Tensor` attributes, methods and operators", "public `torch.Tensor`",
                          names["tensor"], lambda n: hasattr(gk.Tensor, n), errors.TENSOR_EQUIVALENTS, tensor_extra)
    f_sec, f_n = _section("`torch.*` functions and classes (`gk.*`)", "public `torch.*` function and class",
                          names["torch"], lambda n: n in dir(gk) or hasattr(gk, n), errors.MODULE_EQUIVALENTS,
                          gk_extra)
    head = [
        "# The PyTorch tensor surface in gradkit", "",
        f"Generated from the code by `{COMMAND}` (tools/torch_surface.py); do not edit by hand. "
        "tests/docs/test_torch_surface.py fails when this page and the code disagree.", "",
        f"Against torch {names['version']}: gradkit has {t_n} of the {len(names['tensor'])} public `torch.Tensor` "
        f"names and {f_n} of the {len(names['torch'])} public `torch.*` functions and classes. "
        "A name gradkit lacks raises "
        "`AttributeError` naming it, and, where gradkit has an equivalent, saying which "
        "(`gradkit.errors.TENSOR_EQUIVALENTS`, `MODULE_EQUIVALENTS`).", "",
        "## Deliberate differences", "",
    ]
    head += [f"- **{title}.** {text}" for title, text in DIFFERENCES]
    return "\n".join(head + [""] + t_sec + f_sec).rstrip("\n") + "\n"


def main(argv: list[str]) -> int:
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None and "--check" not in argv:
        write_names(torch_names(torch))
    text = render(read_names())
    if "--check" in argv:
        same = PAGE.exists() and PAGE.read_text(encoding="utf-8") == text
        print("docs/torch_surface.md is up to date" if same else f"docs/torch_surface.md is stale: run {COMMAND}")
        return 0 if same else 1
    PAGE.write_text(text, encoding="utf-8")
    print(f"wrote {PAGE.relative_to(ROOT)}" + ("" if torch else " (torch not installed: names from the last snapshot)"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
