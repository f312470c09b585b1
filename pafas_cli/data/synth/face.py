"""Faces as physical surfaces: geometry (relief), RGB albedo, NIR albedo, and how light leaves them.

A face is drawn in face coordinates (u, v) (u across, v down, the face ellipse is u^2 + v^2 < 1). Live
skin has 3D relief (dome, nose, eye sockets, brows, lips), pores (fine RGB texture), and in NIR a
smooth, fairly bright response (subsurface scattering) with dark pupils and a corneal glint from
the camera's coaxial illuminator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pafas_cli.data.synth.domains import SKIN_TONES

# Metres of depth per unit of relief (a face is about 9 cm deep, nose tip to cheek edge).
RELIEF_M = 0.09


@dataclass(frozen=True)
class Subject:
    """One identity: shape and colours, drawn once per subject id."""

    skin: tuple[float, float, float]
    skin_nir: float
    width: float
    eye_dx: float
    eye_y: float
    nose: float
    mouth_w: float
    iris: tuple[float, float, float]
    hair: tuple[float, float, float]
    lips: tuple[float, float, float]
    pore_seed: int


def make_subject(rng: np.random.Generator, tone: str) -> Subject:
    base, nir = SKIN_TONES[tone]
    skin = tuple(float(c * rng.uniform(0.9, 1.1)) for c in base)
    hair_level = rng.uniform(0.03, 0.35 if tone == "light" else 0.12)
    return Subject(
        skin=skin, skin_nir=float(nir * rng.uniform(0.93, 1.07)), width=float(rng.uniform(0.68, 0.8)),
        eye_dx=float(rng.uniform(0.32, 0.4)), eye_y=float(rng.uniform(-0.17, -0.08)),
        nose=float(rng.uniform(0.35, 0.55)), mouth_w=float(rng.uniform(0.24, 0.34)),
        iris=tuple(float(c) for c in rng.choice([(0.25, 0.15, 0.08), (0.2, 0.35, 0.5), (0.3, 0.3, 0.15)])),
        hair=(hair_level, hair_level * 0.8, hair_level * 0.6),
        lips=(skin[0] * 1.05, skin[1] * 0.65, skin[2] * 0.7), pore_seed=int(rng.integers(1 << 30)),
    )


def gauss(u: np.ndarray, v: np.ndarray, u0: float, v0: float, su: float, sv: float) -> np.ndarray:
    return np.exp(-(((u - u0) / su) ** 2 + ((v - v0) / sv) ** 2) / 2)


def ellipse(u: np.ndarray, v: np.ndarray, u0: float, v0: float, ru: float, rv: float, soft: float = 0.15) -> np.ndarray:
    """1 inside the ellipse, 0 outside, with a soft edge of relative width `soft`."""
    r = np.sqrt(((u - u0) / ru) ** 2 + ((v - v0) / rv) ** 2)
    return np.clip((1 + soft - r) / (2 * soft), 0, 1)


@dataclass
class FaceMaps:
    """Everything a renderer needs about one face at one pose, on the image grid."""

    mask: np.ndarray        # face skin region (0..1), hair excluded
    head: np.ndarray        # face + hair (what occludes the background)
    relief: np.ndarray      # height towards the camera, relief units
    albedo: np.ndarray      # (H, W, 3) RGB reflectance
    nir: np.ndarray         # NIR reflectance
    eyes: np.ndarray        # eye openings (0..1)
    mouth: np.ndarray       # mouth region (0..1)
    glint: np.ndarray       # corneal glint spots (0..1)
    u: np.ndarray
    v: np.ndarray


def face_maps(subject: Subject, x: np.ndarray, y: np.ndarray, cx: float, cy: float, scale: float,
              yaw: float, detail: float = 1.0) -> FaceMaps:
    """Geometry and materials of `subject` at a pose; `detail` < 1 removes fine structure (masks, heads)."""
    u = (x - cx) / (scale * subject.width)
    v = (y - cy) / scale
    uf = u - yaw * 0.25 * np.clip(1 - v**2, 0, 1)  # features slide sideways with head turn
    mask = ellipse(u, v, 0, 0, 1.0, 1.0, 0.06)
    hair = ellipse(u, v, 0, -0.25, 1.12, 1.05, 0.05) * np.clip((-0.55 - v) / 0.1 + 1, 0, 1)
    hair = np.maximum(hair - mask * (v > -0.6), 0)
    dome = np.clip(1 - u**2 - v**2, 0, 1)
    ex, ey = subject.eye_dx, subject.eye_y
    sockets = gauss(uf, v, -ex, ey, 0.16, 0.11) + gauss(uf, v, ex, ey, 0.16, 0.11)
    nose = subject.nose * (gauss(uf, v, 0, 0.18, 0.09, 0.2) + 0.4 * gauss(uf, v, 0, -0.05, 0.06, 0.25))
    brows = gauss(uf, v, -ex, ey - 0.2, 0.18, 0.05) + gauss(uf, v, ex, ey - 0.2, 0.18, 0.05)
    lips = gauss(uf, v, 0, 0.52, subject.mouth_w * 0.7, 0.06)
    chin = gauss(uf, v, 0, 0.85, 0.25, 0.12)
    relief = (0.6 * dome + detail * (nose - 0.12 * sockets + 0.05 * brows + 0.05 * lips) + 0.05 * chin) * mask
    relief = relief + 0.35 * hair

    eyes = ellipse(uf, v, -ex, ey, 0.15, 0.065, 0.25) + ellipse(uf, v, ex, ey, 0.15, 0.065, 0.25)
    iris = (ellipse(uf, v, -ex, ey, 0.06, 0.06, 0.2) + ellipse(uf, v, ex, ey, 0.06, 0.06, 0.2)) * eyes
    pupil = (ellipse(uf, v, -ex, ey, 0.028, 0.028, 0.2) + ellipse(uf, v, ex, ey, 0.028, 0.028, 0.2)) * eyes
    glint = ellipse(uf, v, -ex + 0.015, ey - 0.015, 0.016, 0.016, 0.3) + ellipse(uf, v, ex + 0.015, ey - 0.015,
                                                                                 0.016, 0.016, 0.3)
    mouth = ellipse(uf, v, 0, 0.52, subject.mouth_w, 0.055, 0.3)
    brow_m = np.clip(brows * 1.3 - 0.3, 0, 1)

    pores = np.random.default_rng(subject.pore_seed).standard_normal(x.shape).astype(np.float32)
    skin = np.asarray(subject.skin, np.float32)
    albedo = skin * (1 + 0.07 * detail * pores[..., None])
    cheeks = gauss(uf, v, -0.5, 0.2, 0.18, 0.15) + gauss(uf, v, 0.5, 0.2, 0.18, 0.15)
    albedo = albedo * (1 + 0.12 * cheeks[..., None] * np.array([0.3, -0.2, -0.2], np.float32))
    albedo = _mix(albedo, np.asarray(subject.lips, np.float32), mouth)
    albedo = _mix(albedo, np.asarray(subject.hair, np.float32), brow_m * 0.8)
    albedo = _mix(albedo, np.array([0.82, 0.8, 0.78], np.float32), eyes)
    albedo = _mix(albedo, np.asarray(subject.iris, np.float32), iris)
    albedo = _mix(albedo, np.array([0.02, 0.02, 0.02], np.float32), pupil)
    strands = 1 + 0.25 * np.sin(40 * u + 3 * pores)
    albedo = _mix(albedo, np.asarray(subject.hair, np.float32) * strands[..., None], hair)

    nir = subject.skin_nir * (1 + 0.015 * detail * pores)
    nir = nir * (1 - 0.1 * mouth) * (1 - 0.35 * brow_m)
    nir = nir * (1 - eyes) + 0.55 * eyes
    nir = nir * (1 - iris) + 0.4 * iris
    nir = nir * (1 - pupil) + 0.04 * pupil
    nir = nir * (1 - hair) + 0.3 * hair * strands
    head = np.clip(mask + hair, 0, 1)
    return FaceMaps(mask=mask, head=head, relief=relief.astype(np.float32), albedo=albedo.astype(np.float32),
                    nir=nir.astype(np.float32), eyes=np.clip(eyes, 0, 1), mouth=mouth, glint=np.clip(glint, 0, 1),
                    u=u, v=v)


def _mix(base: np.ndarray, top: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """base + alpha * (top - base), for an alpha map over an (H, W, 3) base."""
    a = np.clip(alpha, 0, 1, dtype=np.float32)[..., None]
    return base + a * (top - base)


def normals(height_m: np.ndarray, pixel_m: float) -> np.ndarray:
    """Unit surface normals (H, W, 3) of a height field given in metres (towards the camera)."""
    gy, gx = np.gradient(height_m, pixel_m)
    n = np.stack([-gx, -gy, np.ones_like(gx)], axis=-1)
    return n / np.linalg.norm(n, axis=-1, keepdims=True)


def shade(n: np.ndarray, light: np.ndarray, ambient: float) -> np.ndarray:
    """Lambertian shading of normals under a unit light direction."""
    return ambient + (1 - ambient) * np.clip(n @ light, 0, 1)
