"""A small pretraining corpus, drawn once per session for the generator's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

# Scenes in the shared corpus: enough that every object kind and skin overlay appears.
SCENES = 300


@pytest.fixture(scope="session")
def corpus_root(tmp_path_factory) -> Path:
    from pafas_cli.data.pretrain import generate
    from pafas_cli.data.pretrain.config import CorpusConfig

    root = tmp_path_factory.mktemp("corpus")
    generate(root, CorpusConfig(samples=SCENES, seed=0), workers=1)
    return root
