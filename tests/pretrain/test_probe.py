"""The perception probe: its statistics against scikit-learn and a planted signal, its plumbing on fake and real
models."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image
from sklearn.metrics import roc_auc_score

from pafas_cli.data.config import DataConfig
from pafas_cli.data.sample import FaceSample
from pafas_cli.pretrain.probe import ProbeSet, fit_auc, probe, probe_sets


def _signal(n: int, rng: np.random.Generator, strength: float) -> tuple[np.ndarray, np.ndarray]:
    y = np.arange(n) % 2
    return y[:, None] * strength + rng.standard_normal((n, 1)), y


def test_one_feature_carrying_the_label_ranks_the_test_faces_as_the_feature_does():
    """A one-feature logistic regression is monotone in the feature, so its AUC is the feature's own AUC
    (scikit-learn's roc_auc_score on the raw feature is the oracle)."""
    rng = np.random.default_rng(0)
    train_x, train_y = _signal(200, rng, 1.0)
    test_x, test_y = _signal(300, rng, 1.0)
    assert fit_auc(train_x, train_y, test_x, test_y, seed=0) == pytest.approx(roc_auc_score(test_y, test_x[:, 0]))


def test_features_that_are_the_label_plus_noise_give_about_one_and_pure_noise_about_a_half():
    rng = np.random.default_rng(1)
    noise = rng.standard_normal((500, 16))
    train_y, test_y = np.arange(200) % 2, np.arange(300) % 2
    carrying = noise.copy()
    carrying[:200, 0] += 4 * train_y
    carrying[200:, 0] += 4 * test_y
    assert fit_auc(carrying[:200], train_y, carrying[200:], test_y, seed=0) > 0.97
    assert abs(fit_auc(noise[:200], train_y, noise[200:], test_y, seed=0) - 0.5) < 0.1


class FakeVision:
    """A stand-in for Qwen2.5-VL's vision side: each image's feature is its mean pixel value plus noise."""

    def __init__(self, noise: float, carry: bool = True):
        self.noise, self.carry = noise, carry
        self.gen = torch.Generator().manual_seed(0)
        self.weight = torch.nn.Parameter(torch.zeros(1))

    def parameters(self):
        yield self.weight

    def get_image_features(self, pixel_values, image_grid_thw):
        sizes = image_grid_thw.prod(-1).tolist()
        tokens = torch.split(pixel_values, sizes)
        out = []
        for t in tokens:
            level = t.mean() if self.carry else torch.tensor(0.0)
            out.append(level + self.noise * torch.randn((2, 4), generator=self.gen))
        return SimpleNamespace(pooler_output=tuple(out))


def _faces(folder: Path, n: int, domain: str, rng: np.random.Generator, live_bright: bool = True) -> list[FaceSample]:
    """Faces whose RGB is bright when live and dark when spoof, or the reverse (depth and IR are noise)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        label = i % 2
        paths = {}
        for m in ("rgb", "depth", "ir"):
            level = (170 if label == live_bright else 80) if m == "rgb" else 128
            pixels = np.clip(level + 30 * rng.standard_normal((60, 60, 3) if m == "rgb" else (60, 60)), 0, 255)
            paths[m] = str(folder / f"{domain}{i}_{m}.png")
            Image.fromarray(pixels.astype(np.uint8)).save(paths[m])
        out.append(FaceSample(f"{domain}{i}", label, ("Real Face",) if label else ("Spoof Face",), domain, "x", **paths))
    return out


@pytest.fixture(scope="module")
def fake_sets(tmp_path_factory):
    from pafas_cli.model.processor import build_processor
    from pafas_cli.model.tokenizer import train_tokenizer

    rng = np.random.default_rng(3)
    root = tmp_path_factory.mktemp("faces")
    sets = {d: ProbeSet(_faces(root / d / "train", 40, d, rng), _faces(root / d / "test", 30, d + "t", rng))
            for d in ("C", "W")}
    processor = build_processor(train_tokenizer(["RGB image: a screen and a sheet"] * 5, 300), 56)
    return sets, processor


def test_a_model_whose_vision_carries_the_label_is_probed_near_one_and_one_without_it_near_a_half(fake_sets):
    sets, processor = fake_sets
    carrying = probe(FakeVision(noise=0.05), processor, sets, seed=0, batch_size=16)
    blind = probe(FakeVision(noise=1.0, carry=False), processor, sets, seed=0, batch_size=16)
    assert set(carrying) == {"C", "W"} and min(carrying.values()) > 0.95
    assert all(abs(auc - 0.5) < 0.25 for auc in blind.values())


def test_the_probe_is_fitted_on_the_source_faces_only(fake_sets, tmp_path):
    """A cue that flips between the source and the target domain must score below chance: fitted on the
    target's own faces it would score near one."""
    _, processor = fake_sets
    rng = np.random.default_rng(4)
    flipped = {"W": ProbeSet(_faces(tmp_path / "train", 40, "C", rng),
                             _faces(tmp_path / "test", 30, "W", rng, live_bright=False))}
    assert probe(FakeVision(noise=0.05), processor, flipped, seed=0, batch_size=16)["W"] < 0.05


@pytest.mark.slow
def test_the_random_init_tiny_model_gives_four_aucs_the_same_way_twice(tmp_path):
    from pafas_cli.data.synth import generate
    from pafas_cli.model.config import ModelConfig
    from pafas_cli.model.processor import build_processor
    from pafas_cli.model.tiny import build_model
    from pafas_cli.model.tokenizer import train_tokenizer
    from pafas_cli.workspace import Workspace

    generate(tmp_path / "synth", per_domain=40, seed=0, workers=1)
    tokenizer = train_tokenizer(["RGB image: Depth image: IR image: describe the sheet."] * 10, 400)
    processor = build_processor(tokenizer, 56)
    model = build_model(ModelConfig(), tokenizer, seed=0)
    sets = probe_sets(Workspace(tmp_path / "ws"), seed=0, n_train=200, data=DataConfig(root=str(tmp_path / "synth")))
    assert {d: {s.domain for s in faces.test} for d, faces in sets.items()} == {d: {d} for d in "CPSW"}
    assert all(d not in {s.domain for s in faces.train} for d, faces in sets.items())
    first = probe(model, processor, sets, seed=0)
    assert set(first) == set("CPSW") and all(0.0 <= auc <= 1.0 for auc in first.values())
    assert probe(model, processor, sets, seed=0) == first
