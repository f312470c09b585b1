"""What printed sheets and screens of the corpus show: patterns and colour fields, never a face or a person."""

from __future__ import annotations

import numpy as np

from pafas_cli.data.synth.sensors import blur

# Pattern name -> the noun a caption uses for it ("a printed stripe pattern").
PATTERNS = {
    "stripes": "stripe pattern",
    "checks": "checkerboard",
    "dots": "dot pattern",
    "blobs": "pattern of soft colour blobs",
    "bars": "text-like pattern of dark bars",
    "rings": "ring pattern",
    "gradient": "colour gradient",
}


def pattern(rng: np.random.Generator, x: np.ndarray, y: np.ndarray, scale: float) -> tuple[np.ndarray, str]:
    """An RGB image (H, W, 3) in 0..1 over the grid (x, y), features sized by `scale`; and its name."""
    name = str(rng.choice(list(PATTERNS)))
    a, b = rng.uniform(0.05, 0.95, 3).astype(np.float32), rng.uniform(0.05, 0.95, 3).astype(np.float32)
    angle = rng.uniform(0, np.pi)
    along = (x * np.cos(angle) + y * np.sin(angle)) / scale
    across = (-x * np.sin(angle) + y * np.cos(angle)) / scale
    period = rng.uniform(0.15, 0.5)
    if name == "stripes":
        mix = (np.sin(2 * np.pi * along / period) > 0).astype(np.float32)
    elif name == "checks":
        mix = ((np.floor(along / period) + np.floor(across / period)) % 2).astype(np.float32)
    elif name == "dots":
        mix = ((np.sin(np.pi * along / period) * np.sin(np.pi * across / period)) ** 2 > 0.5).astype(np.float32)
    elif name == "blobs":
        field = blur(rng.standard_normal(x.shape + (3,)).astype(np.float32), x.shape[0] / 10)
        field = (field - field.min()) / (np.ptp(field) + 1e-6)
        return np.clip(field, 0, 1).astype(np.float32), name
    elif name == "bars":
        rows = (np.sin(2 * np.pi * across / (period * 0.6)) > 0.3)
        words = np.sin(2 * np.pi * along / (period * 1.7) + 3 * np.floor(across / (period * 0.6))) > -0.4
        mix = (rows & words).astype(np.float32)
        a = rng.uniform(0.8, 1.0, 3).astype(np.float32)
        b = rng.uniform(0.0, 0.2, 3).astype(np.float32)
    elif name == "rings":
        mix = (np.sin(2 * np.pi * np.hypot(along, across) / period) > 0).astype(np.float32)
    else:
        mix = np.clip(0.5 + 0.5 * along / max(float(np.abs(along).max()), 1e-6), 0, 1).astype(np.float32)
    return (a * (1 - mix[..., None]) + b * mix[..., None]).astype(np.float32), name
