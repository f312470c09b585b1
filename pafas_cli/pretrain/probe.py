"""The perception probe: does a model's vision already tell live from spoof, before any FAS training?

For each Protocol-1 split (target C, P, S or W): the model's vision tower encodes the three images of every
face (RGB, depth, IR, as the eval sets store them), its output tokens (what the decoder reads, after the
merger) are mean-pooled per image and the three vectors concatenated; a logistic regression on standardised
features is fitted on the split's labelled source-domain training faces (`n_train`, 200 as in the scarce-label
regime the issue studies, stratified like build-paths' subsample) and scored by AUC (live = positive) on the
held-out domain's test faces. Nothing is fitted on the target domain, so the AUC measures how far the
features transfer across sensors. The same seed gives the same faces and the same numbers.

scikit-learn's LogisticRegression (lbfgs, L2, C = 1) and roc_auc_score do the statistics: both are standard,
deterministic and already pinned for the tests, hence a main dependency now.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from math import isqrt
from typing import Any

import numpy as np

from pafas_cli.data.config import DataConfig
from pafas_cli.data.images import blank_image, fit_square, load_modality
from pafas_cli.data.protocols import build_splits
from pafas_cli.data.sample import LIVE, MODALITIES, FaceSample

SPLITS = ("C", "P", "S", "W")


@dataclass
class ProbeSet:
    """The faces of one Protocol-1 split: labelled source-domain training faces, held-out test faces."""

    train: list[FaceSample]
    test: list[FaceSample]


def probe_sets(ws, seed: int, n_train: int = 200, splits: tuple[str, ...] = SPLITS,
               data: DataConfig | None = None) -> dict[str, ProbeSet]:
    """{target domain: its faces} from `data` (default: the synthetic benchmark, synth:latest or drawn now)."""
    base = data or DataConfig()
    out = {}
    for target in splits:
        parts = build_splits(replace(base, protocol="P1", split=target, n_train=n_train), seed, ws)
        out[target] = ProbeSet(parts.train, parts.test)
    return out


def image_side(processor: Any) -> int:
    """The square side every image is resized to by this processor (min = max pixels, model/processor.py)."""
    return isqrt(int(processor.image_processor.size["shortest_edge"]))


def _images(sample: FaceSample, side: int) -> list:
    """A face's three images as the model reads them (a missing modality as the blank image)."""
    out = []
    for modality in MODALITIES:
        path = sample.path_of(modality)
        image = load_modality(path, modality) if path else blank_image(side)
        out.append(fit_square(image, modality, side).convert("RGB"))
    return out


def vision_features(model: Any, processor: Any, samples: list[FaceSample], batch_size: int = 64,
                    side: int | None = None) -> np.ndarray:
    """(faces, 3 x vision output width): each image's vision tokens mean-pooled, RGB | depth | IR side by side.

    Images are resized to `side` first (the model's spec image size; default: the processor's own side)."""
    import torch

    side = side or image_side(processor)
    device = next(model.parameters()).device
    rows = []
    with torch.no_grad():
        for start in range(0, len(samples), batch_size):
            chunk = samples[start: start + batch_size]
            images = [image for sample in chunk for image in _images(sample, side)]
            batch = processor.image_processor(images=images, return_tensors="pt")
            out = model.get_image_features(pixel_values=batch["pixel_values"].to(device),
                                           image_grid_thw=batch["image_grid_thw"].to(device))
            pooled = torch.stack([tokens.float().mean(dim=0) for tokens in out.pooler_output])
            rows.append(pooled.reshape(len(chunk), -1).cpu().numpy())
    return np.concatenate(rows).astype(np.float64)


def fit_auc(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray, seed: int) -> float:
    """AUC on the test faces of a standardised logistic regression fitted on the training faces."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000, random_state=seed))
    classifier.fit(train_x, train_y)
    return float(roc_auc_score(test_y, classifier.predict_proba(test_x)[:, 1]))


def _labels(samples: list[FaceSample]) -> np.ndarray:
    return np.array([int(s.label == LIVE) for s in samples])


def probe(model: Any, processor: Any, sets: dict[str, ProbeSet], seed: int, batch_size: int = 64,
          side: int | None = None) -> dict[str, float]:
    """{split: AUC} of `model`'s vision features on each split of `sets` (see the module docstring)."""
    result = {}
    for split, faces in sets.items():
        train_x = vision_features(model, processor, faces.train, batch_size, side)
        test_x = vision_features(model, processor, faces.test, batch_size, side)
        result[split] = round(fit_auc(train_x, _labels(faces.train), test_x, _labels(faces.test), seed), 4)
    return result
