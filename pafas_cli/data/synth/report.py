"""How far a trivial per-modality statistic alone separates live from spoof, per domain.

If one of these separated everything the benchmark would be too easy. Statistics, each over the
central half of the image (where the face is): depth variance, IR mean, and RGB high-frequency energy
(mean absolute Laplacian of the grey image). Reported as AUC with live as the positive class, so 0.5 is
chance, 1.0 means "live is always higher" and 0.0 "always lower"; separability is max(AUC, 1 - AUC).
"""

from __future__ import annotations

import numpy as np

from pafas_cli.data.images import load_modality
from pafas_cli.data.sample import LIVE, FaceSample

STATISTICS = ("depth variance", "IR mean", "RGB high-frequency energy")


def _centre(arr: np.ndarray) -> np.ndarray:
    h, w = arr.shape[:2]
    return arr[h // 4: 3 * h // 4, w // 4: 3 * w // 4]


def statistics(sample: FaceSample) -> tuple[float, float, float]:
    depth = _centre(np.asarray(load_modality(sample.depth, "depth"), np.float64))
    ir = _centre(np.asarray(load_modality(sample.ir, "ir"), np.float64))
    grey = np.asarray(load_modality(sample.rgb, "rgb").convert("L"), np.float64)
    lap = grey[1:-1, 1:-1] * 4 - grey[:-2, 1:-1] - grey[2:, 1:-1] - grey[1:-1, :-2] - grey[1:-1, 2:]
    return float(depth.var()), float(ir.mean()), float(np.abs(_centre(lap)).mean())


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Mann-Whitney AUC with ties counted half (positive class = label 1)."""
    pos, neg = scores[labels == 1], scores[labels == 0]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def separability_report(samples: list[FaceSample]) -> dict[str, dict[str, float]]:
    """{domain: {statistic: AUC}} over the given samples."""
    out: dict[str, dict[str, float]] = {}
    for domain in sorted({s.domain for s in samples}):
        chosen = [s for s in samples if s.domain == domain]
        labels = np.array([int(s.label == LIVE) for s in chosen])
        values = np.array([statistics(s) for s in chosen])
        out[domain] = {name: auc(labels, values[:, k]) for k, name in enumerate(STATISTICS)}
    return out
