"""The CNN's attribute pretraining: it learns the corpus's attributes and its trunk is what the baseline starts from."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pafas_cli.baseline.config import BaselineSection, TrunkPretraining
from pafas_cli.baseline.data import Faces, load_corpus_faces
from pafas_cli.baseline.fit import train
from pafas_cli.baseline.net import ThreeStreamCNN
from pafas_cli.baseline.pretrain import (
    TRUNK_FILE, AttributeHeads, attribute_loss, load_trunk, pretrain_trunk, save_trunk,
)
from pafas_cli.data.pretrain.truth import NAMES
from pafas_cli.errors import PafasError

SIDE = 32
WIDTH = 4


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    from pafas_cli.data.pretrain.generate import generate
    from pafas_cli.data.pretrain.config import CorpusConfig

    root = tmp_path_factory.mktemp("corpus")
    generate(root, CorpusConfig(samples=400, seed=0, val_share=0.2), workers=1)
    return load_corpus_faces(root, "train", SIDE), load_corpus_faces(root, "val", SIDE)


@pytest.fixture(scope="module")
def pretrained(corpus):
    train_faces, _ = corpus
    return pretrain_trunk(train_faces, TrunkPretraining(epochs=15, batch_size=32, learning_rate=0.01, shift=2),
                          WIDTH, seed=0)


def _prior_loss(train_targets: torch.Tensor, val_targets: torch.Tensor) -> float:
    """Mean cross-entropy on the held-out scenes of the best constant guess: each attribute's training share."""
    p = np.clip(train_targets.numpy().mean(axis=0), 1e-6, 1 - 1e-6)
    y = val_targets.numpy()
    return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())


def test_pretraining_lowers_the_held_out_attribute_loss_below_the_untrained_net_and_the_base_rates(corpus,
                                                                                                   pretrained):
    train_faces, val_faces = corpus
    assert val_faces.targets.shape == (len(val_faces), len(NAMES)) and len(val_faces) == 80
    torch.manual_seed(0)
    untrained = attribute_loss(ThreeStreamCNN(WIDTH), AttributeHeads(WIDTH), val_faces)
    learned = attribute_loss(*pretrained, val_faces)
    assert learned < 0.92 * _prior_loss(train_faces.targets, val_faces.targets) < untrained


def test_the_saved_trunk_loads_into_the_baseline_net_and_training_starts_from_it(pretrained, tmp_path):
    model, _ = pretrained
    path = save_trunk(model, tmp_path / "v001" / TRUNK_FILE, WIDTH, {"corpus": "corpus:v001"})
    for where in (path, path.parent):
        trunk = load_trunk(where, WIDTH)
        net = ThreeStreamCNN(WIDTH)
        net.streams.load_state_dict(trunk)
        assert all(torch.equal(a, b) for a, b in zip(net.streams.state_dict().values(),
                                                   model.streams.state_dict().values()))
    n = 16
    faces = Faces({"rgb": torch.zeros(n, 3, SIDE, SIDE, dtype=torch.uint8),
                   "depth": torch.zeros(n, 1, SIDE, SIDE, dtype=torch.uint8),
                   "ir": torch.zeros(n, 1, SIDE, SIDE, dtype=torch.uint8)},
                  torch.tensor([float(i % 2) for i in range(n)]), {})
    blank = {m: t[:1] for m, t in faces.images.items()}
    frozen = BaselineSection(width=WIDTH, epochs=1, batch_size=n, learning_rate=1e-12, shift=0)
    started = train(faces, frozen, seed=0, blank=blank, init=load_trunk(path, WIDTH))
    scratch = train(faces, frozen, seed=0, blank=blank)
    conv = "0.weight"
    assert torch.allclose(started.streams["depth"].state_dict()[conv], model.streams["depth"].state_dict()[conv])
    assert not torch.allclose(scratch.streams["depth"].state_dict()[conv], model.streams["depth"].state_dict()[conv])


def test_a_trunk_of_another_width_or_a_file_that_is_no_trunk_is_one_clear_error(pretrained, tmp_path):
    model, _ = pretrained
    path = save_trunk(model, tmp_path / TRUNK_FILE, WIDTH, {})
    with pytest.raises(PafasError, match="baseline.init: .* width 4, but baseline.width is 16"):
        load_trunk(path, 16)
    other = tmp_path / "other.pt"
    torch.save({"state_dict": {}}, other)
    with pytest.raises(PafasError, match="baseline.init: .*not a pretrained CNN trunk"):
        load_trunk(other, WIDTH)


def test_init_must_name_something():
    with pytest.raises(ValueError, match="^init"):
        BaselineSection(init=" ").validate()
