"""The corpus text never names the task: the scan, on a whole generated corpus and on planted texts."""

from __future__ import annotations

import sys

import pytest

from pafas_cli.data.pretrain.generate import generate, read_samples
from pafas_cli.data.pretrain.config import CorpusConfig
from pafas_cli.pretrain.leaks import LABEL_WORDS, find_leaks, node_variants
from pafas_cli.pretrain.rows import QUESTION


def test_no_text_of_a_generated_corpus_leaks_the_task(corpus_root, taxonomy):
    texts = [r["text"] for r in read_samples(corpus_root)]
    assert len(texts) >= 300
    assert find_leaks(texts + [QUESTION], taxonomy.nodes) == []


@pytest.mark.parametrize("text", [
    "Depth shows a Flat Print Attack.", "rgb: flat print attacks", "IR: FLAT-PRINT ATTACK", "a flat print here",
    "Real Face", "a 3D mask", "3d  masks", "the fake head", "Print Attacks", "Cut Print", "Partial Paper Cutout",
    "a mobile screen replay", "Tattoo Attack",
])
def test_every_spelling_of_a_class_is_found(text, taxonomy):
    assert [leak.kind for leak in find_leaks([text], taxonomy.nodes)].count("class") >= 1


@pytest.mark.parametrize("text", ["a live sample", "Spoofing cues", "this is REAL", "Fake!", "an attack",
                                  "bona fide", "Bona-fide presentation", "genuine skin", "liveness"])
def test_every_label_word_is_found(text, taxonomy):
    assert [leak.kind for leak in find_leaks([text], taxonomy.nodes)] == ["label word"]


@pytest.mark.parametrize(("text", "kind"), [("Verdict: paper.", "conclusion"), ("So the answer is glass", "conclusion"),
                                            ("a face on paper", "face word"), ("eyes and a nose", "face word"),
                                            ("as in WMCA", "dataset"), ("CASIA-SURF rig", "dataset")])
def test_conclusions_faces_and_dataset_names_are_found(text, kind, taxonomy):
    assert kind in {leak.kind for leak in find_leaks([text], taxonomy.nodes)}


@pytest.mark.parametrize("text", ["printed paper with crease lines", "a flat printed sheet", "living-skin reflectance",
                                  "realistic? no: a surface", "tattoo lines across the skin", "a replayed pattern",
                                  "makeup-like pigment", "a hand-held phone display", "glasses frame"])
def test_words_that_describe_what_a_sensor_sees_are_not_leaks(text, taxonomy):
    assert find_leaks([text], taxonomy.nodes) == []


def test_node_variants_singular_plural_and_the_name_without_attack():
    assert node_variants("Flat Print Attack") == {"flat print attack", "flat print attacks", "flat print",
                                                  "flat prints"}
    assert node_variants("Print Attacks") == {"print attack", "print attacks"}
    assert node_variants("Real Face") == {"real face", "real faces"}


def test_a_planted_caption_naming_a_class_is_found_in_the_generated_corpus(monkeypatch, tmp_path, taxonomy):
    """The plant: the generator's phrase for flat paper seen in RGB names a class; the corpus scan must fail."""
    captions = sys.modules["pafas_cli.data.pretrain.captions"]
    planted = {**captions.PRIMARY, "paper": {**captions.PRIMARY["paper"], "rgb": ("a Flat Print Attack",)}}
    monkeypatch.setattr(captions, "PRIMARY", planted)
    generate(tmp_path, CorpusConfig(samples=40, seed=0), workers=1)
    leaks = find_leaks([r["text"] for r in read_samples(tmp_path)], taxonomy.nodes)
    assert leaks and {leak.term.lower() for leak in leaks} == {"flat print attack", "attack"}


def test_the_label_words_are_whole_words_only(taxonomy):
    assert "live" in LABEL_WORDS and find_leaks(["delivered", "unreal", "attackers"], taxonomy.nodes)[0].term == \
        "attackers"
