"""The clause reader: every text a paths version writes reads back whole and true; a model's small variations are
tolerated; what it cannot read is counted, not dropped; a changed tree changes what it reads."""

from __future__ import annotations

import copy
import json

import pytest
import yaml

from pafas_cli.data.images import load_modality
from pafas_cli.paths.build import build_version, load_reasoning
from pafas_cli.paths.clauses import Clause, ClauseReader
from pafas_cli.paths.config import PathsConfig
from pafas_cli.paths.files import RECIPES_DIR
from pafas_cli.paths.store import CLAUSES, sft_rows
from pafas_cli.paths.tree import ReasoningTree

P2 = (("depth",), ("ir",), ("depth", "ir"))


@pytest.fixture(scope="module")
def reader(tree):
    return ClauseReader(tree)


@pytest.fixture(scope="module")
def version(tmp_path_factory, sample_sets):
    """A paths version as `pafas build-paths` writes it: PNRPS walks with explorations, verifications, shallow
    labels, samples without depth, and rows with modalities dropped."""
    cfg = PathsConfig(n_paths=12, shuffle="none", modality_dropout=0.5, explore_rate=0.6, verify_rate=0.5)
    out = tmp_path_factory.mktemp("paths")
    build_version(cfg, load_reasoning(cfg), sample_sets["train"], sample_sets["dev"], sample_sets["test"], out, 0,
                  load_modality, P2)
    return out


def test_every_reasoning_a_paths_version_writes_reads_back_whole_and_true(version, reader, tree):
    """The strong oracle: the tree's own walks parse completely, every observation is true of the sample the walk
    was drawn for, none cites a modality the row lacks, and the last clause concludes at the sample's label."""
    rows = list(sft_rows(version))
    kinds = set()
    for row in rows:
        clauses = reader.read(row["think"])
        assert clauses and all(c.parsed for c in clauses), [c.text for c in clauses if not c.parsed]
        assert " ".join(c.text for c in clauses) == row["think"]
        for c in clauses:
            kinds.add(c.kind)
            if c.observes:
                assert tree.holds(c.modality, c.observation, tuple(row["attack"])), (c, row["attack"])
            assert set(c.cites) <= set(row["modalities"]), (c, row["modalities"])
        assert (clauses[-1].kind, clauses[-1].node) == ("conclude", row["attack"][-1])
    assert kinds == {"step", "explore", "reflect", "verify", "conclude"}
    assert any(row["blanked"] for row in rows) and any(len(row["attack"]) == 1 and row["label"] == 0 for row in rows)
    texts = json.loads((version / CLAUSES).read_text(encoding="utf-8"))
    assert all(reader.read(t)[0].parsed and len(reader.read(t)) == 1 for t in texts)


def test_a_models_small_variations_are_read_as_the_tree_wrote_them(reader):
    want = Clause("", "step", "rgb", "paper grain and halftone dots", "Print Attacks", ("rgb",))
    for text in ("RGB shows paper grain and halftone dots, pointing to Print Attacks.",
                 "rgb shows paper grain and halftone dots pointing to print attacks",  # case, punctuation
                 "RGB  shows\tthe paper grain and halftone dots ,pointing to Print Attacks .",  # spacing, an article
                 "RGB shows paper grain and halftone dots, pointing to the Print Attacks!"):
        (clause,) = reader.read(text)
        assert clause == Clause(text.strip(), *[getattr(want, k) for k in ("kind", "modality", "observation",
                                                                           "node", "cites")]), text
    # an article dropped from the tree's phrase ("a face reproduced on a flat medium")
    (clause,) = reader.read("Depth: face reproduced on flat medium, so Presentation Media Attacks.")
    assert (clause.kind, clause.modality, clause.observation) == ("step", "depth", "a face reproduced on a flat medium")
    # a template rendered with a node no walk would put there
    (clause,) = reader.read("Yet living-skin reflectance in IR rules out Real Face.")
    assert (clause.kind, clause.modality, clause.observation, clause.node) == (
        "reflect", "ir", "living-skin reflectance", "Real Face")


def test_clauses_run_together_are_split_where_each_piece_fits_a_template(reader):
    clauses = reader.read("Maybe Replay Attacks? IR shows no face image at all, pointing to Replay Attacks "
                          "Verdict: Replay Attacks.")
    assert [(c.kind, c.node) for c in clauses] == [("explore", "Replay Attacks"), ("step", "Replay Attacks"),
                                                  ("conclude", "Replay Attacks")]
    assert [c.text for c in clauses] == ["Maybe Replay Attacks?", "IR shows no face image at all, pointing to "
                                         "Replay Attacks", "Verdict: Replay Attacks."]


def test_what_cannot_be_read_is_counted_with_the_modalities_it_names(reader):
    clauses = reader.read("The IR image is dark and flat, a print. RGB shows a glowing unicorn, pointing to Real "
                          "Face. asdf qwerty! Verdict: Real Face.")
    assert [c.parsed for c in clauses] == [False, False, False, True]
    assert [c.cites for c in clauses] == [("ir",), ("rgb",), (), ()]
    assert reader.read("") == [] and reader.read(None) == [] and reader.read("   ") == []
    # "Their" holds "ir", but not as a word
    assert reader.read("Their texture is odd.") == [Clause("Their texture is odd.")]


def test_an_observation_under_another_modality_is_read_and_false(reader, tree):
    (clause,) = reader.read("RGB shows even reflectance across a flat sheet, pointing to Flat Print Attack.")
    assert (clause.parsed, clause.modality, clause.observation) == (True, "rgb", "even reflectance across a flat sheet")
    assert not tree.holds(clause.modality, clause.observation, tree.taxonomy.path_to("Flat Print Attack"))


def test_the_reader_is_compiled_from_the_tree_so_a_changed_tree_changes_it(taxonomy):
    data = yaml.safe_load((RECIPES_DIR / "reasoning_tree.yaml").read_text())
    edited = copy.deepcopy(data)
    edited["modalities"]["ir"] = "NIR"
    edited["templates"]["step"] = ["{modality} displays {obs}, hence {node}."]
    edited["nodes"]["Replay Attacks"]["support"]["ir"].append("a black rectangle")
    reader = ClauseReader(ReasoningTree.from_mapping(edited, taxonomy))
    (new,) = reader.read("NIR displays a black rectangle, hence Replay Attacks.")
    assert (new.kind, new.modality, new.observation, new.node) == ("step", "ir", "a black rectangle", "Replay Attacks")
    assert not reader.read("IR shows no face image at all, pointing to Replay Attacks.")[0].parsed
    shipped = ClauseReader(ReasoningTree.from_mapping(data, taxonomy))
    assert not shipped.read("NIR displays a black rectangle, hence Replay Attacks.")[0].parsed
