"""The corpus's share of the reasoning tree's observation vocabulary, against hand counts."""

from __future__ import annotations

import pytest

from pafas_cli.paths.tree import load_tree
from pafas_cli.pretrain.vocabulary import FUNCTION_WORDS, observation_phrases, overlap, words


@pytest.fixture(scope="module")
def tree(taxonomy):
    return load_tree("", taxonomy)


def test_the_trees_own_phrases_cover_it_all_and_nothing_covers_nothing(tree):
    phrases = sorted(observation_phrases(tree))
    full = overlap(phrases, tree)
    assert full["word_share"] == 1.0 and full["phrase_share"] == 1.0 and full["missing_words"] == []
    assert overlap([""], tree)["word_share"] == 0.0


def test_one_phrase_counts_its_own_content_words(tree):
    phrase = "grey paper reflectance"
    got = overlap([phrase.upper()], tree)
    vocab = {w for p in observation_phrases(tree) for w in words(p)} - FUNCTION_WORDS
    assert got["tree_words"] == len(vocab)
    assert got["word_share"] == pytest.approx(3 / len(vocab))
    assert got["phrase_share"] == pytest.approx(1 / got["tree_phrases"])
    assert "paper" not in got["missing_words"] and "pupils" in got["missing_words"]
