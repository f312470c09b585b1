"""The reasoning rates against a hand count, and the flags explain and serve show, on reasonings written by hand.

Every clause below was written out by hand (not rendered from the tree's templates) and judged by hand against
recipes/reasoning_tree.yaml; the comment beside it says what the truth rule of docs/scoring.md makes of it.
"""

from __future__ import annotations

import pytest

from pafas_cli.infer.faithfulness import check_reasoning, reasoning_rates
from pafas_cli.paths.clauses import ClauseReader
from pafas_cli.paths.taxonomy import default_taxonomy
from pafas_cli.paths.tree import load_tree

ALL = ("rgb", "depth", "ir")
TAXONOMY = default_taxonomy()


@pytest.fixture(scope="module")
def reader():
    return ClauseReader(load_tree("", TAXONOMY))


def _face(leaf: str, reasoning: str, stated: int | None, modalities=ALL) -> dict:
    attack = TAXONOMY.path_to(leaf)
    return {"attack": list(attack), "label": TAXONOMY.decision(attack), "modalities": list(modalities),
            "reasoning": reasoning, "stated_decision": stated}


# 4 clauses, 4 parsed, 3 observations, 2 true; a correct verdict resting on true observations of given images.
PRINT = _face("Flat Print Attack", (
    "RGB shows paper grain and halftone dots, pointing to Print Attacks. "  # support of Print Attacks: true
    "But Depth shows glossy glass with patchy depth, ruling out Replay Attacks. "  # rule_out of Print itself: false
    "IR confirms it with even reflectance across a flat sheet. "  # support of the leaf: true
    "Verdict: Flat Print Attack."), stated=0)
# Paraphrased: 5 clauses, 5 parsed, 3 observations, 2 true; the verdict it states (spoof) is wrong.
LIVE = _face("Real Face", (
    "rgb shows natural skin pores and lifelike shading pointing to real face. "  # lower case, no comma: true
    "Could it be the Replay Attacks? "  # an article added; a hypothesis, no observation
    "Yet the natural skin glow with eye glints in IR rules out Replay Attacks. "  # live support: true
    "Depth shows a sheet-like surface without facial relief, pointing to Real Face. "  # a print's depth: false
    "Verdict: Spoof Face."), stated=0)
# IR missing: its one observation is true of the class but cites the blank IR image; garbage; a correct verdict
# resting on no true observation of a given image. 3 clauses, 2 parsed, 1 observation, 1 true.
REPLAY_NO_IR = _face("Mobile Screen Replay Attack", (
    "IR shows a dark screen with almost no face, pointing to Replay Attacks. "
    "The screen looks weird and blurry. "
    "Verdict: Replay Attacks."), stated=0, modalities=("rgb", "depth"))
# RGB only, cites nothing missing; two clauses run together without a full stop. 3 clauses, 3 parsed, 2 true.
HEAD_RGB_ONLY = _face("Fake Head Attack", (
    "RGB: a mannequin head with painted eyes, so Fake Head Attack RGB agrees, showing a whole artificial head. "
    "Conclusion: Fake Head Attack."), stated=0, modalities=("rgb",))
# Garbage only: 2 clauses, none parsed; the second names IR, which was given. No verdict.
GARBAGE = _face("Cut Print Attack", "asdf qwerty. IR IR IR.", stated=None)
# RGB only: an unparsed sentence naming Depth (cites a missing modality), an IR phrase said of RGB (parsed,
# false), a correct verdict on no true observation. 3 clauses, 2 parsed, 1 observation, 0 true.
SCREEN_RGB_ONLY = _face("Large Screen Replay Attack", (
    "Depth looks flat. "
    "RGB shows a wide dark screen area, pointing to Large Screen Replay Attack. "
    "Verdict: Large Screen Replay Attack."), stated=0, modalities=("rgb",))


def test_every_rate_matches_the_hand_count(reader):
    records = [PRINT, LIVE, REPLAY_NO_IR, HEAD_RGB_ONLY, GARBAGE, SCREEN_RGB_ONLY]
    rates = reasoning_rates(records, reader)
    assert rates["counts"] == {"faces": 6, "clauses": 4 + 5 + 3 + 3 + 2 + 3, "parsed": 4 + 5 + 2 + 3 + 0 + 2,
                               "observations": 3 + 3 + 1 + 2 + 0 + 1, "true_observations": 2 + 2 + 1 + 2 + 0 + 0,
                               "faces_missing_a_modality": 3, "faces_citing_a_missing_modality": 2,
                               "correct_verdicts": 4, "grounded_verdicts": 2}
    assert rates["clauses_per_face"] == pytest.approx(20 / 6)
    assert rates["parsed_rate"] == pytest.approx(16 / 20)
    assert rates["clause_accuracy"] == pytest.approx(7 / 10)
    assert rates["hallucination_rate"] == pytest.approx(2 / 3)  # of the faces missing a modality
    assert rates["grounded_rate"] == pytest.approx(2 / 4)  # PRINT and HEAD_RGB_ONLY, not REPLAY_NO_IR or SCREEN


def test_rates_are_null_where_they_are_undefined(reader):
    full = reasoning_rates([PRINT, LIVE, GARBAGE], reader)
    assert full["hallucination_rate"] is None  # every modality was given
    assert full["grounded_rate"] == 1.0  # PRINT's is the only correct verdict
    silent = reasoning_rates([{**PRINT, "reasoning": "", "stated_decision": None}], reader)
    assert (silent["clauses_per_face"], silent["parsed_rate"], silent["clause_accuracy"], silent["grounded_rate"]) \
        == (0.0, None, None, None)


def test_at_inference_a_clause_citing_a_missing_modality_is_flagged(reader):
    check = check_reasoning(reader, REPLAY_NO_IR["reasoning"], ("rgb", "depth"))
    assert [c["missing"] for c in check["clauses"]] == [["ir"], [], []]
    assert [c["kind"] for c in check["clauses"]] == ["step", None, "conclude"]
    assert check["clauses"][0]["observation"] == "a dark screen with almost no face"
    assert check["cites_missing"] == ["ir"] and check["grounded"] is False  # its only observation is of IR
    given = check_reasoning(reader, REPLAY_NO_IR["reasoning"], ALL)
    assert given["cites_missing"] == [] and given["grounded"] is True
    unparsed = check_reasoning(reader, SCREEN_RGB_ONLY["reasoning"], ("rgb",))
    assert unparsed["cites_missing"] == ["depth"] and unparsed["grounded"] is True  # an RGB clause, though false
    assert check_reasoning(reader, "", ALL) == {"clauses": [], "cites_missing": [], "grounded": None}
