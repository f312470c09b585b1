"""The clause reader: a generated reasoning read back into the reasoning tree's clauses.

A reasoning is the tree's templates filled in (`pnrps` renders them: "{modality} shows {obs}, pointing to
{node}."). `ClauseReader` compiles each template of a tree into a pattern over words, so a tree with other
templates, modality names or observations reads its own text and nothing here names today's wording. Each
sentence becomes one `Clause`: its template kind (step / explore / reflect / verify / conclude, and fallback,
the tree's step without an observation), the modality it cites, the tree's observation phrase and the taxonomy
node it names. A clause that fits no template, or whose observation is not one of the tree's, stays in the
reading with `kind=None`: unparsed clauses are counted, never dropped.

What a model varies is tolerated: case, spacing and punctuation (texts are compared as lowercase words), a
dropped or added article (a, an, the), any taxonomy node in a template's node slot, and two clauses run
together without their full stop (a sentence no template fits is split into pieces that each fit, when such a
split exists). An observation written under another modality than the tree lists it for is still read (and is
false of every face: `ReasoningTree.holds`); a phrase the tree does not have leaves its clause unparsed.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import lru_cache

from pafas_cli.data.sample import MODALITIES
from pafas_cli.paths.answer import split_sentences
from pafas_cli.paths.tree import ReasoningTree

_WORD = re.compile(r"[^\W_]+")
ARTICLES = frozenset({"a", "an", "the"})
# A sentence no template fits is split into fitting pieces only up to this many words (the search is quadratic).
MAX_SPLIT_WORDS = 80


@dataclass(frozen=True)
class Clause:
    """One clause of a reasoning as written, and what the tree reads in it (kind None: unparsed)."""

    text: str
    kind: str | None = None
    modality: str | None = None
    observation: str | None = None  # the tree's phrase
    node: str | None = None
    cites: tuple[str, ...] = ()  # the modalities it cites: its own, or for an unparsed clause every one it names

    @property
    def parsed(self) -> bool:
        return self.kind is not None

    @property
    def observes(self) -> bool:
        """A parsed clause that states what a modality shows."""
        return self.observation is not None


def words(text: str) -> tuple[str, ...]:
    """Lowercase words without articles: the form texts and templates are compared in."""
    return tuple(w for w in _WORD.findall(text.lower()) if w not in ARTICLES)


@dataclass(frozen=True)
class _Template:
    kind: str
    parts: tuple[str, ...]  # its words in order, a placeholder as "{name}"
    pattern: re.Pattern


class ClauseReader:
    """Reads reasonings against one reasoning tree (build once per tree; `read` is cheap)."""

    def __init__(self, tree: ReasoningTree):
        self.tree = tree
        self._modalities = {" ".join(words(tree.name(m))): m for m in MODALITIES}
        self._nodes = {" ".join(words(n)): n for n in tree.taxonomy.nodes}
        # (modality, phrase words) -> the tree's phrase, and phrase words -> the phrase under any modality.
        self._phrases: dict[tuple[str, str], str] = {}
        self._anywhere: dict[str, str] = {}
        for (_, _, modality), observations in tree.observations.items():
            for o in observations:
                key = " ".join(words(o.text))
                self._phrases.setdefault((modality, key), o.text)
                self._anywhere.setdefault(key, o.text)
        slots = {"modality": f"(?P<modality>{_alternation(self._modalities)})",
                 "node": f"(?P<node>{_alternation(self._nodes)})", "obs": "(?P<obs>.+?)"}
        self._templates = [_compile(kind, t, slots) for kind, ts in tree.templates.items() for t in ts]
        # The words a clause can start and end with: a sentence is only cut where a piece can begin and end.
        edges = {"{modality}": self._modalities, "{node}": self._nodes, "{obs}": self._anywhere}
        self._first = {w for t in self._templates for w in _edge(t.parts[0], edges, 0)}
        self._last = {w for t in self._templates for w in _edge(t.parts[-1], edges, -1)}
        self._fit = lru_cache(maxsize=65536)(self._fit_words)

    def read(self, reasoning: str | None) -> list[Clause]:
        """The reasoning's clauses in reading order (empty for no reasoning)."""
        out: list[Clause] = []
        for sentence in split_sentences(reasoning or ""):
            out += self._sentence(sentence.strip())
        return out

    def cited(self, text: str) -> tuple[str, ...]:
        """The modalities a text names (by the tree's modality names), in MODALITIES order."""
        padded = f" {' '.join(words(text))} "
        return tuple(m for name, m in self._modalities.items() if f" {name} " in padded)

    # -- one sentence ---------------------------------------------------------------------------------------
    def _sentence(self, sentence: str) -> list[Clause]:
        tokens = [(m.group().lower(), m.start()) for m in _WORD.finditer(sentence)]
        kept = [(w, start) for w, start in tokens if w not in ARTICLES]
        whole = self._fit(" ".join(w for w, _ in kept))
        if whole is not None:
            return [Clause(sentence, *whole)]
        cuts = self._split([w for w, _ in kept]) if 1 < len(kept) <= MAX_SPLIT_WORDS else None
        if cuts is None:
            return [Clause(sentence, cites=self.cited(sentence))]
        starts = [0] + [_piece_start(tokens, kept[c][1]) for c in cuts[1:-1]] + [len(sentence)]
        pieces = [sentence[a:b].strip() for a, b in zip(starts, starts[1:])]
        return [Clause(p, *self._fit(" ".join(words(p)))) for p in pieces]

    def _split(self, ws: list[str]) -> list[int] | None:
        """Cut points 0 = c0 < c1 < ... < ck = len(ws) such that every piece fits a template (fewest pieces)."""
        n = len(ws)
        best: list[list[int] | None] = [None] * n + [[n]]
        for i in range(n - 1, -1, -1):
            if ws[i] not in self._first:
                continue
            for j in range(i + 1, n + 1):
                rest, found = best[j], best[i]
                if rest is None or ws[j - 1] not in self._last or (found is not None and len(rest) + 1 >= len(found)):
                    continue
                if self._fit(" ".join(ws[i:j])) is not None:
                    best[i] = [i, *rest]
        return best[0]

    def _fit_words(self, text: str) -> tuple | None:
        """(kind, modality, observation, node, cites) of the first template (in the tree's order) that the words fit
        with every slot read: a modality and node by name, an observation among the tree's phrases; or None."""
        for t in self._templates:
            match = t.pattern.fullmatch(text)
            if match is None:
                continue
            slots = match.groupdict()
            modality = self._modalities[slots["modality"]] if slots.get("modality") else None
            node = self._nodes[slots["node"]] if slots.get("node") else None
            observation = None
            if "obs" in slots:
                observation = self._phrases.get((modality, slots["obs"])) or self._anywhere.get(slots["obs"])
                if observation is None:
                    continue
            return t.kind, modality, observation, node, (modality,) if modality else ()
        return None


def _alternation(names: dict[str, str]) -> str:
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


def _compile(kind: str, template: str, slots: dict[str, str]) -> _Template:
    """A template as a pattern over its words: fixed words as they are, each placeholder a named group."""
    parts: list[str] = []
    for literal, field, _, _ in string.Formatter().parse(template):
        parts += words(literal)
        if field is not None:
            parts.append("{" + field + "}")
    pattern = " ".join(slots[p[1:-1]] if p.startswith("{") else re.escape(p) for p in parts)
    return _Template(kind, tuple(parts), re.compile(pattern))


def _edge(part: str, edges: dict[str, dict[str, str]], end: int) -> set[str]:
    """The words a template part can put at a clause's start (end=0) or end (end=-1)."""
    return {key.split(" ")[end] for key in edges[part]} if part in edges else {part}


def _piece_start(tokens: list[tuple[str, int]], start: int) -> int:
    """Where a piece starting at the kept word at `start` begins in the text: with the articles just before it."""
    i = next(k for k, (_, s) in enumerate(tokens) if s == start)
    while i > 0 and tokens[i - 1][0] in ARTICLES:
        i -= 1
    return tokens[i][1]
