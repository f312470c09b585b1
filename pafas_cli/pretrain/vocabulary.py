"""How much of the reasoning tree's observation vocabulary the pretraining text uses.

Two shares: of the distinct words of every observation phrase in the tree (support and rule-out, all classes,
all modalities; a few function words left out), those that appear anywhere in the corpus text; and of the
phrases themselves, those that appear verbatim. Face words, live/spoof words and class names are in the tree's
phrases but never in the corpus (pretrain/leaks.py), so neither share can reach 1.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pafas_cli.paths.tree import ReasoningTree

FUNCTION_WORDS = frozenset({"a", "an", "the", "of", "in", "on", "with", "no", "or", "and", "to", "at", "by", "for",
                            "not", "from", "its", "than", "any", "all", "as", "is", "it", "one"})


def words(text: str) -> set[str]:
    """Lower-case word tokens (letters and digits; a hyphen splits)."""
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def observation_phrases(tree: ReasoningTree) -> set[str]:
    """Every observation phrase of the tree, whatever class, kind and modality it belongs to."""
    return {o.text for obs in tree.observations.values() for o in obs}


def overlap(texts: Iterable[str], tree: ReasoningTree) -> dict:
    """{word_share, phrase_share, tree_words, tree_phrases, missing_words} of the corpus `texts` vs the tree."""
    corpus = " ".join(texts).lower()
    used = words(corpus)
    phrases = observation_phrases(tree)
    vocab = {w for p in phrases for w in words(p)} - FUNCTION_WORDS
    return {
        "word_share": len(vocab & used) / len(vocab),
        "phrase_share": sum(p.lower() in corpus for p in phrases) / len(phrases),
        "tree_words": len(vocab),
        "tree_phrases": len(phrases),
        "missing_words": sorted(vocab - used),
    }
