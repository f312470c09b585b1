"""A pretraining corpus of a few hundred scenes, drawn once per session for the scans, rows and probe tests."""

from __future__ import annotations

from pathlib import Path

import pytest

SCENES = 300


@pytest.fixture(scope="session")
def corpus_root(tmp_path_factory) -> Path:
    from pafas_cli.data.pretrain import generate
    from pafas_cli.data.pretrain.config import CorpusConfig

    root = tmp_path_factory.mktemp("corpus")
    generate(root, CorpusConfig(samples=SCENES, seed=0), workers=1)
    return root


@pytest.fixture(scope="session")
def taxonomy():
    from pafas_cli.paths.taxonomy import default_taxonomy

    return default_taxonomy()
