"""The one answer format and its parser, used by path building, rewards, evaluation and `explain`.

    <think>reasoning</think><answer>['Spoof Face', 'External Spoofing Attacks', ...]</answer>

The parser is strict about the tags and the node names (they must form a top-down path of the
taxonomy) and tolerant of whitespace around tags and list items. A `raw` model (the plain-SFT
baseline) answers without reasoning; parse its output with `require_think=False`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from pafas_cli.paths.taxonomy import Taxonomy

TAGS = ("<think>", "</think>", "<answer>", "</answer>")
_FULL = re.compile(r"\A\s*<think>(?P<think>.*?)</think>\s*<answer>(?P<answer>.*?)</answer>\s*\Z", re.S)
_ANSWER_ONLY = re.compile(r"\A\s*<answer>(?P<answer>.*?)</answer>\s*\Z", re.S)
# Longest list literal worth parsing (a depth-5 path is ~110 characters).
MAX_LIST_CHARS = 1000
# Words that mark the final sentence of the reasoning as its verdict.
CONCLUSION_MARKERS = re.compile(r"\b(verdict|conclusion|conclude|answer|therefore|final)\b", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class ParsedAnswer:
    well_formed: bool
    think: str | None
    # The items of an answer list that parsed, even when they do not form a taxonomy path, and the
    # live (1) / spoof (0) branch the list opens with (None unless its first item is a top-level class).
    listed: tuple[str, ...]
    branch: int | None
    deepest: str | None
    error: str | None

    @property
    def nodes(self) -> tuple[str, ...]:
        """The label path; empty when malformed."""
        return self.listed if self.well_formed else ()

    @property
    def decision(self) -> int | None:
        """1 live, 0 spoof; None when malformed."""
        return self.branch if self.well_formed else None

    @property
    def templated(self) -> bool:
        """The completion follows the answer template (the tags once each, one non-empty list of quoted names),
        whatever the list names: what the paper's format reward checks."""
        return bool(self.listed)


def format_list(nodes: Sequence[str]) -> str:
    """A label path as the Python-style list the answer holds: ['Spoof Face', 'External Spoofing Attacks']."""
    return "[" + ", ".join(f"'{n}'" for n in nodes) + "]"


def format_answer(think: str | None, nodes: Sequence[str]) -> str:
    """The assistant text for a reasoning (None = answer only) and a label path."""
    answer = f"<answer>{format_list(nodes)}</answer>"
    return answer if think is None else f"<think>{think}</think>{answer}"


def parse_answer(text: str, taxonomy: Taxonomy, require_think: bool = True) -> ParsedAnswer:
    """Parse a completion; never raises. `error` says what is wrong when `well_formed` is False."""
    match = _FULL.match(text)
    if match is None and not require_think:
        match = _ANSWER_ONLY.match(text)
    if match is None:
        return _bad(None, "expected <think>...</think><answer>[...]</answer>" if require_think
                    else "expected <answer>[...]</answer>")
    think = match.groupdict().get("think")
    body = match.group("answer")
    if any(tag in part for part in (think or "", body) for tag in TAGS):
        return _bad(think, "a tag appears more than once")
    nodes, error = _parse_list(body)
    if error:
        return _bad(think, error)
    branch = taxonomy.decision(nodes) if nodes[0] in taxonomy.children(None) else None
    unknown = [n for n in nodes if n not in taxonomy]
    if unknown:
        return _bad(think, f"'{unknown[0]}' is not a taxonomy node", nodes, branch)
    if not taxonomy.is_valid_path(nodes):
        return _bad(think, f"{list(nodes)} is not a top-down taxonomy path", nodes, branch)
    return ParsedAnswer(True, think, nodes, branch, nodes[-1], None)


def _parse_list(body: str) -> tuple[tuple[str, ...], str | None]:
    body = body.strip()
    if not (body.startswith("[") and body.endswith("]")):
        return (), "the answer must be a list in square brackets"
    if len(body) > MAX_LIST_CHARS:
        return (), "the answer list is too long"
    try:
        value = ast.literal_eval(body)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return (), "the answer is not a list of quoted names"
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        return (), "the answer must be a non-empty list of quoted names"
    return tuple(v.strip() for v in value), None


def _bad(think: str | None, error: str, listed: tuple[str, ...] = (), branch: int | None = None) -> ParsedAnswer:
    return ParsedAnswer(False, think, listed, branch, None, error)


@lru_cache(maxsize=8)
def _node_pattern(taxonomy: Taxonomy) -> re.Pattern:
    names = sorted(taxonomy.nodes, key=len, reverse=True)
    return re.compile(r"(?<![A-Za-z])(" + "|".join(re.escape(n) for n in names) + r")(?![A-Za-z])")


def split_sentences(text: str) -> list[str]:
    """The sentences of a reasoning, split at `.`, `!` or `?` followed by whitespace (the clause reader's unit)."""
    return [s for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def stated_conclusion(think: str | None, taxonomy: Taxonomy) -> tuple[str, ...] | None:
    """The label path the reasoning itself concludes, or None.

    The reasoning's final sentence must carry a marker word (Verdict, Conclusion, answer, ...) and name a
    taxonomy node (exact spelling); the last node it names is the conclusion. Sentences are split at
    `.`, `!` or `?` followed by whitespace.
    """
    if not think:
        return None
    sentences = split_sentences(think)
    if not sentences or not CONCLUSION_MARKERS.search(sentences[-1]):
        return None
    found = _node_pattern(taxonomy).findall(sentences[-1])
    return taxonomy.path_to(found[-1]) if found else None
