"""Each scene's ground truth: per-modality attributes (the CNN's targets, the captions' content) and measures.

Attributes are yes/no facts of what one sensor shows, named `modality.attribute` (`ATTRIBUTES`). Most follow
from the object (paper is printed, bent paper is curved, a screen emits no NIR); the rest are measured on the
scene and on the captured images (depth dropouts, a NIR hotspot, a printed pattern still visible in NIR, an
object close to the camera or dim in IR). Measures (how much of the view the object fills, its distance and
tilt, its colour, ...) add the numbers a caption turns into words.
"""

from __future__ import annotations

import numpy as np

from pafas_cli.data.synth.scenes import UNIT_M, Scene

ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "rgb": ("halftone", "moire", "bezel", "glossy", "skin_texture", "wood_grain", "weave", "ink_lines", "pigment",
            "frame", "creases"),
    "depth": ("planar", "bent", "folded", "rounded", "soft", "holes", "patchy", "near"),
    "ir": ("paper", "dark", "hotspot", "skin", "uniform", "falloff", "pattern", "ink", "dim"),
}
# The flat order of the attributes (the CNN's output units): "rgb.halftone", ..., "ir.dim".
NAMES: tuple[str, ...] = tuple(f"{m}.{a}" for m, names in ATTRIBUTES.items() for a in names)
# What each object kind shows, whatever the capture.
BY_KIND: dict[str, tuple[str, ...]] = {
    "paper": ("rgb.halftone", "depth.planar", "ir.paper"),
    "paper-bent": ("rgb.halftone", "depth.bent", "ir.paper", "ir.falloff"),
    "paper-folded": ("rgb.halftone", "rgb.creases", "depth.folded", "ir.paper"),
    "paper-holes": ("rgb.halftone", "depth.planar", "depth.holes", "ir.paper"),
    "phone": ("rgb.moire", "rgb.bezel", "depth.planar", "ir.dark"),
    "monitor": ("rgb.moire", "rgb.bezel", "depth.planar", "ir.dark"),
    "resin": ("rgb.glossy", "depth.rounded", "ir.uniform"),
    "silicone": ("rgb.creases", "depth.rounded", "depth.soft", "ir.uniform"),
    "vinyl": ("rgb.glossy", "depth.rounded", "ir.uniform"),
    "skin": ("rgb.skin_texture", "depth.rounded", "ir.skin"),
    "glasses": ("rgb.frame", "depth.holes", "ir.hotspot"),
    "fabric": ("rgb.weave", "depth.soft", "ir.uniform"),
    "wood": ("rgb.wood_grain", "depth.planar"),
}
BY_OVERLAY: dict[str, tuple[str, ...]] = {
    "ink": ("rgb.ink_lines", "ir.ink"),
    "pigment": ("rgb.pigment",),
    "paper-patch": ("rgb.halftone", "ir.paper"),
}
# Measured attributes: depth dropouts over this share of the object, a NIR glare above this level, a printed
# pattern whose NIR contrast (std / mean of the reflectance) exceeds this, nearer than this (m), IR dimmer than this.
PATCHY = 0.15
HOTSPOT = 0.25
PATTERN_CONTRAST = 0.06
NEAR_M = 0.5
DIM = 0.12
# A planar object turned further than this (degrees) is said to be tilted.
TILT_DEG = 12.0


def _unit(image: np.ndarray) -> np.ndarray:
    return image.astype(np.float32) / (65535.0 if image.dtype == np.uint16 else 255.0)


def measure(scene: Scene, depth: np.ndarray, ir: np.ndarray) -> dict:
    """Numbers about the object: share of the view, distance, tilt, colour, depth dropouts, NIR level and contrast."""
    fg = scene.fg > 0.5
    if not fg.any():
        fg = np.ones_like(fg)
    h, w = fg.shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    unit_px = h / 2  # pixels per grid unit (the image height spans two)
    a = np.column_stack([xs[fg] / unit_px, ys[fg] / unit_px, np.ones(int(fg.sum()))])
    slope_x, slope_y, _ = np.linalg.lstsq(a, scene.dist[fg], rcond=None)[0] / np.array([UNIT_M, UNIT_M, 1.0])
    tilt = float(np.degrees(np.arctan(np.hypot(slope_x, slope_y))))
    if abs(slope_x) >= abs(slope_y):
        nearer = "left" if slope_x > 0 else "right"
    else:
        nearer = "top" if slope_y > 0 else "bottom"
    refl = scene.ir_refl[fg]
    return {
        "coverage": round(float(fg.mean()), 3),
        "distance_m": round(float(np.median(scene.dist[fg])), 3),
        "tilt_deg": round(tilt, 1),
        "nearer": nearer,
        "colour": [round(float(c), 3) for c in scene.radiance[fg].mean(axis=0)],
        "dropouts": round(float((depth[fg] == 0).mean()), 3),
        "ir_level": round(float(_unit(ir)[fg].mean()), 3),
        "ir_contrast": round(float(refl.std() / max(float(refl.mean()), 1e-6)), 3),
        "ir_glare": round(float(scene.ir_extra.max()), 3),
    }


def attributes(kind: str, overlay: str | None, measures: dict) -> list[str]:
    """The true attributes of a scene, in `NAMES` order."""
    true = set(BY_KIND[kind]) | set(BY_OVERLAY.get(overlay or "", ()))
    if measures["dropouts"] > PATCHY:
        true.add("depth.patchy")
    if measures["distance_m"] < NEAR_M:
        true.add("depth.near")
    if measures["ir_glare"] > HOTSPOT:
        true.add("ir.hotspot")
    if kind.startswith("paper") and measures["ir_contrast"] > PATTERN_CONTRAST:
        true.add("ir.pattern")
    if measures["ir_level"] < DIM and "ir.dark" not in true:
        true.add("ir.dim")
    return [n for n in NAMES if n in true]
