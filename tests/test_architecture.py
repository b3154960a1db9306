"""The house: gradkit's subpackages form a one-way stack of layers.

The stack is the import-linter "layers" contract in ``pyproject.toml`` (``[tool.importlinter]``);
this test runs it on this checkout's ``src/`` and fails with import-linter's report, which names
each import that reaches up a layer (module, line and chain). Import-linter sees every
``import`` statement, at top level or inside a function; a second check here refuses the other
way up, importing by a string (``importlib.import_module``, ``importlib.util.find_spec``,
``__import__``), which only the facade ``gradkit/__init__.py`` may do.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"

#: Modules allowed to import by string, with why. The facade loads subpackages on first use.
STRING_IMPORTS_ALLOWED = {
    "gradkit/__init__.py": "the facade: lazy subpackages",
}


def test_subpackages_import_only_their_own_layer_or_lower_ones():
    pytest.importorskip("importlinter")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])  # this checkout, not an install
    proc = subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()",
         "--no-cache"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    report = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"the layers contract in pyproject.toml is broken:\n{report}"
    assert "1 kept, 0 broken" in report, report


def _string_imports(path: Path) -> list[str]:
    """``file:line call`` for each import by string in ``path`` that may name a gradkit module.

    Calls of ``import_module``, ``find_spec`` and ``__import__`` count unless their first
    argument is a literal naming another package (probing an optional dependency such as
    ``find_spec("matplotlib")`` is fine); a computed name counts, as it cannot be checked.
    """
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
        if name not in ("import_module", "find_spec", "__import__"):
            continue
        arg = node.args[0] if node.args else None
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str) \
                and not arg.value.startswith((".", "gradkit")):
            continue
        found.append(f"{path.relative_to(SRC).as_posix()}:{node.lineno} {name}")
    return found


def test_no_module_reaches_up_by_a_string():
    hits = [h for p in sorted((SRC / "gradkit").rglob("*.py")) for h in _string_imports(p)
            if h.split(":")[0] not in STRING_IMPORTS_ALLOWED]
    assert not hits, ("modules import by string, which the layers contract cannot see; import the module "
                      "(from the same or a lower layer) instead:\n" + "\n".join(hits))
