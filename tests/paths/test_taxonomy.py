import pytest

from pafas_cli.errors import PafasError
from pafas_cli.paths.taxonomy import Taxonomy

SPEC_LEAVES = {
    "Real Face", "Flat Print Attack", "Wrapped Print Attack", "Cut Print Attack", "Mobile Screen Replay Attack",
    "Large Screen Replay Attack", "Rigid Resin Mask Attack", "Fake Head Attack", "Flexible Silicone Mask Attack",
    "Paper Mask Attack", "Funny Eyeglasses Attack", "Partial Paper Cutout Attack", "Makeup Attack", "Tattoo Attack",
}


def test_shipped_taxonomy_matches_the_spec(taxonomy):
    assert taxonomy.children(None) == ("Real Face", "Spoof Face")
    assert taxonomy.live == "Real Face"
    assert taxonomy.depth == 5
    assert set(taxonomy.leaves) == SPEC_LEAVES
    assert all(taxonomy.level(leaf) == 5 for leaf in taxonomy.leaves if leaf != "Real Face")
    assert taxonomy.path_to("Flat Print Attack") == (
        "Spoof Face", "External Spoofing Attacks", "Presentation Media Attacks", "Print Attacks", "Flat Print Attack")
    assert taxonomy.path_to("Tattoo Attack")[1:4] == (
        "Partial Spoofing Attacks", "Facial Modification Attacks", "Cosmetic Attacks")


def test_structure_queries(taxonomy):
    assert taxonomy.parent("Print Attacks") == "Presentation Media Attacks"
    assert taxonomy.siblings("Flat Print Attack") == ("Wrapped Print Attack", "Cut Print Attack")
    assert taxonomy.is_leaf("Makeup Attack") and not taxonomy.is_leaf("Spoof Face")
    assert "Paper Mask Attack" in taxonomy.descendants("3D Mask Attacks")
    assert taxonomy.decision(("Real Face",)) == 1 and taxonomy.decision(("Spoof Face",)) == 0


@pytest.mark.parametrize("nodes, valid", [
    (("Real Face",), True),
    (("Spoof Face",), True),
    (("Spoof Face", "External Spoofing Attacks", "3D Mask Attacks"), True),
    (("External Spoofing Attacks",), False),  # does not start at the top
    (("Spoof Face", "Print Attacks"), False),  # skips levels
    (("Real Face", "Spoof Face"), False),
    ((), False),
    (("Spoof face",), False),  # names are exact
])
def test_is_valid_path(taxonomy, nodes, valid):
    assert taxonomy.is_valid_path(nodes) is valid


@pytest.mark.parametrize("data, message", [
    ({"live": "Real Face", "tree": {"Real Face": {}, "Spoof Face": {"Real Face": {}}}}, "'Real Face' appears twice"),
    ({"live": "Real Face", "tree": {"Real Face": {}, "Spoof 'Face'": {}}}, "node 'Spoof 'Face''"),
    ({"live": "Live", "tree": {"Real Face": {}, "Spoof Face": {}}}, "'live' must name a top-level node"),
    ({"live": "Real Face", "tree": {"Real Face": {}, "Spoof Face": ["Print"]}}, "node 'Spoof Face': children"),
    ({"live": "Real Face", "tree": {"Real Face": {}}, "extra": 1}, "unknown key 'extra'"),
])
def test_schema_errors_name_the_problem(data, message):
    with pytest.raises(PafasError, match=message.replace("(", r"\(").replace("'", "'")):
        Taxonomy.from_mapping(data, "tax.yaml")


def test_a_paths_version_names_its_own_taxonomy(tmp_path):
    import json

    from pafas_cli.paths.taxonomy import default_taxonomy, version_taxonomy

    custom = tmp_path / "tax.yaml"
    custom.write_text("live: Bona Fide\ntree:\n  Bona Fide: {}\n  Attack: {Print: {}}\n")
    version = tmp_path / "v001"
    version.mkdir()
    (version / "manifest.json").write_text(json.dumps({"recipe": {"paths": {"taxonomy": str(custom)}}}))
    assert version_taxonomy(version).live == "Bona Fide"
    (version / "manifest.json").write_text(json.dumps({"recipe": {"paths": {"taxonomy": ""}}}))
    assert version_taxonomy(version).live == default_taxonomy().live
