"""Fixtures: tiny datasets in the real releases' layouts."""

from __future__ import annotations

from pathlib import Path

import pytest

from data_layouts import triple, write_list


@pytest.fixture
def casia_root(tmp_path: Path) -> Path:
    """CASIA-SURF challenge layout: Training/{real_part,fake_part}/<subject>/<video>.rssdk/{color,depth,ir}."""
    root = tmp_path / "CASIA-SURF"
    live = triple(root, "Training/real_part/CLKJ_AS0137/real.rssdk", frame="31.jpg")
    fake = triple(root, "Training/fake_part/CLKJ_AS0137/04_en_b.rssdk", frame="31.jpg")
    write_list(root / "train_list.txt", [" ".join(live) + " 1", " ".join(fake) + " 0"])
    val = triple(root, "Val/real_part/CLKJ_BS0001/real.rssdk", frame="1.jpg")
    write_list(root / "val_private_list.txt", [" ".join(val) + " 1"])
    test = triple(root, "Testing/fake_part/CLKJ_CS0002/02_enm_b.rssdk", frame="5.png", depth_mode="I;16")
    write_list(root / "test_private_list.txt", [" ".join(test) + " 0"])
    return root


@pytest.fixture(scope="session")
def synth_root(tmp_path_factory) -> Path:
    """A small synthetic benchmark (40 triples per domain), drawn once per test session."""
    from pafas_cli.data.synth import generate

    root = tmp_path_factory.mktemp("synth")
    generate(root, per_domain=40, seed=0, workers=1)
    return root
