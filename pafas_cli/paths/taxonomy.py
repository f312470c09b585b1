"""The FAS label taxonomy: a tree of named classes, read from `recipes/taxonomy.yaml`.

Code never hard-codes class names; it asks the taxonomy. Answers are paths of node names from the
top (`('Spoof Face', 'External Spoofing Attacks', ...)`), so every node name is unique and the
taxonomy can turn any name back into its path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pafas_cli.errors import PafasError
from pafas_cli.paths.files import locate, read_mapping

DEFAULT_FILE = "taxonomy.yaml"
# Characters that would make a name ambiguous inside a Python-style answer list or the tags around it.
FORBIDDEN = re.compile(r"['\"\[\]<>\\]")


@dataclass(frozen=True, eq=False)
class Taxonomy:
    """A rooted tree of class names; `children(None)` are the top-level classes (compared by identity)."""

    live: str
    kids: dict[str | None, tuple[str, ...]]
    parents: dict[str, str | None]
    source: str = "<memory>"

    @classmethod
    def load(cls, path: str | Path) -> "Taxonomy":
        """Read and check a taxonomy YAML file (`live:` and a nested `tree:` mapping)."""
        path = Path(path)
        return cls.from_mapping(read_mapping(path), str(path))

    @classmethod
    def from_mapping(cls, data: dict, source: str = "<memory>") -> "Taxonomy":
        unknown = set(data) - {"live", "tree"}
        if unknown:
            raise PafasError(f"{source}: unknown key '{sorted(unknown)[0]}' (expected 'live' and 'tree')")
        tree = data.get("tree")
        if not isinstance(tree, dict) or not tree:
            raise PafasError(f"{source}: 'tree' must be a non-empty mapping of node names")
        kids: dict[str | None, tuple[str, ...]] = {}
        parents: dict[str, str | None] = {}

        def add(parent: str | None, mapping: dict) -> None:
            names = []
            for name, children in mapping.items():
                if not isinstance(name, str) or not name.strip() or name != name.strip():
                    raise PafasError(f"{source}: node {name!r} under {parent or 'the root'}: names must be "
                                     "non-empty strings without surrounding spaces")
                if FORBIDDEN.search(name):
                    raise PafasError(f"{source}: node '{name}': names may not contain quotes, brackets, <, > or \\")
                if name in parents:
                    raise PafasError(f"{source}: node '{name}' appears twice (names must be unique)")
                if children is not None and not isinstance(children, dict):
                    raise PafasError(f"{source}: node '{name}': children must be a mapping ({{}} for a leaf), "
                                     f"got {children!r}")
                parents[name] = parent
                names.append(name)
                add(name, children or {})
            kids[parent] = tuple(names)

        add(None, tree)
        live = data.get("live")
        if live not in kids[None]:
            raise PafasError(f"{source}: 'live' must name a top-level node ({', '.join(kids[None])}); got {live!r}")
        if len(kids[None]) < 2:
            raise PafasError(f"{source}: the tree needs the live class and at least one attack class at the top")
        return cls(live=live, kids=kids, parents=parents, source=source)

    # -- structure ---------------------------------------------------------------------------
    @property
    def nodes(self) -> tuple[str, ...]:
        """Every node name, depth-first in file order."""
        return tuple(self.parents)

    def __contains__(self, name: object) -> bool:
        return name in self.parents

    def children(self, node: str | None) -> tuple[str, ...]:
        return self.kids.get(node, ())

    def parent(self, node: str) -> str | None:
        self._check(node)
        return self.parents[node]

    def siblings(self, node: str) -> tuple[str, ...]:
        """The other children of `node`'s parent (the wrong turns at that level)."""
        return tuple(n for n in self.children(self.parent(node)) if n != node)

    def is_leaf(self, node: str) -> bool:
        self._check(node)
        return not self.kids.get(node)

    @property
    def leaves(self) -> tuple[str, ...]:
        return tuple(n for n in self.nodes if not self.kids.get(n))

    def path_to(self, node: str) -> tuple[str, ...]:
        """The names from the top level down to `node`."""
        self._check(node)
        path = [node]
        while (up := self.parents[path[-1]]) is not None:
            path.append(up)
        return tuple(reversed(path))

    def level(self, node: str) -> int:
        """1 for a top-level class, 5 for the leaves of the shipped taxonomy."""
        return len(self.path_to(node))

    @property
    def depth(self) -> int:
        """The longest answer (names below the implicit root); 5 for the shipped taxonomy.

        The paper's D counts the root too, so its path-length cap alpha*(D-1) is alpha * depth here.
        """
        return max(self.level(n) for n in self.leaves)

    def descendants(self, node: str) -> tuple[str, ...]:
        out: list[str] = []
        stack = list(reversed(self.children(node)))
        while stack:
            name = stack.pop()
            out.append(name)
            stack.extend(reversed(self.children(name)))
        return tuple(out)

    def is_valid_path(self, nodes: Sequence[str]) -> bool:
        """True for a non-empty top-down chain of names (any depth, not necessarily to a leaf)."""
        parent: str | None = None
        for name in nodes:
            if name not in self.parents or self.parents[name] != parent:
                return False
            parent = name
        return len(nodes) > 0

    def decision(self, nodes: Sequence[str]) -> int:
        """1 (live) when the path starts at the live class, else 0 (spoof)."""
        return 1 if nodes[0] == self.live else 0

    def _check(self, node: str) -> None:
        if node not in self.parents:
            raise KeyError(f"'{node}' is not a node of the taxonomy {self.source}")


@lru_cache(maxsize=8)
def _load_cached(path: str) -> Taxonomy:
    return Taxonomy.load(path)


def load_taxonomy(value: str = "") -> Taxonomy:
    """The taxonomy named by a recipe value (a path; empty = recipes/taxonomy.yaml)."""
    return _load_cached(str(locate(value, DEFAULT_FILE)))


def default_taxonomy() -> Taxonomy:
    """The shipped taxonomy (recipes/taxonomy.yaml)."""
    return load_taxonomy("")


def version_taxonomy(paths_dir: Path) -> Taxonomy:
    """The taxonomy a paths version was built with: the copy it keeps, else (versions made before the copy)
    the file its recipe named.

    Training rewards and evaluation must parse answers against the labels the data was built from,
    not whatever the shipped file says today.
    """
    from pafas_cli.spec import TAXONOMY_COPY

    copy = Path(paths_dir) / TAXONOMY_COPY
    if copy.is_file():
        return _load_cached(str(copy))
    manifest_file = Path(paths_dir) / "manifest.json"
    manifest = json.loads(manifest_file.read_text(encoding="utf-8")) if manifest_file.is_file() else {}
    return load_taxonomy(((manifest.get("recipe") or {}).get("paths") or {}).get("taxonomy", "") or "")
