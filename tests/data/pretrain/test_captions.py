"""The texts: one sentence per sensor, in the order RGB, Depth, IR, saying what the ground truth says."""

from __future__ import annotations

import re

import pytest

from pafas_cli.data.pretrain.generate import read_samples
from pafas_cli.data.pretrain.captions import OVERLAY, PRIMARY, colour_name

SENTENCE = re.compile(r"(?:(?:In )?(RGB|Depth|IR)(?: shows| reveals|:|,) )")


def test_each_text_has_one_sentence_per_sensor_in_the_fixed_order(corpus_root):
    for r in read_samples(corpus_root):
        assert SENTENCE.findall(r["text"]) == ["RGB", "Depth", "IR"], r["text"]


def _sentences(text: str) -> dict[str, str]:
    parts = SENTENCE.split(text)[1:]
    return dict(zip(parts[0::2], parts[1::2]))


def test_each_sentence_states_its_objects_look_in_that_sensor_and_an_overlay_in_every_sensor(corpus_root):
    names = {"rgb": "RGB", "depth": "Depth", "ir": "IR"}
    for r in read_samples(corpus_root):
        said = _sentences(r["text"])
        for modality, name in names.items():
            assert any(p in said[name] for p in PRIMARY[r["kind"]][modality]), (modality, r["text"])
            if r["overlay"]:
                assert any(p in said[name] for p in OVERLAY[r["overlay"]][modality]), (modality, r["text"])


def test_measured_attributes_reach_the_text(corpus_root):
    records = read_samples(corpus_root)
    hot = [r for r in records if "ir.hotspot" in r["attributes"] and r["kind"] in ("phone", "monitor")]
    assert hot and all(re.search(r"hotspot|glare spot", _sentences(r["text"])["IR"]) for r in hot)
    near = [r for r in records if "depth.near" in r["attributes"] and not r["overlay"]]
    assert near and all("near the camera" in r["text"] or "close to the camera" in r["text"] for r in near)


@pytest.mark.parametrize(("rgb", "name"), [((0.9, 0.1, 0.1), "red"), ((0.1, 0.2, 0.9), "blue"),
                                           ((0.2, 0.8, 0.2), "green"), ((0.5, 0.5, 0.5), "grey"),
                                           ((0.95, 0.95, 0.93), "white"), ((0.02, 0.02, 0.03), "black"),
                                           ((0.9, 0.8, 0.1), "yellow")])
def test_colour_names(rgb, name):
    assert colour_name(list(rgb)) == name
