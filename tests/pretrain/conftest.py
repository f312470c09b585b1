"""A pretraining corpus of a few hundred scenes (tests/data/pretrain_corpus.py) and the default taxonomy."""

from __future__ import annotations

import pytest

from pretrain_corpus import corpus_root  # noqa: F401 (a fixture)


@pytest.fixture(scope="session")
def taxonomy():
    from pafas_cli.paths.taxonomy import default_taxonomy

    return default_taxonomy()
