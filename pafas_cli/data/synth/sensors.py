"""Cameras: turn a `Scene` into the stored RGB, depth and IR images of one domain's rig.

RGB: auto-exposure, white balance, optics blur, resolution loss, shot and read noise, gamma.
Depth: distance plus sensor noise, smoothing, dropouts (more on glossy surfaces, none beyond range),
encoded either per face (min-max over the foreground, like the CASIA crops) or in a fixed metric window;
closer is brighter, 0 = no depth. IR: coaxial illuminator falling off with distance squared, times NIR
reflectance and incidence, plus glints and glare, sunlight outdoors, auto-gain, noise.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from pafas_cli.data.synth.domains import Domain
from pafas_cli.data.synth.face import ellipse
from pafas_cli.data.synth.scenes import Scene, Setting

NEAR_M, FAR_M = 0.25, 1.6


def blur(a: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur over the first two axes (edge padding)."""
    if sigma < 0.3:
        return a
    r = max(1, int(np.ceil(2.5 * sigma)))
    k = np.exp(-(np.arange(-r, r + 1) ** 2) / (2 * sigma**2))
    k = (k / k.sum()).astype(np.float32)
    h, w = a.shape[:2]
    extra = [(0, 0)] * (a.ndim - 2)
    p = np.pad(a.astype(np.float32), [(r, r), (0, 0)] + extra, mode="edge")
    rows = k[0] * p[0:h]
    for i in range(1, 2 * r + 1):
        rows += k[i] * p[i:i + h]
    p = np.pad(rows, [(0, 0), (r, r)] + extra, mode="edge")
    out = k[0] * p[:, 0:w]
    for i in range(1, 2 * r + 1):
        out += k[i] * p[:, i:i + w]
    return out


def _resample(a: np.ndarray, factor: float) -> np.ndarray:
    """Lose resolution: shrink by `factor` and scale back up (bilinear)."""
    if factor <= 1.0:
        return a
    h, w = a.shape[:2]
    small = (max(8, int(w / factor)), max(8, int(h / factor)))
    chans = [np.asarray(Image.fromarray(a[..., c]).resize(small, Image.BILINEAR).resize((w, h), Image.BILINEAR))
             for c in range(a.shape[2])]
    return np.stack(chans, axis=-1).astype(np.float32)


def _quantise(a: np.ndarray, bits: int) -> np.ndarray:
    top = 255 if bits == 8 else 65535
    return np.rint(np.clip(a, 0, 1) * top).astype(np.uint8 if bits == 8 else np.uint16)


def _holes(rng: np.random.Generator, shape: tuple[int, int], rate: np.ndarray) -> np.ndarray:
    """Blobs of missing depth: smooth noise thresholded so that about `rate` of pixels drop."""
    field = blur(rng.standard_normal(shape).astype(np.float32), 1.5)
    field = (field - field.mean()) / (field.std() + 1e-6)
    u = 1 / (1 + np.exp(-1.702 * field))  # ~ normal CDF, so u is about uniform in 0..1
    return u > 1 - rate


def capture(scene: Scene, domain: Domain, s: Setting) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = s.rng
    fg = scene.fg > 0.5

    rgb = scene.radiance * np.asarray(domain.rgb_cast, np.float32)
    level = rgb[fg].mean() if fg.any() else rgb.mean()
    rgb = rgb * (rng.uniform(0.32, 0.55) / max(float(level), 1e-3))
    rgb = _resample(blur(rgb, domain.rgb_blur), domain.rgb_down)
    rgb = rgb + domain.rgb_noise * (np.sqrt(np.clip(rgb, 0, None)) + 0.3) * rng.standard_normal(rgb.shape, dtype=np.float32)
    rgb = np.clip(rgb, 0, 1) ** (1 / 2.2)

    dist = scene.dist + domain.depth_noise * rng.standard_normal(scene.dist.shape, dtype=np.float32)
    dist = blur(dist.astype(np.float32), domain.depth_smooth)
    valid = (dist < FAR_M) & ~_holes(rng, dist.shape, np.clip(domain.depth_holes * (1 + 6 * scene.gloss), 0, 0.7))
    if domain.depth_encoding == "normalized":
        span = dist[fg & valid] if (fg & valid).sum() > 10 else dist[valid] if valid.any() else dist.ravel()
        lo, hi = np.percentile(span, [2, 98])
        depth = 0.25 + 0.75 * (hi - dist) / max(hi - lo, 0.01)
        depth = np.where(fg & valid, depth, 0.0)
    else:
        depth = np.where(valid, (FAR_M - dist) / (FAR_M - NEAR_M), 0.0)

    gain = domain.ir_gain * rng.uniform(1 - domain.ir_gain_spread, 1 + domain.ir_gain_spread)
    skin = domain.ir_skin
    ir = gain * skin * scene.ir_refl * scene.ir_cos * (0.55 / np.maximum(scene.dist, 0.1)) ** 2 + scene.ir_extra
    if s.outdoor:
        ir = ir + rng.uniform(0.1, 0.35) * scene.ir_refl * np.clip(scene.radiance.mean(axis=-1) * 1.5, 0, 1)
    ir = blur(ir.astype(np.float32), 0.7)
    ir = ir + domain.ir_noise * rng.standard_normal(ir.shape, dtype=np.float32)

    if domain.remove_background:
        # The release keeps only the detected face region, for live faces and attacks alike.
        crop = ellipse(s.x, s.y, s.cx, s.cy, s.scale * 0.95, s.scale * 1.2, 0.05) > 0.5
        rgb = rgb * crop[..., None]
        ir = ir * crop
        depth = depth * crop
    return _quantise(rgb, 8), _quantise(depth, domain.depth_bits), _quantise(ir, domain.ir_bits)
