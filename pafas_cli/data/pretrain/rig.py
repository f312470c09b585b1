"""Domain randomisation: every scene's sensor rig is drawn from wide ranges, and never is a benchmark domain's.

A rig is a `Domain` (data/synth/domains.py), the object `sensors.capture` reads, so the corpus goes through the
very RGB / depth / IR models of the benchmark; only the numbers differ, one rig per scene.

**Disjoint, precisely.** A rig's twelve continuous capture parameters (`KEYS`: RGB blur, noise, the three
white-balance gains, resolution loss; depth noise, dropouts, smoothing; IR gain, wavelength response, noise)
are each scaled to 0-1 by their sampling range (`RANGES`). A rig is kept only when its Euclidean distance in
that space to the same vector of every benchmark domain (C, P, S, W, their nominal values) is at least
`margin` (default 0.3); closer rigs are drawn again. So no scene is captured with a benchmark domain's rig, nor
with one that differs from it only by small amounts in a few parameters. Why a distance and not ranges that
exclude the benchmark's values: the domains share many values (a neutral green gain of 1.0, the IR response
1.0 of C, S and W), so excluding every value a domain uses would carve holes in each range (the corpus would
never be neutral in green) and teach a sensor that no camera is; domain randomisation should bracket the
target domains, not avoid their neighbourhood knob by knob. The discrete choices (depth encoding, bit depths,
background removal, an outdoor session) each have two values that the benchmark already uses, so they are
drawn freely and the distance covers the continuous rig. The stored size (64-112 px a side) is drawn too and
left out of the distance: every image is resized to the model's side before any model reads it.

Pose, distance and lighting come from `STAGING`, wider than the benchmark's (`scenes.Staging()`).
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np

from pafas_cli.data.synth.domains import DOMAIN_SPECS, Domain
from pafas_cli.data.synth.scenes import Staging

RANGES: dict[str, tuple[float, float]] = {
    "rgb_blur": (0.2, 1.6),
    "rgb_noise": (0.005, 0.045),
    "rgb_cast_r": (0.85, 1.15),
    "rgb_cast_g": (0.85, 1.15),
    "rgb_cast_b": (0.85, 1.15),
    "rgb_down": (1.0, 2.2),
    "depth_noise": (0.001, 0.02),
    "depth_holes": (0.0, 0.09),
    "depth_smooth": (0.3, 2.2),
    "ir_gain": (0.6, 1.4),
    "ir_skin": (0.65, 1.15),
    "ir_noise": (0.01, 0.06),
}
KEYS = tuple(RANGES)
# Probability of the second value of each two-valued choice.
OUTDOOR = 0.3
METRIC_DEPTH = 0.5
DEEP_BITS = 0.5
REMOVE_BACKGROUND = 0.15
SIDE = (64, 112)
STAGING = Staging(cx=(-0.25, 0.25), cy=(-0.2, 0.2), scale=(0.35, 0.85), yaw=(0.0, 0.0), d0=(0.3, 1.1),
                  light_x=(-0.8, 0.8), light_y=(-0.8, 0.3), ambient=(0.15, 0.6), illum=(0.75, 1.25),
                  sun_x=(-1.0, 1.0), sun_ambient=(0.05, 0.25), sun_level=(0.9, 1.7))
# Redraws before giving up (a margin near 1 rejects most rigs; 0.3 almost none).
MAX_DRAWS = 10_000


def vector(domain: Domain) -> np.ndarray:
    """The rig's continuous parameters in `KEYS` order, each scaled to 0-1 by its sampling range."""
    values = {"rgb_blur": domain.rgb_blur, "rgb_noise": domain.rgb_noise, "rgb_cast_r": domain.rgb_cast[0],
              "rgb_cast_g": domain.rgb_cast[1], "rgb_cast_b": domain.rgb_cast[2], "rgb_down": domain.rgb_down,
              "depth_noise": domain.depth_noise, "depth_holes": domain.depth_holes,
              "depth_smooth": domain.depth_smooth, "ir_gain": domain.ir_gain, "ir_skin": domain.ir_skin,
              "ir_noise": domain.ir_noise}
    return np.array([(values[k] - RANGES[k][0]) / (RANGES[k][1] - RANGES[k][0]) for k in KEYS])


def benchmark_distances(domain: Domain) -> dict[str, float]:
    """Range-normalised Euclidean distance from this rig to each benchmark domain's."""
    mine = vector(domain)
    return {name: float(np.linalg.norm(mine - vector(spec))) for name, spec in DOMAIN_SPECS.items()}


def draw_rig(rng: np.random.Generator, margin: float) -> Domain:
    """A random rig at least `margin` from every benchmark domain (see the module docstring)."""
    for _ in range(MAX_DRAWS):
        rig = _draw(rng)
        if min(benchmark_distances(rig).values()) >= margin:
            return rig
    raise ValueError(f"margin: no rig {margin} or farther from the benchmark domains in {MAX_DRAWS} draws; "
                     "lower it")


def _draw(rng: np.random.Generator) -> Domain:
    v = {k: float(rng.uniform(lo, hi)) for k, (lo, hi) in RANGES.items()}
    side = int(rng.integers(SIDE[0], SIDE[1] + 1))
    width = int(round(side * rng.uniform(0.8, 1.0)))
    return Domain(
        name="corpus", size=(side, width), live_share=0.0, attacks={"train": {}}, subjects=0, skin={},
        rgb_blur=v["rgb_blur"], rgb_noise=v["rgb_noise"], rgb_cast=(v["rgb_cast_r"], v["rgb_cast_g"], v["rgb_cast_b"]),
        rgb_down=v["rgb_down"], outdoor=float(rng.random() < OUTDOOR),
        depth_encoding="metric" if rng.random() < METRIC_DEPTH else "normalized",
        depth_bits=16 if rng.random() < DEEP_BITS else 8, depth_noise=v["depth_noise"], depth_holes=v["depth_holes"],
        depth_smooth=v["depth_smooth"], ir_gain=v["ir_gain"], ir_gain_spread=0.0, ir_skin=v["ir_skin"],
        ir_noise=v["ir_noise"], ir_bits=16 if rng.random() < DEEP_BITS else 8,
        remove_background=bool(rng.random() < REMOVE_BACKGROUND),
    )


def record(domain: Domain) -> dict:
    """The rig as JSON values (what a sample's record keeps of it)."""
    keep = ("size", "rgb_blur", "rgb_noise", "rgb_cast", "rgb_down", "outdoor", "depth_encoding", "depth_bits",
            "depth_noise", "depth_holes", "depth_smooth", "ir_gain", "ir_skin", "ir_noise", "ir_bits",
            "remove_background")
    fields = asdict(domain)
    out = {k: list(fields[k]) if isinstance(fields[k], tuple) else fields[k] for k in keep}
    out["outdoor"] = bool(out["outdoor"])
    return out

