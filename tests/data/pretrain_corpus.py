"""The shared fixture of a small pretraining corpus (a few hundred scenes, drawn once per session); the conftests
of tests/data/pretrain and tests/pretrain import it."""

from __future__ import annotations

from pathlib import Path

import pytest

SCENES = 300


@pytest.fixture(scope="session")
def corpus_root(tmp_path_factory) -> Path:
    from pafas_cli.data.pretrain.generate import generate
    from pafas_cli.data.pretrain.config import CorpusConfig

    root = tmp_path_factory.mktemp("corpus")
    generate(root, CorpusConfig(samples=SCENES, seed=0), workers=1)
    return root
