"""Measures and attributes of a scene, checked on scenes built by hand (known tilt, share, dropouts)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pafas_cli.data.pretrain.truth import NAMES, attributes, measure
from pafas_cli.data.synth.scenes import UNIT_M, Scene


def _scene(h: int = 40, w: int = 40, slope: float = 0.0, fg_rows: slice = slice(None)) -> Scene:
    """A plane at 0.6 m whose distance grows by `slope` metres per metre to the right; fg where given."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    metres_right = xs / (h / 2) * UNIT_M
    dist = (0.6 + slope * metres_right).astype(np.float32)
    fg = np.zeros((h, w), np.float32)
    fg[fg_rows] = 1
    flat = np.ones((h, w), np.float32)
    return Scene(radiance=np.full((h, w, 3), 0.5, np.float32), dist=dist, ir_refl=flat * 0.7, ir_cos=flat,
                 ir_extra=flat * 0, gloss=flat * 0, fg=fg)


def test_a_plane_turned_by_a_known_angle_is_measured_at_that_angle_with_the_near_side_named():
    angle = 30.0
    scene = _scene(slope=math.tan(math.radians(angle)))
    depth = np.full((40, 40), 200, np.uint8)
    m = measure(scene, depth, depth)
    assert m["tilt_deg"] == pytest.approx(angle, abs=0.2)
    assert m["nearer"] == "left"
    assert measure(_scene(slope=-0.2), depth, depth)["nearer"] == "right"


def test_share_of_view_dropouts_and_ir_level_are_counted_over_the_object_only():
    scene = _scene(fg_rows=slice(0, 10))  # a quarter of the image
    depth = np.full((40, 40), 100, np.uint8)
    depth[0:5, 0:20] = 0  # 100 of the object's 400 pixels lost; dropouts elsewhere do not count
    depth[30:, :] = 0
    ir = np.zeros((40, 40), np.uint16)
    ir[0:10] = 65535 // 4
    m = measure(scene, depth, ir)
    assert m["coverage"] == 0.25 and m["dropouts"] == 0.25
    assert m["ir_level"] == pytest.approx(0.25, abs=1e-3)
    assert m["distance_m"] == pytest.approx(0.6)


def test_attributes_come_from_the_kind_and_the_measures():
    base = {"dropouts": 0.0, "distance_m": 0.8, "ir_glare": 0.0, "ir_contrast": 0.0, "ir_level": 0.5}
    assert attributes("paper", None, base) == ["rgb.halftone", "depth.planar", "ir.paper"]
    measured = attributes("paper-bent", None, {**base, "dropouts": 0.3, "distance_m": 0.4, "ir_contrast": 0.2})
    assert set(measured) >= {"depth.patchy", "depth.near", "ir.pattern", "depth.bent", "ir.falloff"}
    assert "ir.dim" in attributes("wood", None, {**base, "ir_level": 0.05})
    assert "ir.dim" not in attributes("phone", None, {**base, "ir_level": 0.05})  # dark, not dim: it emits none
    assert "ir.pattern" not in attributes("resin", None, {**base, "ir_contrast": 0.5})
    assert set(attributes("skin", "ink", base)) == {"rgb.skin_texture", "rgb.ink_lines", "depth.rounded", "ir.skin",
                                                    "ir.ink"}
    assert all(a in NAMES for a in measured)
