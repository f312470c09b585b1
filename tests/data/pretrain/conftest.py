"""A small pretraining corpus for the generator's tests (tests/data/pretrain_corpus.py)."""

from pretrain_corpus import corpus_root  # noqa: F401 (a fixture)
