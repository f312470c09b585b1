"""Presentations as physical scenes: what reaches the RGB camera, the depth sensor and the NIR camera.

A `Scene` holds, per pixel, the RGB radiance towards the camera, the distance (m), the NIR reflectance
and its cosine factor under the camera's coaxial NIR illuminator, extra NIR (glints, glare), how glossy
the surface is (glossy surfaces lose structured-light depth) and which pixels belong to the presented
face or object. Each attack is built from its instrument:

- prints (flat / wrapped / cut): a photo of another subject in ink on matte paper -- planar or bent
  depth, halftone dots and compressed gamut in RGB, paper-bright NIR where ink barely absorbs; cut
  prints have eye and mouth holes showing the attacker's real skin and eyes behind the paper;
- replays (mobile / large): an emissive LCD -- flat depth with dropouts on the glass, moire and scan
  lines, near-black NIR (LCDs emit none) with a specular hotspot of the illuminator;
- masks: rigid resin (face-like but generic, smooth relief, uniform bright NIR, plastic sheen), flexible
  silicone (follows the wearer's face; waxy RGB, too-uniform darker NIR), paper (a bent print with eye
  holes); a fake head has full 3D relief but vinyl NIR, painted eyes and no corneal glint;
- partial attacks: funny eyeglasses (printed eyes on paper lenses in front of real eyes), partial paper
  cut-outs (a printed patch over the eyes or the lower face), makeup and tattoos (a live face with
  altered RGB; depth and most of the NIR response stay live).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pafas_cli.data.synth.face import RELIEF_M, FaceMaps, Subject, ellipse, face_maps, gauss, normals, shade

# Metres per grid unit at the face (the image height spans two units).
UNIT_M = 0.16


@dataclass
class Scene:
    radiance: np.ndarray   # (H, W, 3)
    dist: np.ndarray       # metres
    ir_refl: np.ndarray
    ir_cos: np.ndarray
    ir_extra: np.ndarray
    gloss: np.ndarray
    fg: np.ndarray

    def paste(self, other: "Scene", alpha: np.ndarray) -> None:
        """Put `other` in front where alpha > 0 (alpha blends the colours; geometry switches at 0.5)."""
        a = np.clip(alpha, 0, 1)
        self.radiance = self.radiance * (1 - a[..., None]) + other.radiance * a[..., None]
        hard = a > 0.5
        for name in ("dist", "ir_cos", "gloss"):
            setattr(self, name, np.where(hard, getattr(other, name), getattr(self, name)))
        for name in ("ir_refl", "ir_extra"):
            setattr(self, name, getattr(self, name) * (1 - a) + getattr(other, name) * a)
        self.fg = np.maximum(self.fg, hard.astype(np.float32))


@dataclass
class Setting:
    """One capture: grid, pose, distance and lighting."""

    rng: np.random.Generator
    x: np.ndarray
    y: np.ndarray
    cx: float
    cy: float
    scale: float
    yaw: float
    d0: float
    light: np.ndarray
    ambient: float
    illum: np.ndarray
    outdoor: bool

    @property
    def pixel_m(self) -> float:
        return 2.0 / self.x.shape[0] * UNIT_M


@dataclass(frozen=True)
class Staging:
    """The ranges a capture's pose, distance and lighting are drawn from (uniform, low-high).

    The defaults are the benchmark's; the pretraining corpus draws from wider ones (data/pretrain/rig.py).
    """

    cx: tuple[float, float] = (-0.1, 0.1)
    cy: tuple[float, float] = (-0.05, 0.12)
    scale: tuple[float, float] = (0.55, 0.72)
    yaw: tuple[float, float] = (-0.35, 0.35)
    d0: tuple[float, float] = (0.45, 0.8)
    # Indoors: the key light's x and y (z = 1), the ambient share, each channel's illuminant level.
    light_x: tuple[float, float] = (-0.5, 0.5)
    light_y: tuple[float, float] = (-0.6, 0.1)
    ambient: tuple[float, float] = (0.25, 0.5)
    illum: tuple[float, float] = (0.88, 1.12)
    # Outdoors: the sun's x (y = -0.5, z = 0.6), the ambient share, the daylight level.
    sun_x: tuple[float, float] = (-1.0, 1.0)
    sun_ambient: tuple[float, float] = (0.1, 0.2)
    sun_level: tuple[float, float] = (1.1, 1.5)


def draw_setting(rng: np.random.Generator, size: tuple[int, int], outdoor: bool,
                 staging: Staging = Staging()) -> Setting:
    """One capture on an image of `size` (height, width): the face-coordinate grid, pose and lighting."""
    h, w = size
    ys = np.linspace(-1, 1, h, dtype=np.float32)
    xs = np.linspace(-w / h, w / h, w, dtype=np.float32)
    x, y = np.meshgrid(xs, ys)
    if outdoor:
        light = np.array([rng.uniform(*staging.sun_x), -0.5, 0.6], np.float32)
        ambient = rng.uniform(*staging.sun_ambient)
        illum = np.array([1.1, 1.05, 0.95], np.float32) * rng.uniform(*staging.sun_level)
    else:
        light = np.array([rng.uniform(*staging.light_x), rng.uniform(*staging.light_y), 1.0], np.float32)
        ambient, illum = rng.uniform(*staging.ambient), rng.uniform(*staging.illum, 3).astype(np.float32)
    return Setting(
        rng=rng, x=x, y=y, cx=rng.uniform(*staging.cx), cy=rng.uniform(*staging.cy),
        scale=rng.uniform(*staging.scale), yaw=rng.uniform(*staging.yaw), d0=rng.uniform(*staging.d0),
        light=light / np.linalg.norm(light), ambient=float(ambient), illum=illum, outdoor=outdoor,
    )


def background(s: Setting) -> Scene:
    """A wall behind the subject, beyond the NIR illuminator's useful range."""
    rng = s.rng
    h, w = s.x.shape
    colour = rng.uniform(0.15, 0.7, 3).astype(np.float32)
    ramp = (1 + 0.3 * s.y[..., None] * rng.uniform(-1, 1)) * (1 + 0.04 * rng.standard_normal((h, w, 1), dtype=np.float32))
    dist = np.full((h, w), s.d0 + rng.uniform(0.7, 1.6), np.float32)
    return Scene(
        radiance=(colour * ramp * s.illum).astype(np.float32), dist=dist,
        ir_refl=np.full((h, w), rng.uniform(0.2, 0.5), np.float32), ir_cos=np.ones((h, w), np.float32),
        ir_extra=np.zeros((h, w), np.float32), gloss=np.zeros((h, w), np.float32), fg=np.zeros((h, w), np.float32),
    )


def surface(s: Setting, height_m: np.ndarray, base_dist: float, albedo: np.ndarray, nir: np.ndarray,
            specular: float, gloss: float = 0.0) -> Scene:
    """A lit, reflecting surface with the given height field (metres towards the camera)."""
    n = normals(height_m, s.pixel_m)
    lit = shade(n, s.light, s.ambient)
    half = s.light + np.array([0, 0, 1], np.float32)
    half /= np.linalg.norm(half)
    spec = specular * np.clip(n @ half, 0, 1) ** 30
    radiance = albedo * lit[..., None] * s.illum + spec[..., None] * s.illum
    zeros = np.zeros_like(height_m)
    return Scene(radiance=radiance.astype(np.float32), dist=(base_dist - height_m).astype(np.float32),
                 ir_refl=nir.astype(np.float32), ir_cos=np.clip(n[..., 2], 0, 1).astype(np.float32),
                 ir_extra=zeros + 0.0, gloss=zeros + gloss, fg=np.ones_like(height_m))


def live_face(s: Setting, subject: Subject, detail: float = 1.0) -> tuple[Scene, FaceMaps]:
    """A real face: its own relief, skin and eyes, a corneal glint in NIR."""
    fm = face_maps(subject, s.x, s.y, s.cx, s.cy, s.scale, s.yaw, detail)
    scene = surface(s, fm.relief * RELIEF_M, s.d0, fm.albedo, fm.nir, specular=0.08)
    scene.ir_extra = 0.9 * fm.glint
    return scene, fm


def face_before_wall(s: Setting, subject: Subject) -> tuple[Scene, FaceMaps]:
    """The wall with a real face in front of it: the base of every attack worn on a live face."""
    scene = background(s)
    live, fm = live_face(s, subject)
    scene.paste(live, fm.head)
    return scene, fm


def photo(s: Setting, target: Subject, scale: float | None = None, cx: float | None = None,
          cy: float | None = None) -> tuple[np.ndarray, FaceMaps]:
    """A photograph of `target` (soft frontal light, its own background), as an RGB image in 0..1."""
    fm = face_maps(target, s.x, s.y, s.cx if cx is None else cx, s.cy if cy is None else cy,
                   s.scale if scale is None else scale, s.rng.uniform(-0.2, 0.2))
    n = normals(fm.relief * RELIEF_M, s.pixel_m)
    key = np.array([s.rng.uniform(-0.3, 0.3), -0.2, 1.0], np.float32)
    lit = shade(n, key / np.linalg.norm(key), 0.45)
    back = s.rng.uniform(0.3, 0.9, 3).astype(np.float32)
    img = fm.albedo * lit[..., None] * 1.3
    img = img * fm.head[..., None] + back * (1 - fm.head[..., None])
    return np.clip(img, 0, 1).astype(np.float32), fm


def ink(s: Setting, img: np.ndarray) -> np.ndarray:
    """Printing: compressed gamut and saturation, a slight cast, halftone dots."""
    rng = s.rng
    grey = img.mean(axis=-1, keepdims=True)
    out = 0.08 + 0.82 * (grey + rng.uniform(0.6, 0.9) * (img - grey))
    out = out * rng.uniform(0.92, 1.08, 3).astype(np.float32)
    period = rng.uniform(2.2, 3.4)
    angle = rng.uniform(0, np.pi)
    px = np.arange(s.x.shape[1])[None, :] * np.cos(angle) - np.arange(s.x.shape[0])[:, None] * np.sin(angle)
    py = np.arange(s.x.shape[1])[None, :] * np.sin(angle) + np.arange(s.x.shape[0])[:, None] * np.cos(angle)
    dots = 0.5 * (1 + np.cos(2 * np.pi * px / period) * np.cos(2 * np.pi * py / period))
    return np.clip(out * (1 - rng.uniform(0.05, 0.2) * dots[..., None]), 0, 1).astype(np.float32)


def paper_nir(s: Setting, printed: np.ndarray) -> np.ndarray:
    """Paper is bright in NIR; colour inks barely absorb it, carbon-black ink does a little."""
    carbon = s.rng.uniform(0.05, 0.45)
    return (s.rng.uniform(0.7, 0.85) * (1 - carbon * (1 - printed.mean(axis=-1)))).astype(np.float32)


def sheet(s: Setting, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """A held sheet: (alpha of the sheet, height in metres relative to d0), planar, tilted, maybe bent."""
    rng = s.rng
    half_w = s.scale * rng.uniform(0.85, 1.3)
    half_h = s.scale * rng.uniform(1.1, 1.6)
    dx, dy = (s.x - s.cx) / half_w, (s.y - s.cy) / half_h
    alpha = (np.clip((1 - np.abs(dx)) * 30, 0, 1) * np.clip((1 - np.abs(dy)) * 30, 0, 1)).astype(np.float32)
    tilt = rng.uniform(-0.45, 0.45, 2)
    height = -(tilt[0] * (s.x - s.cx) + tilt[1] * (s.y - s.cy)) * UNIT_M
    if kind == "wrapped":
        height = height + rng.uniform(0.02, 0.05) * np.clip(1 - dx**2, 0, 1)
    return alpha, height.astype(np.float32) + rng.uniform(0.0, 0.05)


def print_attack(s: Setting, wearer: Subject, target: Subject, kind: str) -> Scene:
    scene = background(s)
    img, pfm = photo(s, target)
    printed = ink(s, img)
    alpha, height = sheet(s, "wrapped" if kind == "wrapped" else "flat")
    paper = surface(s, height, s.d0, printed, paper_nir(s, printed), specular=s.rng.uniform(0.0, 0.15),
                    gloss=s.rng.uniform(0.0, 0.3))
    if kind == "cut":
        live, fm = live_face(s, wearer)
        live.dist = live.dist + s.rng.uniform(0.02, 0.05) - height
        scene.paste(live, fm.head)
        holes = np.clip(pfm.eyes * 1.6 + pfm.mouth * 1.4, 0, 1)
        alpha = alpha * (1 - holes)
    scene.paste(paper, alpha)
    return scene


def replay_attack(s: Setting, target: Subject, kind: str) -> Scene:
    return display(s, kind, lambda scale: photo(s, target, scale=scale)[0])


def display(s: Setting, kind: str, content: Callable[[float], np.ndarray]) -> Scene:
    """A phone ("mobile") or a large screen in front of the wall, showing `content(scale)` (an RGB image)."""
    rng = s.rng
    scene = background(s)
    h, w = s.x.shape
    if kind == "mobile":
        half_w, half_h = rng.uniform(0.35, 0.5), rng.uniform(0.6, 0.8)
        content_scale = s.scale * rng.uniform(0.45, 0.65)
        dist = s.d0 * rng.uniform(0.55, 0.85)
    else:
        half_w, half_h = rng.uniform(1.1, 1.6), rng.uniform(1.2, 1.6)
        content_scale = s.scale * rng.uniform(0.85, 1.1)
        dist = s.d0 * rng.uniform(0.9, 1.25)
    img = content(content_scale)
    dx, dy = (s.x - s.cx) / half_w, (s.y - s.cy) / half_h
    screen = (np.clip((1 - np.abs(dx)) * 40, 0, 1) * np.clip((1 - np.abs(dy)) * 40, 0, 1)).astype(np.float32)
    bezel_w = 0.08 / max(half_w, 0.1)
    body = (np.clip((1 + bezel_w - np.abs(dx)) * 40, 0, 1) * np.clip((1 + bezel_w - np.abs(dy)) * 40, 0, 1))
    angle = rng.uniform(0, np.pi)
    freq = rng.uniform(2.5, 9.0)
    moire = 1 + rng.uniform(0.05, 0.18) * np.cos(2 * np.pi * freq * (s.x * np.cos(angle) + s.y * np.sin(angle)))
    scan = 1 + rng.uniform(0.02, 0.1) * np.sin(2 * np.pi * np.arange(h)[:, None] / rng.uniform(2.5, 6) + rng.uniform(0, 6))
    glare = rng.uniform(0.0, 0.35) * gauss(s.x, s.y, *rng.uniform(-0.6, 0.6, 2), 0.3, 0.3)
    white = np.array([0.95, 1.0, 1.1], np.float32) * rng.uniform(0.8, 1.3)
    radiance = img * white * (moire * scan)[..., None] + glare[..., None]
    tilt = rng.uniform(-0.3, 0.3, 2)
    height = (-(tilt[0] * (s.x - s.cx) + tilt[1] * (s.y - s.cy)) * UNIT_M).astype(np.float32)
    hot = rng.uniform(0.3, 1.0) * gauss(s.x, s.y, s.cx + tilt[0] * 1.5, s.cy + tilt[1] * 1.5, 0.12, 0.12)
    device = Scene(
        radiance=np.where(screen[..., None] > 0.5, radiance, 0.04 * s.illum).astype(np.float32),
        dist=(dist - height).astype(np.float32),
        ir_refl=np.where(screen > 0.5, rng.uniform(0.01, 0.06), 0.25).astype(np.float32),
        ir_cos=np.ones((h, w), np.float32), ir_extra=(hot * screen).astype(np.float32),
        gloss=np.where(screen > 0.5, 0.6, 0.1).astype(np.float32), fg=np.ones((h, w), np.float32),
    )
    scene.paste(device, np.clip(body, 0, 1))
    return scene


def mask_attack(s: Setting, wearer: Subject, target: Subject, kind: str) -> Scene:
    rng = s.rng
    scene, wfm = face_before_wall(s, wearer)
    if kind == "rigid":
        mfm = face_maps(target, s.x, s.y, s.cx, s.cy, s.scale * 1.04, s.yaw, detail=0.35)
        paint = np.asarray(target.skin, np.float32) * rng.uniform(0.85, 1.2)
        albedo = 0.6 * paint + 0.4 * mfm.albedo
        nir = np.full_like(mfm.nir, rng.uniform(0.72, 0.92)) * (1 - 0.1 * mfm.eyes)
        height = mfm.relief * RELIEF_M * rng.uniform(0.8, 1.0) + 0.012
        layer = surface(s, height, s.d0, albedo, nir, specular=rng.uniform(0.2, 0.45), gloss=0.1)
    elif kind == "flexible":
        mfm = face_maps(target, s.x, s.y, s.cx, s.cy, s.scale * 1.02, s.yaw, detail=0.4)
        albedo = mfm.albedo * rng.uniform(0.9, 1.1, 3).astype(np.float32)
        nir = np.full_like(mfm.nir, target.skin_nir * rng.uniform(0.7, 0.88))
        height = (0.8 * wfm.relief + 0.2 * mfm.relief) * RELIEF_M + 0.004
        layer = surface(s, height, s.d0, albedo, nir, specular=rng.uniform(0.12, 0.25), gloss=0.05)
    else:  # paper mask: a bent print of the target, cut to the face, eye holes
        img, mfm = photo(s, target)
        printed = ink(s, img)
        bend = rng.uniform(0.02, 0.045) * np.clip(1 - mfm.u**2, 0, 1)
        layer = surface(s, (bend + 0.015).astype(np.float32), s.d0, printed, paper_nir(s, printed), specular=0.02)
    holes = np.clip(wfm.eyes * 1.5, 0, 1)
    layer.ir_extra = 0.9 * wfm.glint * holes
    scene.paste(layer, mfm.mask * (1 - holes))
    return scene


def fake_head(s: Setting, target: Subject) -> Scene:
    rng = s.rng
    scene = background(s)
    fm = face_maps(target, s.x, s.y, s.cx, s.cy, s.scale, s.yaw, detail=0.5)
    vinyl = np.asarray(rng.choice([(0.85, 0.66, 0.55), (0.9, 0.75, 0.62), (0.7, 0.5, 0.38)]), np.float32)
    albedo = 0.7 * vinyl + 0.3 * fm.albedo
    nir = np.full_like(fm.nir, rng.uniform(0.65, 0.9)) * (1 - 0.25 * fm.eyes) * (1 - 0.4 * (fm.head - fm.mask))
    head = surface(s, fm.relief * RELIEF_M, s.d0, albedo, nir, specular=rng.uniform(0.15, 0.35), gloss=0.05)
    scene.paste(head, fm.head)
    return scene


def glasses_layer(s: Setting, fm: FaceMaps, subject: Subject, funny: bool) -> tuple[Scene, np.ndarray]:
    """Eyeglasses in front of the eyes: paper lenses with printed eyes (funny) or thin medical frames."""
    rng = s.rng
    ex, ey = subject.eye_dx, subject.eye_y
    ru, rv = (0.24, 0.17) if funny else (0.2, 0.13)
    lens = ellipse(fm.u, fm.v, -ex, ey, ru, rv, 0.05) + ellipse(fm.u, fm.v, ex, ey, ru, rv, 0.05)
    rim = np.clip(ellipse(fm.u, fm.v, -ex, ey, ru + 0.04, rv + 0.04, 0.05)
                  + ellipse(fm.u, fm.v, ex, ey, ru + 0.04, rv + 0.04, 0.05) - lens, 0, 1)
    height = (fm.relief.max() * RELIEF_M + 0.012) * np.ones_like(fm.u, dtype=np.float32)
    frame_col = rng.uniform(0.0, 0.9 if funny else 0.3, 3).astype(np.float32)
    if funny:
        eyes = np.ones(fm.u.shape + (3,), np.float32) * 0.9
        iris = (ellipse(fm.u, fm.v, -ex, ey, 0.1, 0.1, 0.1) + ellipse(fm.u, fm.v, ex, ey, 0.1, 0.1, 0.1))
        eyes = eyes * (1 - iris[..., None]) + rng.uniform(0, 0.6, 3).astype(np.float32) * iris[..., None]
        albedo = ink(s, eyes) * lens[..., None] + frame_col * rim[..., None]
        nir = lens * paper_nir(s, eyes) + rim * 0.2
        alpha = np.clip(lens + rim, 0, 1)
    else:
        albedo = np.broadcast_to(frame_col, fm.u.shape + (3,)).astype(np.float32)
        nir = np.full(fm.u.shape, 0.2, np.float32)
        alpha = rim
    layer = surface(s, height, s.d0, albedo, nir, specular=0.3)
    return layer, alpha


def partial_attack(s: Setting, wearer: Subject, target: Subject, kind: str) -> Scene:
    rng = s.rng
    scene, fm = face_before_wall(s, wearer)
    if kind == "glasses":
        layer, alpha = glasses_layer(s, fm, wearer, funny=True)
        scene.paste(layer, alpha)
        return scene
    img, _ = photo(s, target)
    printed = ink(s, img)
    if rng.random() < 0.5:
        band = (np.abs(fm.v - wearer.eye_y) < 0.17) & (np.abs(fm.u) < 0.8)
    else:
        band = (fm.v > 0.08) & (fm.v < 0.72) & (np.abs(fm.u) < 0.55)
    alpha = band.astype(np.float32) * fm.mask
    height = np.full(fm.u.shape, fm.relief.max() * RELIEF_M + 0.006, np.float32)
    patch = surface(s, height, s.d0, printed, paper_nir(s, printed), specular=0.02)
    scene.paste(patch, alpha)
    return scene


def cosmetic_attack(s: Setting, wearer: Subject, target: Subject, kind: str) -> Scene:
    """Makeup or a tattoo on a live face: depth stays live, RGB changes, NIR changes only where ink is carbon."""
    rng = s.rng
    scene = background(s)
    fm = face_maps(wearer, s.x, s.y, s.cx, s.cy, s.scale, s.yaw, detail=0.6 if kind == "makeup" else 1.0)
    albedo, nir = fm.albedo.copy(), fm.nir.copy()
    if kind == "makeup":
        tone = np.asarray(target.skin, np.float32)
        albedo = albedo * (1 - 0.5 * fm.mask[..., None]) + tone * 0.5 * fm.mask[..., None]
        contour = np.clip((np.abs(fm.u) - 0.45) * 3, 0, 1) * fm.mask
        ridge = gauss(fm.u, fm.v, 0, 0.05, 0.07, 0.3)
        albedo = albedo * (1 - 0.3 * contour + 0.18 * ridge)[..., None]
        liner = np.clip(ellipse(fm.u, fm.v, -wearer.eye_dx, wearer.eye_y, 0.19, 0.09, 0.1)
                        + ellipse(fm.u, fm.v, wearer.eye_dx, wearer.eye_y, 0.19, 0.09, 0.1) - fm.eyes, 0, 1)
        albedo = albedo * (1 - 0.7 * liner[..., None])
        lips = np.array([0.6, 0.08, 0.15], np.float32) * rng.uniform(0.7, 1.1)
        albedo = albedo * (1 - 0.8 * fm.mouth[..., None]) + lips * 0.8 * fm.mouth[..., None]
        nir = nir * (1 - 0.3 * fm.mask) + 0.3 * fm.mask * (0.9 * nir.mean() + 0.05)
        nir = nir * (1 - 0.5 * liner)
    else:
        cu, cv = rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.4)
        blob = ellipse(fm.u, fm.v, cu, cv, rng.uniform(0.15, 0.3), rng.uniform(0.12, 0.25), 0.2)
        a = rng.uniform(10, 25)
        swirl = 0.5 + 0.5 * np.sin(a * (fm.u - cu) + rng.uniform(4, 10) * np.sin(a * 0.6 * (fm.v - cv)))
        pattern = blob * (swirl > 0.55) * fm.mask
        colour = rng.choice([(0.05, 0.05, 0.12), (0.3, 0.05, 0.05), (0.05, 0.2, 0.1)])
        albedo = albedo * (1 - 0.8 * pattern[..., None]) + np.asarray(colour, np.float32) * 0.8 * pattern[..., None]
        nir = nir * (1 - rng.uniform(0.05, 0.25) * pattern)
    layer = surface(s, fm.relief * RELIEF_M, s.d0, albedo, nir, specular=0.08)
    layer.ir_extra = 0.9 * fm.glint
    scene.paste(layer, fm.head)
    return scene


def live_scene(s: Setting, subject: Subject, medical_glasses: bool) -> Scene:
    scene, fm = face_before_wall(s, subject)
    if medical_glasses:
        layer, alpha = glasses_layer(s, fm, subject, funny=False)
        scene.paste(layer, alpha)
    return scene


def render_scene(s: Setting, slug: str, wearer: Subject, target: Subject, medical_glasses: bool) -> Scene:
    """The scene of one presentation, by attack slug."""
    if slug == "live":
        return live_scene(s, wearer, medical_glasses)
    family, _, kind = slug.partition("-")
    if family == "print":
        return print_attack(s, wearer, target, kind)
    if family == "replay":
        return replay_attack(s, target, kind)
    if slug in ("rigidmask", "flexiblemask", "papermask"):
        return mask_attack(s, wearer, target, {"rigidmask": "rigid", "flexiblemask": "flexible"}.get(slug, "paper"))
    if slug == "fakehead":
        return fake_head(s, target)
    if slug in ("glasses", "paper-cutout"):
        return partial_attack(s, wearer, target, slug)
    if slug in ("makeup", "tattoo"):
        return cosmetic_attack(s, wearer, target, slug)
    raise ValueError(f"no scene for attack '{slug}'")
