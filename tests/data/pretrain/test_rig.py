"""Every corpus scene is captured with a rig of its own, never a benchmark domain's (data/pretrain/rig.py).

The oracle is computed here from the domains' fields and the rule's documented ranges, not by `rig.vector`.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from pafas_cli.data.pretrain.generate import read_samples
from pafas_cli.data.pretrain import rig as rig_module
from pafas_cli.data.pretrain.config import CorpusConfig
from pafas_cli.data.pretrain.rig import RANGES, draw_rig
from pafas_cli.data.synth.domains import DOMAIN_SPECS

MARGIN = CorpusConfig().margin


def _params(fields) -> dict[str, float]:
    """A rig's or a domain's continuous parameters by name (a record's dict or a Domain)."""
    get = fields.get if isinstance(fields, dict) else lambda k: getattr(fields, k)
    cast = get("rgb_cast")
    return {"rgb_blur": get("rgb_blur"), "rgb_noise": get("rgb_noise"), "rgb_cast_r": cast[0],
            "rgb_cast_g": cast[1], "rgb_cast_b": cast[2], "rgb_down": get("rgb_down"),
            "depth_noise": get("depth_noise"), "depth_holes": get("depth_holes"), "depth_smooth": get("depth_smooth"),
            "ir_gain": get("ir_gain"), "ir_skin": get("ir_skin"), "ir_noise": get("ir_noise")}


def _distance(a: dict[str, float], b: dict[str, float]) -> float:
    return math.sqrt(sum(((a[k] - b[k]) / (hi - lo)) ** 2 for k, (lo, hi) in RANGES.items()))


def _too_close(rigs) -> list[tuple[str, float]]:
    """(domain, distance) of every rig within the margin of a benchmark domain."""
    return [(name, d) for fields in rigs for name, spec in DOMAIN_SPECS.items()
            if (d := _distance(_params(fields), _params(spec))) < MARGIN]


def test_the_written_corpus_never_uses_a_benchmark_domains_rig(corpus_root):
    records = read_samples(corpus_root)
    assert len(records) > 100 and not _too_close(r["rig"] for r in records)


def test_thousands_of_drawn_rigs_keep_the_margin_and_span_the_ranges():
    rng = np.random.default_rng(7)
    rigs = [draw_rig(rng, MARGIN) for _ in range(3000)]
    assert not _too_close(rigs)
    values = np.array([list(_params(r).values()) for r in rigs])
    lows, highs = np.array([lo for lo, _ in RANGES.values()]), np.array([hi for _, hi in RANGES.values()])
    # Wide: each parameter covers most of its range, which brackets every benchmark domain's value.
    assert np.all(values.min(axis=0) < lows + 0.05 * (highs - lows))
    assert np.all(values.max(axis=0) > highs - 0.05 * (highs - lows))
    for spec in DOMAIN_SPECS.values():
        assert all(lo <= v <= hi for v, (lo, hi) in zip(_params(spec).values(), RANGES.values()))


def test_a_sampler_that_returns_a_benchmark_domains_settings_is_caught(monkeypatch, tmp_path):
    """The plant: the generator's sampler hands back W's rig for every scene; the check above must see it."""
    import sys

    from pafas_cli.data.pretrain.generate import generate

    monkeypatch.setattr(sys.modules["pafas_cli.data.pretrain.generate"], "draw_rig",
                        lambda rng, margin: DOMAIN_SPECS["W"])
    generate(tmp_path, CorpusConfig(samples=20), workers=1)
    caught = _too_close(r["rig"] for r in read_samples(tmp_path))
    assert len(caught) == 20 and {name for name, _ in caught} == {"W"} and all(d == 0.0 for _, d in caught)


def test_a_margin_no_rig_can_keep_is_refused(monkeypatch):
    monkeypatch.setattr(rig_module, "MAX_DRAWS", 20)
    with pytest.raises(ValueError, match="margin"):
        draw_rig(np.random.default_rng(0), 5.0)
