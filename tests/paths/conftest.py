"""Fixtures for the paths tests: tiny PNGs on disk and FaceSamples pointing at them (no data package needed)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pafas_cli.data.sample import FaceSample
from pafas_cli.paths.taxonomy import default_taxonomy

LEAVES_FOR_TESTS = ("Real Face", "Flat Print Attack", "Mobile Screen Replay Attack", "Fake Head Attack",
                    "Makeup Attack")




def make_samples(folder: Path, n: int, split: str = "train", seed: int = 0,
                 shallow_every: int = 0, drop_depth_every: int = 0) -> list[FaceSample]:
    """`n` samples cycling through a few classes, each with three 64x64 noise images."""
    taxonomy = default_taxonomy()
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        leaf = LEAVES_FOR_TESTS[i % len(LEAVES_FOR_TESTS)]
        attack = taxonomy.path_to(leaf)
        if shallow_every and i % shallow_every == 0 and leaf != "Real Face":
            attack = attack[:1]
        paths = {}
        for modality, channels in (("rgb", 3), ("depth", 1), ("ir", 1)):
            pixels = rng.integers(0, 256, size=(64, 64, channels) if channels == 3 else (64, 64), dtype=np.uint8)
            file = folder / f"{split}{i:04d}_{modality}.png"
            Image.fromarray(pixels).save(file)
            paths[modality] = str(file)
        if drop_depth_every and i % drop_depth_every == 1:
            paths["depth"] = None
        out.append(FaceSample(id=f"{split}/{i:04d}", label=taxonomy.decision(attack), attack=attack,
                              domain=random.Random(i).choice(["A", "B"]), split=split, **paths))
    return out


@pytest.fixture(scope="session")
def taxonomy():
    return default_taxonomy()


@pytest.fixture(scope="session")
def tree(taxonomy):
    from pafas_cli.paths.tree import load_tree

    return load_tree("", taxonomy)


@pytest.fixture(scope="session")
def sample_sets(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faces")
    return {
        "train": make_samples(folder, 20, "train", shallow_every=7, drop_depth_every=4),
        "dev": make_samples(folder, 5, "dev", seed=1),
        "test": make_samples(folder, 6, "test", seed=2),
    }
