"""The reasoning tree: clause templates and per-class, per-modality observations (recipes/reasoning_tree.yaml).

It is data, checked on load so that a mistake in a user's edit names the node and the key to fix.
`ReasoningTree.options(...)` answers the one question the sampler asks: which rendered clauses may be
said about a class, with which modality, for a sample whose label path is known to a given depth.
`ReasoningTree.live_cues(...)` answers the question a live face's walk asks: in which modalities does
a live face look unlike an attack class, so that the class can be raised and ruled out.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pafas_cli.data.sample import MODALITIES
from pafas_cli.errors import PafasError
from pafas_cli.paths.files import locate, read_mapping
from pafas_cli.paths.taxonomy import Taxonomy

DEFAULT_FILE = "reasoning_tree.yaml"
# Template kind -> the placeholders each of its templates must use.
TEMPLATE_FIELDS: dict[str, frozenset[str]] = {
    "step": frozenset({"modality", "obs", "node"}),
    "explore": frozenset({"node"}),
    "reflect": frozenset({"modality", "obs", "node"}),
    "verify": frozenset({"modality", "obs"}),
    "conclude": frozenset({"node"}),
    "fallback": frozenset({"node"}),
}
KINDS = ("support", "rule_out")
# Per attack class: the modalities in which a live face looks unlike it (inherited by its subclasses).
UNLIKE_LIVE = "unlike_live"


@dataclass(frozen=True)
class Observation:
    """One noun phrase a sensor shows, with the label paths it is true for."""

    text: str
    only: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()

    def applies(self, known: tuple[str, ...], taxonomy: Taxonomy) -> bool:
        """True when the observation is certainly true of a sample whose label path is `known`.

        `only` needs one of its nodes on the known path; `unless` rejects the clause when the sample is, or
        might be (its annotation stops above the node), in one of the listed classes.
        """
        if self.only and not any(n in known for n in self.only):
            return False
        deepest = known[-1]
        return not any(n in known or deepest in taxonomy.path_to(n)[:-1] for n in self.unless)


@dataclass(frozen=True, eq=False)
class ReasoningTree:
    taxonomy: Taxonomy
    modality_names: dict[str, str]
    templates: dict[str, tuple[str, ...]]
    observations: dict[tuple[str, str, str], tuple[Observation, ...]]  # (kind, node, modality) -> observations
    source: str = "<memory>"
    unlike_live: dict[str, tuple[str, ...]] = field(default_factory=dict)  # attack class -> its own modalities

    @classmethod
    def load(cls, path: str | Path, taxonomy: Taxonomy) -> "ReasoningTree":
        path = Path(path)
        return cls.from_mapping(read_mapping(path), taxonomy, str(path))

    @classmethod
    def from_mapping(cls, data: dict, taxonomy: Taxonomy, source: str = "<memory>") -> "ReasoningTree":
        def fail(message: str) -> PafasError:
            return PafasError(f"{source}: {message}")

        unknown = set(data) - {"modalities", "templates", "nodes"}
        if unknown:
            raise fail(f"unknown key '{sorted(unknown)[0]}' (expected modalities, templates, nodes)")
        names = data.get("modalities") or {}
        if not isinstance(names, dict) or set(names) != set(MODALITIES):
            raise fail(f"'modalities' must map exactly {', '.join(MODALITIES)} to display names")
        templates = _read_templates(data.get("templates"), fail)
        nodes = data.get("nodes")
        if not isinstance(nodes, dict):
            raise fail("'nodes' must be a mapping from taxonomy node names to clauses")
        for name in nodes:
            if name not in taxonomy:
                raise fail(f"node '{name}' is not in the taxonomy {taxonomy.source}")
        observations: dict[tuple[str, str, str], tuple[Observation, ...]] = {}
        unlike_live: dict[str, tuple[str, ...]] = {}
        for node in taxonomy.nodes:
            if node not in nodes:
                raise fail(f"node '{node}' has no entry under 'nodes'")
            entry = nodes[node] or {}
            if not isinstance(entry, dict) or set(entry) - {*KINDS, UNLIKE_LIVE}:
                raise fail(f"node '{node}': expected only the keys {', '.join((*KINDS, UNLIKE_LIVE))}")
            cues = entry.get(UNLIKE_LIVE) or []
            if not isinstance(cues, list) or set(cues) - set(MODALITIES):
                raise fail(f"node '{node}' {UNLIKE_LIVE}: expected a list of modalities ({', '.join(MODALITIES)})")
            if cues and taxonomy.decision(taxonomy.path_to(node)) == 1:
                raise fail(f"node '{node}' {UNLIKE_LIVE}: only attack classes can be ruled out for a live face")
            unlike_live[node] = tuple(m for m in MODALITIES if m in cues)
            for kind in KINDS:
                per_mod = entry.get(kind) or {}
                if not isinstance(per_mod, dict) or set(per_mod) - set(MODALITIES):
                    raise fail(f"node '{node}' {kind}: keys must be modalities ({', '.join(MODALITIES)})")
                for mod in MODALITIES:
                    items = per_mod.get(mod) or []
                    if not isinstance(items, list):
                        raise fail(f"node '{node}' {kind}.{mod}: expected a list of observations")
                    observations[(kind, node, mod)] = tuple(
                        _read_observation(item, f"node '{node}' {kind}.{mod}", taxonomy, fail) for item in items
                    )
        tree = cls(taxonomy, {m: str(names[m]) for m in MODALITIES}, templates, observations, source, unlike_live)
        tree._check_coverage(fail)
        return tree

    def _check_coverage(self, fail) -> None:
        """Every class must be describable, for every label it may be annotated with, by some modality."""
        from pafas_cli.paths.answer import stated_conclusion

        for node in self.taxonomy.nodes:
            contexts = [self.taxonomy.path_to(node)] + [self.taxonomy.path_to(leaf) for leaf in self.taxonomy.leaves
                                                        if node in self.taxonomy.path_to(leaf)]
            for known in contexts:
                if not any(self.options("support", node, m, known) for m in MODALITIES):
                    raise fail(f"node '{node}': no support observation applies to samples labelled "
                               f"{list(known)}; add one without only/unless")
            for template in self.templates["conclude"]:
                if stated_conclusion(template.format(node=node), self.taxonomy) != self.taxonomy.path_to(node):
                    raise fail(f"templates.conclude: {template!r} is not read back as a conclusion for '{node}' "
                               "(it must be one sentence with a marker word such as Verdict, Conclusion or answer)")

    def options(self, kind: str, node: str, modality: str, known: tuple[str, ...]) -> tuple[str, ...]:
        """The observation phrases of `kind` about `node` in `modality` that are true for label path `known`."""
        return tuple(o.text for o in self.observations[(kind, node, modality)] if o.applies(known, self.taxonomy))

    def holds(self, modality: str, text: str, known: tuple[str, ...]) -> bool:
        """Whether "`modality` shows `text`" is true of a face whose label path is `known` (docs/scoring.md).

        True iff the tree states it of that face: `text` is a `support` observation of a class on `known`, or a
        `rule_out` observation of a sibling of a class on `known` (what the other classes under a parent show
        that excludes that sibling), in `modality`, and its `only` / `unless` conditions hold for `known`.
        These are exactly the observations a walk for `known` may state (`options`, as `pnrps` calls it).
        """
        return any(text in self.options("support", node, modality, known)
                   or any(text in self.options("rule_out", other, modality, known)
                          for other in self.taxonomy.siblings(node))
                   for node in known)

    def live_cues(self, node: str) -> tuple[str, ...]:
        """The modalities in which a live face looks unlike attack class `node` (its own and its ancestors').

        A live face's walk rules `node` out by stating what the live class shows in one of them, with
        the live class's own `support` observations, which are true of every live face."""
        own = {m for n in self.taxonomy.path_to(node) for m in self.unlike_live.get(n, ())}
        return tuple(m for m in MODALITIES if m in own)

    def name(self, modality: str) -> str:
        return self.modality_names[modality]


def _read_templates(raw: object, fail) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict):
        raise fail("'templates' must be a mapping of template kinds")
    unknown = set(raw) - set(TEMPLATE_FIELDS)
    if unknown:
        raise fail(f"templates: unknown kind '{sorted(unknown)[0]}' (expected {', '.join(TEMPLATE_FIELDS)})")
    out = {}
    for kind, fields in TEMPLATE_FIELDS.items():
        items = raw.get(kind)
        if not isinstance(items, list) or not items:
            raise fail(f"templates.{kind}: needs a non-empty list of templates")
        for item in items:
            if not isinstance(item, str):
                raise fail(f"templates.{kind}: {item!r} is not a string")
            used = {f for _, f, _, _ in string.Formatter().parse(item) if f is not None}
            if used != fields:
                raise fail(f"templates.{kind}: {item!r} must use exactly the placeholders "
                           f"{', '.join('{' + f + '}' for f in sorted(fields))}")
            if "\n" in item or "<" in item or ">" in item:
                raise fail(f"templates.{kind}: {item!r} may not contain newlines or angle brackets")
        out[kind] = tuple(items)
    return out


def _read_observation(item: object, where: str, taxonomy: Taxonomy, fail) -> Observation:
    if isinstance(item, str):
        item = {"text": item}
    if not isinstance(item, dict) or not isinstance(item.get("text"), str) or set(item) - {"text", "only", "unless"}:
        raise fail(f"{where}: {item!r} must be a phrase or a mapping with text, only, unless")
    text = item["text"].strip()
    if not text or re.search(r"[{}<>\n]", text):
        raise fail(f"{where}: {text!r} must be a non-empty phrase without braces, angle brackets or newlines")
    named = [n for n in taxonomy.nodes if re.search(rf"(?<![A-Za-z]){re.escape(n)}(?![A-Za-z])", text)]
    if named:
        raise fail(f"{where}: {text!r} names the class '{named[0]}'; observations describe what a sensor shows")
    conditions = {}
    for key in ("only", "unless"):
        nodes = item.get(key) or []
        if not isinstance(nodes, list) or any(n not in taxonomy for n in nodes):
            raise fail(f"{where}: {key} must be a list of taxonomy node names, got {nodes!r}")
        conditions[key] = tuple(nodes)
    return Observation(text, **conditions)


@lru_cache(maxsize=8)
def _load_cached(path: str, taxonomy: Taxonomy) -> ReasoningTree:
    return ReasoningTree.load(path, taxonomy)


def load_tree(value: str, taxonomy: Taxonomy) -> ReasoningTree:
    """The reasoning tree named by a recipe value (a path; empty = recipes/reasoning_tree.yaml)."""
    return _load_cached(str(locate(value, DEFAULT_FILE)), taxonomy)


def version_tree(paths_dir: Path) -> ReasoningTree:
    """The reasoning tree a paths version was built with: the copy it keeps, else (versions made before the
    copies) the file its recipe named, read against the version's taxonomy (`version_taxonomy`)."""
    import json

    from pafas_cli.paths.taxonomy import version_taxonomy
    from pafas_cli.spec import TREE_COPY

    taxonomy = version_taxonomy(paths_dir)
    copy = Path(paths_dir) / TREE_COPY
    if copy.is_file():
        return _load_cached(str(copy), taxonomy)
    manifest_file = Path(paths_dir) / "manifest.json"
    manifest = json.loads(manifest_file.read_text(encoding="utf-8")) if manifest_file.is_file() else {}
    return load_tree(((manifest.get("recipe") or {}).get("paths") or {}).get("tree", "") or "", taxonomy)
