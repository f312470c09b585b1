"""Layers point one way, and nothing inside pafas_cli imports in a circle.

Checked on the source with `ast`, so an import inside a function counts too: the cycles these rules removed
(the training worker importing the commands, the protocol builder calling up into `pafas synth`, build-paths'
shortcut check importing eval's metrics, the WMCA and list adapters importing each other) were mostly
function-level imports. Each rule is also run on a small planted package, where it must find the fault.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "pafas_cli"
TOP = {"cli.py", "__main__.py"}


def modules(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package at `root` (its recipes link left out)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).with_suffix("")
        if "recipes" in rel.parts:
            continue
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        found[".".join(parts)] = path
    return found


def imports(path: Path, name: str, known: dict[str, Path]) -> set[str]:
    """The package modules `path` imports (resolved to the longest known module name), itself left out."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            names.add(base)
            names |= {f"{base}.{alias.name}" for alias in node.names}
    out = set()
    for imported in names:
        while imported and imported not in known:
            imported = imported.rpartition(".")[0]
        if imported and imported != name:
            out.add(imported)
    return out


def import_graph(root: Path) -> dict[str, set[str]]:
    known = modules(root)
    return {name: imports(path, name, known) for name, path in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Subpackage (`pafas_cli.train`) -> the subpackages it imports. The foundation is no node: the top-level
    modules and the recipe sections (`<package>/config.py`, which `config.py` gathers into the recipe); its
    cycles are module cycles, checked as such."""
    packages = {".".join(m.split(".")[:2]) for m in graph if m.count(".") >= 2}

    def package_of(module: str) -> str | None:
        parts = module.split(".")
        if len(parts) > 2 and parts[-1] == "config":
            return None
        name = ".".join(parts[:2])
        return name if name in packages else None

    out: dict[str, set[str]] = {}
    for module, targets in graph.items():
        mine = package_of(module)
        if mine is not None:
            out.setdefault(mine, set()).update(p for t in targets if (p := package_of(t)) not in (None, mine))
    return out


def command_imports(graph: dict[str, set[str]], root_name: str = "pafas_cli") -> list[str]:
    """'a -> b' for every import of the commands package from a module that may not: a package module, or a
    command importing another command (shared helpers belong in the layer below)."""
    commands = f"{root_name}.commands"
    bad = []
    for module, targets in sorted(graph.items()):
        if module in (f"{root_name}.cli", f"{root_name}.__main__") or module == commands:
            continue
        for target in sorted(targets):
            if target == commands or target.startswith(commands + "."):
                if module.startswith(commands + ".") and target == commands:
                    continue
                bad.append(f"{module} -> {target}")
    return bad


def test_no_package_module_and_no_command_imports_a_command():
    offenders = command_imports(import_graph(PACKAGE))
    assert not offenders, "imports of commands/ outside the CLI:\n" + "\n".join(offenders)


def test_no_import_cycle_among_modules_or_packages():
    graph = import_graph(PACKAGE)
    assert cycles(graph) == [], "modules importing each other in a circle"
    assert cycles(package_graph(graph)) == [], "packages importing each other in a circle"


def _planted(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pafas_cli"
    for rel, text in {"__init__.py": "", "commands/__init__.py": "", **files}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_the_rules_find_a_planted_command_import_and_planted_cycles(tmp_path):
    root = _planted(tmp_path, {
        "commands/serve.py": "def run():\n    from pafas_cli.commands.eval import model_name\n",
        "commands/eval.py": "from pafas_cli.infer import report\n",
        "infer/__init__.py": "", "infer/report.py": "",
        "data/__init__.py": "", "data/sources/__init__.py": "",
        "data/sources/wmca.py": "from pafas_cli.data.sources.listfile import candidates\n",
        "data/sources/listfile.py": "def read():\n    from .wmca import per_attack_map\n",
        "paths/__init__.py": "", "paths/build.py": "from pafas_cli.infer.report import auc\n",
        "infer/predict.py": "from pafas_cli.paths import build\n",
        "infer/config.py": "", "config.py": "from pafas_cli.infer.config import EvalConfig\n",
        "infer/plan.py": "from pafas_cli.config import Recipe\n", "plan.py": "from pafas_cli.config import Recipe\n",
    })
    graph = import_graph(root)
    assert command_imports(graph) == ["pafas_cli.commands.serve -> pafas_cli.commands.eval"]
    assert cycles(graph) == [["pafas_cli.data.sources.listfile", "pafas_cli.data.sources.wmca"]]
    # paths -> infer -> paths is a cycle of packages; config <-> infer through a section module is not.
    assert cycles(package_graph(graph)) == [["pafas_cli.infer", "pafas_cli.paths"]]


def test_loading_a_recipe_stays_light():
    """Reading a recipe must not pull in numpy, torch or the dataset adapters. (The reward registry is read,
    on purpose: a mistyped reward name is a recipe error, found before any model loads; it imports no
    numerical library.)"""
    code = ("import sys; from pafas_cli.config import load_recipe; load_recipe(None, []); "
            "print(','.join(m for m in ('numpy', 'torch', 'transformers', 'pafas_cli.data.sources', "
            "'pafas_cli.data.protocols') if m in sys.modules))")
    heavy = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert heavy == "", f"loading a recipe imported {heavy}"
