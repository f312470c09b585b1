"""What the pretraining text may never say, and the scan that finds it.

The corpus must teach perception, not the task, so no text may name a taxonomy class (in any case, singular or
plural, or without its "Attack(s)" when two or more words remain: "flat print", "fake head", "paper mask"), use a
live/spoof word ("live", "spoof", "real", "fake", "attack", "genuine", "bona fide", ...), a conclusion marker
of the reasoning ("Verdict", "Conclusion", "answer", ... as `answer.stated_conclusion` reads them), a word for a
face or its parts (no scene has one), or a benchmark dataset's name. Single remaining words ("print",
"replay", "tattoo", "makeup", "cosmetic", "accessory") are not scanned for: they name what a sensor sees of
paper, screens and skin, which is the perception the corpus exists to teach.

The taxonomy is a user's file, so `pafas pretrain` scans the corpus against the taxonomy it trains for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from pafas_cli.paths.answer import CONCLUSION_MARKERS

LABEL_WORDS = ("live", "lives", "liveness", "alive", "spoof", "spoofs", "spoofed", "spoofing", "real", "fake",
               "fakes", "faked", "attack", "attacks", "attacker", "attackers", "genuine", "bona fide", "bonafide",
               "authentic", "counterfeit", "impostor", "imposter", "forgery", "forged")
FACE_WORDS = ("face", "faces", "facial", "head", "heads", "eye", "eyes", "pupil", "pupils", "nose", "mouth", "lips")
DATASET_NAMES = ("CeFA", "PADISI", "CASIA", "SURF", "WMCA")
ATTACK_WORDS = ("attack", "attacks")


@dataclass(frozen=True)
class Leak:
    """One forbidden term found in one text."""

    index: int
    term: str
    kind: str  # class, label word, conclusion, face word, dataset
    text: str


def node_variants(name: str) -> set[str]:
    """The spellings of a taxonomy node a text may not contain (lower case; matched case-insensitively)."""
    words = name.lower().split()
    variants = _numbers(words)
    if words[-1] in ATTACK_WORDS and len(words) >= 3:
        variants |= _numbers(words[:-1])
    return variants


def _numbers(words: list[str]) -> set[str]:
    """The words as given, with the last one singular and plural."""
    last = words[-1]
    forms = {last, last[:-1]} if last.endswith("s") else {last, last + "s"}
    return {" ".join(words[:-1] + [form]) for form in forms}


def _pattern(terms: Iterable[str]) -> re.Pattern:
    """Whole-word, case-insensitive; a space in a term also matches a hyphen or several spaces."""
    alternatives = sorted({re.escape(t.lower()).replace(r"\ ", r"[\s-]+") for t in terms}, key=len, reverse=True)
    return re.compile(r"(?<![a-z0-9])(" + "|".join(alternatives) + r")(?![a-z0-9])", re.IGNORECASE)


def find_leaks(texts: Iterable[str], node_names: Iterable[str]) -> list[Leak]:
    """Every forbidden term in `texts`, scanned against the taxonomy's `node_names` and the fixed word lists."""
    scans = [
        ("class", _pattern(v for n in node_names for v in node_variants(n))),
        ("label word", _pattern(LABEL_WORDS)),
        ("conclusion", CONCLUSION_MARKERS),
        ("face word", _pattern(FACE_WORDS)),
        ("dataset", _pattern(DATASET_NAMES)),
    ]
    found = []
    for i, text in enumerate(texts):
        for kind, pattern in scans:
            found += [Leak(i, m.group(0), kind, text) for m in pattern.finditer(text)]
    return found
