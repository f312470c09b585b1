"""The corpus's scenes: one object or material in front of a wall, built from the benchmark's scene physics.

Paper (flat, bent, folded, with holes cut) printed with patterns, phone and large screens showing patterns,
resin, silicone and vinyl objects, patches of bare skin (a forearm or a palm, sometimes with ink, pigment or a
printed paper patch on it), eyeglasses, fabric and wood. Each reflects RGB, depth and NIR the way the
benchmark's instruments do (`scenes.surface`, `ink`, `paper_nir`, `sheet`, `display`, the skin tones of
`domains.SKIN_TONES`), so the words for what a sensor sees of paper, glass, plastic and skin are learned here.

No scene contains a face, a head or a face-shaped relief: a face in the corpus, described per sensor, would
be a labelled example of a taxonomy class in all but name (a face on paper, on a screen or in resin is an
attack; a bare face is the live class). Skin appears only as a forearm or a palm, which no protocol presents.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from pafas_cli.data.pretrain.patterns import pattern
from pafas_cli.data.synth.domains import SKIN_TONES
from pafas_cli.data.synth.face import ellipse, gauss
from pafas_cli.data.synth.scenes import Scene, Setting, background, display, ink, paper_nir, sheet, surface
from pafas_cli.data.synth.sensors import blur

# Object kind -> share of the corpus.
KINDS: dict[str, float] = {
    "paper": 0.11, "paper-bent": 0.08, "paper-folded": 0.07, "paper-holes": 0.06, "phone": 0.08, "monitor": 0.08,
    "resin": 0.07, "silicone": 0.07, "vinyl": 0.06, "skin": 0.13, "glasses": 0.06, "fabric": 0.07, "wood": 0.06,
}
# What a skin patch may carry, with probabilities (the rest is bare skin).
OVERLAYS: dict[str, float] = {"ink": 0.2, "pigment": 0.15, "paper-patch": 0.15}
PAPER_SHAPES = {"paper": "flat", "paper-bent": "bent", "paper-folded": "folded", "paper-holes": "holes"}


def build(s: Setting, kind: str, overlay: str | None) -> tuple[Scene, dict]:
    """The scene of one object kind, and the facts about it a caption may state (pattern, shape, ...)."""
    if kind in PAPER_SHAPES:
        return paper(s, PAPER_SHAPES[kind])
    if kind in ("phone", "monitor"):
        return screen(s, kind)
    if kind in ("resin", "silicone", "vinyl"):
        return solid(s, kind)
    if kind == "skin":
        return skin(s, overlay)
    if kind == "glasses":
        return glasses(s)
    if kind == "fabric":
        return fabric(s)
    if kind == "wood":
        return wood(s)
    raise ValueError(f"no scene for object kind '{kind}'")


def _printed(s: Setting, scale: float) -> tuple[np.ndarray, str]:
    content, name = pattern(s.rng, s.x - s.cx, s.y - s.cy, scale)
    return ink(s, content), name


def paper(s: Setting, shape: str) -> tuple[Scene, dict]:
    """A printed sheet held in front of the wall: flat, bent like a cylinder, folded, or with holes cut."""
    rng = s.rng
    scene = background(s)
    printed, name = _printed(s, s.scale)
    alpha, height = sheet(s, "wrapped" if shape == "bent" else "flat")
    if shape == "folded":
        angle, period = rng.uniform(0, np.pi), rng.uniform(0.25, 0.6) * s.scale
        along = (s.x * np.cos(angle) + s.y * np.sin(angle)) / period
        height = height + rng.uniform(0.01, 0.03) * np.abs(2 * (along - np.floor(along + 0.5)))
    if shape == "holes":
        holes = sum(ellipse(s.x, s.y, s.cx + rng.uniform(-0.5, 0.5) * s.scale, s.cy + rng.uniform(-0.6, 0.6) * s.scale,
                            rng.uniform(0.1, 0.22) * s.scale, rng.uniform(0.08, 0.18) * s.scale, 0.1)
                    for _ in range(int(rng.integers(1, 4))))
        alpha = alpha * (1 - np.clip(holes, 0, 1))
    sheet_scene = surface(s, height.astype(np.float32), s.d0, printed, paper_nir(s, printed),
                          specular=rng.uniform(0.0, 0.15), gloss=rng.uniform(0.0, 0.3))
    scene.paste(sheet_scene, alpha)
    return scene, {"pattern": name}


def screen(s: Setting, kind: str) -> tuple[Scene, dict]:
    """A phone or a large screen showing a pattern: emissive, glass, moire, no NIR of its own."""
    shown: list[str] = []

    def content(scale: float) -> np.ndarray:
        image, name = pattern(s.rng, s.x - s.cx, s.y - s.cy, scale)
        shown.append(name)
        return image

    scene = display(s, "mobile" if kind == "phone" else "large", content)
    return scene, {"pattern": shown[0]}


def _shape(s: Setting, shape: str) -> tuple[np.ndarray, np.ndarray]:
    """(height in metres, alpha) of a rounded solid: a dome, a lumpy blob, or a lying cylinder."""
    rng = s.rng
    a, b = s.scale * rng.uniform(0.6, 1.1), s.scale * rng.uniform(0.6, 1.1)
    tall = rng.uniform(0.03, 0.1)
    u, v = (s.x - s.cx) / a, (s.y - s.cy) / b
    if shape == "dome":
        r = 1 - u**2 - v**2
        height, alpha = tall * np.sqrt(np.clip(r, 0, 1)), np.clip(r * 8, 0, 1)
    elif shape == "blob":
        bumps = sum(gauss(u, v, *rng.uniform(-0.4, 0.4, 2), *rng.uniform(0.3, 0.6, 2)) for _ in range(3))
        height, alpha = tall * np.clip(bumps / 1.5, 0, 1), np.clip((bumps - 0.35) * 6, 0, 1)
    else:
        angle = rng.uniform(0, np.pi)
        along, across = u * np.cos(angle) + v * np.sin(angle), -u * np.sin(angle) + v * np.cos(angle)
        r = 1 - (across / 0.55) ** 2
        height = tall * np.sqrt(np.clip(r, 0, 1))
        alpha = np.clip(r * 8, 0, 1) * np.clip((1.5 - np.abs(along)) * 8, 0, 1)
    return height.astype(np.float32), alpha.astype(np.float32)


def solid(s: Setting, material: str) -> tuple[Scene, dict]:
    """Resin (hard, glossy, bright uniform NIR), silicone (soft, wrinkled, waxy NIR) or vinyl (moulded, uniform)."""
    rng = s.rng
    scene = background(s)
    shape = str(rng.choice(["dome", "blob", "cylinder"]))
    height, alpha = _shape(s, shape)
    colour = rng.uniform(0.1, 0.9, 3).astype(np.float32)
    albedo = np.broadcast_to(colour, height.shape + (3,)).astype(np.float32)
    if material == "resin":
        nir, specular, gloss = rng.uniform(0.72, 0.92), rng.uniform(0.25, 0.5), 0.1
    elif material == "silicone":
        angle = rng.uniform(0, np.pi)
        wrinkles = np.sin(2 * np.pi * (s.x * np.cos(angle) + s.y * np.sin(angle)) / (s.scale * rng.uniform(0.1, 0.25)))
        height = height + rng.uniform(0.002, 0.006) * wrinkles.astype(np.float32) * (height > 0)
        nir, specular, gloss = rng.uniform(0.45, 0.65), rng.uniform(0.12, 0.25), 0.05
    else:
        nir, specular, gloss = rng.uniform(0.65, 0.9), rng.uniform(0.15, 0.35), 0.05
    body = surface(s, height, s.d0, albedo, np.full(height.shape, nir, np.float32), specular=specular, gloss=gloss)
    scene.paste(body, alpha)
    return scene, {"shape": shape}


def skin(s: Setting, overlay: str | None) -> tuple[Scene, dict]:
    """A forearm (a lying cylinder) or a palm (a low dome) of bare skin, maybe with ink, pigment or paper on it."""
    rng = s.rng
    scene = background(s)
    tone = str(rng.choice(list(SKIN_TONES)))
    base, skin_nir = SKIN_TONES[tone]
    part = "forearm" if rng.random() < 0.6 else "palm"
    height, alpha = _shape(s, "cylinder" if part == "forearm" else "dome")
    if part == "palm":
        height = height * 0.3
    pores = rng.standard_normal(height.shape).astype(np.float32)
    albedo = np.asarray(base, np.float32) * rng.uniform(0.9, 1.1) * (1 + 0.07 * pores[..., None])
    nir = (skin_nir * rng.uniform(0.93, 1.07) * (1 + 0.015 * pores)).astype(np.float32)
    u, v = (s.x - s.cx) / s.scale, (s.y - s.cy) / s.scale
    spot = ellipse(u, v, *rng.uniform(-0.3, 0.3, 2), *rng.uniform(0.15, 0.35, 2), 0.2) * alpha
    if overlay == "ink":
        a = rng.uniform(10, 25)
        swirl = 0.5 + 0.5 * np.sin(a * u + rng.uniform(4, 10) * np.sin(a * 0.6 * v))
        lines = spot * (swirl > 0.55)
        colour = np.asarray(rng.choice([(0.05, 0.05, 0.12), (0.3, 0.05, 0.05), (0.05, 0.2, 0.1)]), np.float32)
        albedo = albedo * (1 - 0.8 * lines[..., None]) + colour * 0.8 * lines[..., None]
        nir = nir * (1 - rng.uniform(0.15, 0.35) * lines)
    elif overlay == "pigment":
        colour = rng.uniform(0.1, 0.9, 3).astype(np.float32)
        albedo = albedo * (1 - 0.5 * spot[..., None]) + colour * 0.5 * spot[..., None]
        nir = nir * (1 - rng.uniform(0.05, 0.15) * spot)
    body = surface(s, height, s.d0, albedo.astype(np.float32), nir.astype(np.float32), specular=0.08)
    scene.paste(body, alpha)
    if overlay == "paper-patch":
        printed, _ = _printed(s, s.scale * 0.5)
        patch_alpha = (spot > 0.5).astype(np.float32)
        raised = np.full(height.shape, float(height.max()) + 0.003, np.float32)
        scene.paste(surface(s, raised, s.d0, printed, paper_nir(s, printed), specular=0.02), patch_alpha)
    return scene, {"part": part, "tone": tone}


def glasses(s: Setting) -> tuple[Scene, dict]:
    """Eyeglasses in front of the wall: a frame, clear lenses (the wall shows through), a lens glare in NIR."""
    rng = s.rng
    scene = background(s)
    ru, rv = s.scale * rng.uniform(0.22, 0.32), s.scale * rng.uniform(0.16, 0.24)
    gap = s.scale * rng.uniform(0.38, 0.48)
    lenses = [ellipse(s.x, s.y, s.cx + side * gap, s.cy, ru, rv, 0.05) for side in (-1, 1)]
    rims = [ellipse(s.x, s.y, s.cx + side * gap, s.cy, ru * 1.15, rv * 1.18, 0.05) for side in (-1, 1)]
    bridge = (np.abs(s.x - s.cx) < gap - ru) & (np.abs(s.y - s.cy + rv * 0.4) < s.scale * 0.03)
    lens = np.clip(sum(lenses), 0, 1)
    frame = np.clip(sum(rims) - lens + bridge, 0, 1).astype(np.float32)
    flat = np.zeros(s.x.shape, np.float32)
    colour = rng.uniform(0.0, 0.6, 3).astype(np.float32)
    rim = surface(s, flat, s.d0, np.broadcast_to(colour, flat.shape + (3,)).astype(np.float32),
                  np.full(flat.shape, rng.uniform(0.15, 0.5), np.float32), specular=0.3)
    glass = surface(s, flat, s.d0, np.full(flat.shape + (3,), 0.85, np.float32), np.full(flat.shape, 0.1, np.float32),
                    specular=0.6, gloss=0.6)
    scene.paste(glass, lens * rng.uniform(0.1, 0.3))
    scene.paste(rim, frame)
    side = rng.choice([-1, 1])
    scene.ir_extra = scene.ir_extra + rng.uniform(0.3, 0.9) * gauss(s.x, s.y, s.cx + side * gap, s.cy, ru * 0.3, rv * 0.3)
    return scene, {}


def _board(s: Setting, grow: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(alpha, height, along, across) of a planar piece `grow` times a sheet's size, tilted at random."""
    alpha, height = sheet(replace(s, scale=s.scale * grow), "flat")
    angle = s.rng.uniform(0, np.pi)
    along = (s.x * np.cos(angle) + s.y * np.sin(angle)) / s.scale
    across = (-s.x * np.sin(angle) + s.y * np.cos(angle)) / s.scale
    return alpha, height, along, across


def fabric(s: Setting) -> tuple[Scene, dict]:
    """Dyed woven cloth hanging in soft folds; dyes barely absorb NIR, so it is evenly bright there."""
    rng = s.rng
    scene = background(s)
    alpha, height, along, across = _board(s, rng.uniform(1.0, 1.5))
    folds = rng.uniform(0.005, 0.02) * np.sin(2 * np.pi * along / rng.uniform(0.3, 0.8) + rng.uniform(0, 6))
    h, w = s.x.shape
    period = rng.uniform(2.0, 3.0)
    weave = np.sin(2 * np.pi * np.arange(w)[None, :] / period) * np.sin(2 * np.pi * np.arange(h)[:, None] / period)
    dye = rng.uniform(0.05, 0.9, 3).astype(np.float32)
    albedo = dye * (1 + 0.12 * weave[..., None]).astype(np.float32)
    nir = (rng.uniform(0.55, 0.8) * (1 + 0.03 * weave)).astype(np.float32)
    cloth = surface(s, (height + folds).astype(np.float32), s.d0, albedo, nir, specular=0.02)
    scene.paste(cloth, alpha)
    return scene, {}


def wood(s: Setting) -> tuple[Scene, dict]:
    """A flat board with wood grain, maybe varnished; bright in NIR with faint grain."""
    rng = s.rng
    scene = background(s)
    alpha, height, along, across = _board(s, 1.0)
    wobble = blur(rng.standard_normal(s.x.shape).astype(np.float32), s.x.shape[0] / 12)
    grain = 0.5 + 0.5 * np.sin(2 * np.pi * (across + 2.0 * wobble) / rng.uniform(0.08, 0.2))
    base = np.array([0.45, 0.3, 0.15], np.float32) * rng.uniform(0.7, 1.4)
    albedo = base * (1 - 0.25 * grain[..., None]).astype(np.float32)
    nir = (rng.uniform(0.55, 0.8) * (1 - 0.06 * grain)).astype(np.float32)
    board = surface(s, height, s.d0, albedo, nir, specular=rng.uniform(0.02, 0.25))
    scene.paste(board, alpha)
    return scene, {}

