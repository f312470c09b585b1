"""The CNN's training-time augmentation and its training, against hand-tracked pixels and sklearn."""

from __future__ import annotations

import pytest
import torch
from sklearn.metrics import roc_auc_score

from pafas_cli.baseline.config import BaselineSection
from pafas_cli.baseline.data import Faces
from pafas_cli.baseline.fit import augment, score, train
from pafas_cli.errors import PafasError

SIDE = 16


def _blank(side=SIDE):
    return {m: torch.full((1, c, side, side), 7, dtype=torch.uint8) for m, c in (("rgb", 3), ("depth", 1), ("ir", 1))}


def _dots(n, side=SIDE):
    """Face i has one lit pixel at (5, 3) in every modality (value 100 + i % 100), the rest zero."""
    images = {m: torch.zeros(n, c, side, side, dtype=torch.uint8) for m, c in (("rgb", 3), ("depth", 1), ("ir", 1))}
    for t in images.values():
        t[:, :, 5, 3] = (100 + torch.arange(n) % 100)[:, None].to(torch.uint8)
    return images


def _where(image):
    """(row, col) of the lit pixel of a (C, S, S) image, or None when it was shifted out."""
    lit = (image[0] >= 100).nonzero()
    return tuple(lit[0].tolist()) if len(lit) else None


def test_each_face_is_flipped_and_shifted_once_alike_in_all_its_modalities():
    n, shift = 3000, 2
    out = augment(_dots(n), shift, 0.0, _blank(), torch.Generator().manual_seed(0))
    flips, moves = 0, set()
    for i in range(n):
        spots = {m: _where(out[m][i]) for m in out}
        assert len(set(spots.values())) == 1, f"face {i}: the modalities moved apart: {spots}"
        row, col = spots["rgb"]
        # the lit pixel (5, 3) lands at (5 - dy, c - dx), c = 3 unflipped or SIDE - 1 - 3 flipped
        dy = 5 - row
        flipped = abs((SIDE - 1 - 3) - col) <= shift
        dx = (SIDE - 1 - 3 if flipped else 3) - col
        assert abs(dy) <= shift and abs(dx) <= shift, (i, row, col)
        flips += flipped
        moves.add((dx, dy))
        assert all(int(out[m][i].max()) == 100 + i % 100 for m in out), "values are moved, never changed"
    assert abs(flips / n - 0.5) < 4 * (0.25 / n) ** 0.5
    assert moves == {(x, y) for x in range(-shift, shift + 1) for y in range(-shift, shift + 1)}


def test_no_shift_keeps_the_pixels_where_they_are():
    images = _dots(200)
    out = augment(images, 0, 0.0, _blank(), torch.Generator().manual_seed(1))
    for i in range(200):
        assert _where(out["depth"][i]) in ((5, 3), (5, SIDE - 1 - 3))


def test_modality_dropout_blanks_depth_and_ir_each_with_its_rate_and_never_rgb():
    n = 4000
    images = _dots(n)
    blank = _blank()
    for rate in (0.0, 1.0):
        out = augment(images, 0, rate, blank, torch.Generator().manual_seed(2))
        for m in ("depth", "ir"):
            blanked = (out[m] == 7).flatten(1).all(1)
            assert blanked.all() if rate else not blanked.any()
        assert not (out["rgb"] == 7).flatten(1).all(1).any()
    out = augment(images, 0, 0.3, blank, torch.Generator().manual_seed(3))
    depth, ir = ((out[m] == 7).flatten(1).all(1) for m in ("depth", "ir"))
    sd = (0.3 * 0.7 / n) ** 0.5
    assert abs(depth.float().mean() - 0.3) < 4 * sd and abs(ir.float().mean() - 0.3) < 4 * sd
    assert abs((depth & ir).float().mean() - 0.09) < 4 * (0.09 * 0.91 / n) ** 0.5, "drawn independently"


def _toy(n, seed, side=SIDE):
    """Live faces carry a bright square in depth, spoofs none; RGB and IR are noise (the label is in depth)."""
    g = torch.Generator().manual_seed(seed)
    labels = (torch.arange(n) % 3 == 0).float()  # a third live: the loss must not learn the prior
    images = {m: torch.randint(0, 60, (n, c, side, side), generator=g, dtype=torch.uint8)
              for m, c in (("rgb", 3), ("depth", 1), ("ir", 1))}
    images["depth"][labels.bool(), :, 5:11, 5:11] = 250
    rows = {"id": [str(i) for i in range(n)], "label": labels.int().tolist()}
    return Faces(images, labels, rows)


CFG = BaselineSection(width=4, epochs=6, batch_size=16, learning_rate=0.01, shift=1)


def test_training_learns_a_rule_only_the_depth_stream_can_see_and_is_seeded():
    train_faces, held_out = _toy(96, 0), _toy(60, 1)
    model = train(train_faces, CFG, seed=0, blank=_blank())
    scores = score(model, held_out)
    assert roc_auc_score(held_out.labels.numpy(), scores) > 0.99
    again = score(train(train_faces, CFG, seed=0, blank=_blank()), held_out)
    assert again == scores, "the same seed trains the same model"
    other = score(train(train_faces, CFG, seed=1, blank=_blank()), held_out)
    assert other != scores


def test_the_loss_weighs_both_classes_equally():
    """Faces that all look alike leave the loss a constant to learn: the live share (1/3) if the classes were
    weighed by their counts, 1/2 when they are weighed equally."""
    alike = _toy(96, 0)
    alike.images = {m: torch.full_like(t, 40) for m, t in alike.images.items()}
    model = train(alike, BaselineSection(width=2, epochs=15, batch_size=16, learning_rate=0.02, dropout=0.0, shift=0),
                  seed=0, blank=_blank())
    assert score(model, alike)[0] == pytest.approx(0.5, abs=0.05)


def test_each_epoch_is_reported_and_the_schedule_ends_at_zero():
    seen = []
    train(_toy(32, 0), BaselineSection(width=2, epochs=3, batch_size=8), seed=0, blank=_blank(), on_epoch=seen.append)
    assert [row["epoch"] for row in seen] == [1, 2, 3]
    assert seen[-1]["learning_rate"] == pytest.approx(0.0, abs=1e-12)
    assert all(0 <= row["accuracy"] <= 1 and row["loss"] > 0 for row in seen)


@pytest.mark.parametrize("live", [0.0, 1.0])
def test_one_class_cannot_train_a_classifier(live):
    faces = _toy(8, 0)
    faces.labels[:] = live
    with pytest.raises(PafasError, match="all (live|spoof): a classifier needs both"):
        train(faces, CFG, seed=0, blank=_blank())
