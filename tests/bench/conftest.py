"""The bench scripts are files, not a package: load each once, by path, for its tests."""

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def load_bench(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def run_all():
    return load_bench("run_all")


@pytest.fixture(scope="module")
def check_scores():
    return load_bench("check_scores")


@pytest.fixture(scope="module")
def check_cells():
    return load_bench("check_cells")
