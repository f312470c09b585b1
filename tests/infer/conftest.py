"""Session fixtures for the inference tests (built by `infer_helpers`)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# --import-mode=importlib does not put test folders on sys.path; the test modules import the helpers.
sys.path.insert(0, str(Path(__file__).parent))

from infer_helpers import TinyModel, build_mini_workspace, build_tiny_model, overfit, sharpen


@pytest.fixture(scope="session")
def tiny_model() -> TinyModel:
    """A tiny random Qwen2.5-VL and its processor, in memory."""
    return build_tiny_model()


@pytest.fixture(scope="session")
def trained_model(tiny_model) -> TinyModel:
    """The tiny model overfitted to answer `infer_helpers.TARGET`, so its generations are real answers."""
    return overfit(tiny_model)


@pytest.fixture(scope="session")
def mini_workspace(tmp_path_factory):
    """(Workspace, Recipe): one real paths version (dev A/B, test C, the P2 sets) and two tiny models."""
    return build_mini_workspace(tmp_path_factory.mktemp("mini"))


@pytest.fixture(scope="session")
def sharp_model(tiny_model) -> TinyModel:
    """The tiny model with larger random weights: its greedy answers vary from face to face and token to token
    (the default initialisation repeats one token), and its next-token distributions are neither flat nor
    one-hot."""
    return sharpen(tiny_model)
