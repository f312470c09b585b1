"""The four synthetic domains, modelled on the four MMDG datasets.

Each domain is a sensor rig plus a population: image size, RGB blur/noise/colour cast, illumination,
depth sensor character (structured light vs stereo, how it is encoded, 8 or 16 bit), IR gain and
wavelength response, background, the live share, the subjects' skin tones and the attack mix per
split. The mixes follow the real sets: C = CeFA (prints and replays; its masks appear only in its test
split), P = PADISI (its own stereo sensor rig; masks, partial paper cut-outs, makeup, tattoo),
S = CASIA-SURF (prints only, background removed, small crops), W = WMCA (fake heads and funny
eyeglasses exist only here; bona fide subjects sometimes wear medical glasses).
"""

from __future__ import annotations

from dataclasses import dataclass, field

DOMAINS = ("C", "P", "S", "W")
SPLITS = ("train", "dev", "test")
# Share of a domain's samples per split.
SPLIT_SHARE = {"train": 0.5, "dev": 0.2, "test": 0.3}
# Skin albedo (linear RGB) and NIR skin reflectance by group; darker skin is nearly as bright in NIR.
SKIN_TONES = {
    "dark": ((0.36, 0.22, 0.15), 0.55),
    "medium": ((0.58, 0.40, 0.30), 0.60),
    "light": ((0.78, 0.58, 0.48), 0.64),
}


@dataclass(frozen=True)
class Domain:
    name: str
    # Stored image size (height, width).
    size: tuple[int, int]
    # Share of live samples.
    live_share: float
    # Attack mix (slug -> weight) per split; a split missing here uses "train".
    attacks: dict[str, dict[str, float]]
    # Subjects per split (disjoint between splits).
    subjects: int
    # Skin-tone groups and their weights.
    skin: dict[str, float]
    # RGB: optical blur (px), sensor noise (std), white-balance gains, downsample factor before storing.
    rgb_blur: float
    rgb_noise: float
    rgb_cast: tuple[float, float, float]
    rgb_down: float
    # Probability of an outdoor session (strong directional sunlight, which also adds NIR).
    outdoor: float
    # Depth: "normalized" (per-face min-max, like CASIA crops) or "metric" (fixed window), bits, noise
    # (metres), hole rate, smoothing (px).
    depth_encoding: str
    depth_bits: int
    depth_noise: float
    depth_holes: float
    depth_smooth: float
    # IR: gain mean and spread (auto-exposure), skin-response factor (wavelength), noise, bits.
    ir_gain: float
    ir_gain_spread: float
    ir_skin: float
    ir_noise: float
    ir_bits: int
    # Background removed (CASIA-SURF crops): zero outside the presented face/object.
    remove_background: bool = False
    # Share of bona fide subjects wearing medical glasses.
    medical_glasses: float = 0.0
    extra: dict = field(default_factory=dict)


DOMAIN_SPECS: dict[str, Domain] = {
    "C": Domain(
        name="C", size=(96, 96), live_share=0.25,
        attacks={
            "train": {"print-wrapped": 0.4, "print-flat": 0.3, "replay-large": 0.3},
            "test": {"print-wrapped": 0.25, "print-flat": 0.2, "replay-large": 0.2, "rigidmask": 0.2,
                     "flexiblemask": 0.15},
        },
        subjects=40, skin={"dark": 0.5, "light": 0.5},
        rgb_blur=0.9, rgb_noise=0.025, rgb_cast=(1.05, 1.0, 0.92), rgb_down=1.0, outdoor=0.35,
        depth_encoding="normalized", depth_bits=8, depth_noise=0.004, depth_holes=0.04, depth_smooth=1.0,
        ir_gain=1.0, ir_gain_spread=0.3, ir_skin=1.0, ir_noise=0.03, ir_bits=8,
    ),
    "P": Domain(
        name="P", size=(100, 80), live_share=0.55,
        attacks={"train": {"print-flat": 0.14, "replay-mobile": 0.1, "replay-large": 0.06, "rigidmask": 0.1,
                           "flexiblemask": 0.14, "papermask": 0.1, "paper-cutout": 0.12, "makeup": 0.14,
                           "tattoo": 0.1}},
        subjects=30, skin={"light": 0.45, "medium": 0.35, "dark": 0.2},
        rgb_blur=0.5, rgb_noise=0.015, rgb_cast=(0.92, 1.0, 1.1), rgb_down=1.0, outdoor=0.0,
        depth_encoding="metric", depth_bits=16, depth_noise=0.012, depth_holes=0.06, depth_smooth=1.6,
        ir_gain=0.8, ir_gain_spread=0.2, ir_skin=0.78, ir_noise=0.04, ir_bits=8,
    ),
    "S": Domain(
        name="S", size=(64, 64), live_share=0.15,
        attacks={"train": {"print-flat": 0.34, "print-wrapped": 0.33, "print-cut": 0.33}},
        subjects=80, skin={"medium": 0.6, "light": 0.4},
        rgb_blur=1.0, rgb_noise=0.02, rgb_cast=(1.0, 1.0, 1.0), rgb_down=1.6, outdoor=0.0,
        depth_encoding="normalized", depth_bits=8, depth_noise=0.003, depth_holes=0.03, depth_smooth=0.8,
        ir_gain=1.0, ir_gain_spread=0.3, ir_skin=1.0, ir_noise=0.03, ir_bits=8, remove_background=True,
    ),
    "W": Domain(
        name="W", size=(112, 112), live_share=0.22,
        attacks={"train": {"print-flat": 0.15, "replay-mobile": 0.1, "replay-large": 0.1, "rigidmask": 0.13,
                           "fakehead": 0.12, "flexiblemask": 0.13, "papermask": 0.12, "glasses": 0.15}},
        subjects=40, skin={"light": 0.5, "medium": 0.3, "dark": 0.2},
        rgb_blur=0.6, rgb_noise=0.012, rgb_cast=(1.0, 1.0, 1.0), rgb_down=1.0, outdoor=0.0,
        depth_encoding="metric", depth_bits=16, depth_noise=0.003, depth_holes=0.03, depth_smooth=0.8,
        ir_gain=1.1, ir_gain_spread=0.2, ir_skin=1.0, ir_noise=0.02, ir_bits=16, medical_glasses=0.3,
    ),
}


def attack_mix(domain: Domain, split: str) -> dict[str, float]:
    return domain.attacks.get(split, domain.attacks["train"])
