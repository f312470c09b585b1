"""Layers point one way: `commands/` (and the CLI) may import the packages, never the reverse.

Checked on the source with `ast`, so an import inside a function counts too: the two cycles this rule
removed (the training worker importing the commands, the protocol builder calling up into `pafas synth`)
were both function-level imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "pafas_cli"
TOP = {"cli.py", "__main__.py"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_no_package_module_imports_the_commands():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "commands" or str(rel) in TOP or "recipes" in rel.parts:
            continue
        bad = sorted(n for n in _imports(path) if n == "pafas_cli.commands" or n.startswith("pafas_cli.commands."))
        offenders += [f"{rel}: {name}" for name in bad]
    assert not offenders, "package modules import commands/ (layers must point one way):\n" + "\n".join(offenders)


def test_loading_a_recipe_stays_light():
    """Reading a recipe must not pull in numpy, torch or the dataset adapters. (The reward registry is read,
    on purpose: a mistyped reward name is a recipe error, found before any model loads; it imports no
    numerical library.)"""
    import subprocess
    import sys

    code = ("import sys; from pafas_cli.config import load_recipe; load_recipe(None, []); "
            "print(','.join(m for m in ('numpy', 'torch', 'transformers', 'pafas_cli.data.sources', "
            "'pafas_cli.data.protocols') if m in sys.modules))")
    heavy = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert heavy == "", f"loading a recipe imported {heavy}"


def test_the_light_list_of_source_names_is_the_adapter_registry():
    """data/config.py keeps the source names so a recipe validates without importing the adapters; the two
    must name the same sources."""
    from pafas_cli.data.config import SOURCE_NAMES
    from pafas_cli.data.sources import SOURCES

    assert set(SOURCE_NAMES) == set(SOURCES)
