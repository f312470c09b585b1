import copy

import pytest
import yaml

from pafas_cli.errors import PafasError
from pafas_cli.paths.files import RECIPES_DIR
from pafas_cli.paths.tree import ReasoningTree

RAW = yaml.safe_load((RECIPES_DIR / "reasoning_tree.yaml").read_text())


def test_every_node_has_support_in_every_modality(tree, taxonomy):
    for node in taxonomy.nodes:
        for modality in ("rgb", "depth", "ir"):
            assert tree.observations[("support", node, modality)], (node, modality)


def test_observations_are_short(tree):
    words = [len(o.text.split()) for obs in tree.observations.values() for o in obs]
    assert max(words) <= 8 and min(words) >= 2


def test_conditions_follow_what_the_annotation_knows(tree, taxonomy):
    makeup = taxonomy.path_to("Makeup Attack")
    mask = taxonomy.path_to("Fake Head Attack")
    # `unless`: the depth cue of a spoof is not claimed for makeup, nor for a spoof of unknown type.
    assert tree.options("support", "Spoof Face", "depth", mask)
    assert not tree.options("support", "Spoof Face", "depth", makeup)
    assert not tree.options("support", "Spoof Face", "depth", ("Spoof Face",))
    # `only`: ruling out a live face with a flat depth map needs a known presentation-media attack.
    flat = "a flat or bent sheet without relief"
    assert flat in tree.options("rule_out", "Real Face", "depth", taxonomy.path_to("Flat Print Attack"))
    assert flat not in tree.options("rule_out", "Real Face", "depth", mask)


def _broken(edit) -> dict:
    data = copy.deepcopy(RAW)
    edit(data)
    return data


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["nodes"].pop("Cut Print Attack"), "node 'Cut Print Attack' has no entry"),
    (lambda d: d["nodes"].__setitem__("Print", {}), "node 'Print' is not in the taxonomy"),
    (lambda d: d["nodes"]["Replay Attacks"]["support"].__setitem__("thermal", ["x y"]),
     "node 'Replay Attacks' support"),
    (lambda d: d["nodes"]["Flat Print Attack"]["support"]["rgb"].append("a Real Face look"),
     "names the class 'Real Face'"),
    (lambda d: d["nodes"]["Tattoo Attack"]["rule_out"]["rgb"].append({"text": "ink", "only": ["Ink"]}),
     "node 'Tattoo Attack' rule_out.rgb: only"),
    (lambda d: d["templates"]["step"].append("{modality} shows {obs}."), "templates.step"),
    (lambda d: d["templates"].__setitem__("conclude", ["{node} it is."]), "templates.conclude"),
    (lambda d: d["nodes"]["Makeup Attack"].__setitem__("support",
                                                        {"rgb": [{"text": "x y", "only": ["Tattoo Attack"]}]}),
     "node 'Makeup Attack': no support observation applies"),
])
def test_a_malformed_tree_names_the_node(taxonomy, edit, message):
    with pytest.raises(PafasError, match=message.replace("(", r"\(")):
        ReasoningTree.from_mapping(_broken(edit), taxonomy, "tree.yaml")


def test_live_cues_are_inherited_down_the_attack_subtree(tree):
    # Spoof Face says rgb, External adds ir, Presentation Media adds depth: a print differs from a live face
    # in all three; a mask (3D relief) only in rgb and ir; makeup (live relief, altered skin) in rgb and ir.
    assert tree.live_cues("Flat Print Attack") == ("rgb", "depth", "ir")
    assert tree.live_cues("Fake Head Attack") == ("rgb", "ir")
    assert tree.live_cues("Makeup Attack") == ("rgb", "ir")
    assert tree.live_cues("Spoof Face") == ("rgb",)


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["nodes"]["Real Face"].update(unlike_live=["rgb"]), "only attack classes"),
    (lambda d: d["nodes"]["Spoof Face"].update(unlike_live=["thermal"]), "unlike_live: expected a list of modalities"),
])
def test_bad_live_cues_are_refused(edit, message, taxonomy):
    with pytest.raises(PafasError, match=message):
        ReasoningTree.from_mapping(_broken(edit), taxonomy)


def test_an_observation_holds_for_the_faces_the_tree_states_it_of(tree, taxonomy):
    """The truth rule of docs/scoring.md, case by case, on phrases picked by hand from recipes/reasoning_tree.yaml."""
    flat, replay = taxonomy.path_to("Flat Print Attack"), taxonomy.path_to("Mobile Screen Replay Attack")
    live, shallow = ("Real Face",), ("Spoof Face",)
    # support of a class on the path (the leaf, an inner node, the top level)
    assert tree.holds("ir", "even reflectance across a flat sheet", flat)
    assert tree.holds("rgb", "paper grain and halftone dots", flat)
    assert tree.holds("rgb", "spoofing artefacts on the face", flat)
    # rule_out of a sibling of a class on the path: what the other classes show; never of the face's own class
    assert tree.holds("rgb", "moire stripes and a pixel grid", replay)  # rule_out of Print Attacks
    assert not tree.holds("rgb", "moire stripes and a pixel grid", flat)
    assert tree.holds("rgb", "natural skin pores and lifelike shading", live)  # rule_out of Spoof Face
    assert not tree.holds("depth", "a full 3D face shape", flat)  # rule_out of Presentation Media Attacks
    # the same phrase in another modality, another class's support, a class below a shallow label: not stated
    assert not tree.holds("rgb", "even reflectance across a flat sheet", flat)
    assert not tree.holds("rgb", "moire stripes and screen glare", flat)
    assert not tree.holds("rgb", "paper grain and halftone dots", shallow)
    # only / unless follow what the label path says
    assert tree.holds("depth", "a flat or bent sheet without relief", flat)
    assert not tree.holds("depth", "a flat or bent sheet without relief", taxonomy.path_to("Fake Head Attack"))
    assert tree.holds("depth", "relief that departs from a live face", flat)
    assert not tree.holds("depth", "relief that departs from a live face", taxonomy.path_to("Makeup Attack"))
    assert not tree.holds("depth", "relief that departs from a live face", shallow)
