"""Which modalities a face must have, and the condition a face lacking some is decided under."""

from __future__ import annotations

import pytest

from pafas_cli.errors import PafasError
from pafas_cli.infer.modalities import (condition, parse_allow_missing, reachable_conditions, refusal_message,
                                        refused)


def test_allow_missing_is_parsed_in_any_form_into_the_canonical_order():
    assert parse_allow_missing([]) == ()
    assert parse_allow_missing(["ir,depth"]) == parse_allow_missing(["IR", " depth "]) == ("depth", "ir")
    assert parse_allow_missing(["ir", "ir,"]) == ("ir",)
    with pytest.raises(PafasError, match="--allow-missing rgb: the RGB image is always required"):
        parse_allow_missing(["depth,RGB"])
    with pytest.raises(PafasError, match="--allow-missing infrared: not a modality that may be missing; choose from "
                                         "depth, ir"):
        parse_allow_missing(["infrared"])


def test_each_way_to_leave_modalities_out_is_one_condition():
    assert condition(()) == "full"
    assert [condition(m) for m in (["depth"], ["ir"], ["ir", "depth"])] == ["missing_depth", "missing_ir",
                                                                            "missing_both"]
    with pytest.raises(ValueError, match="RGB is always required"):
        condition(["rgb"])
    assert reachable_conditions(()) == ()
    assert reachable_conditions(("ir",)) == ("missing_ir",)
    assert reachable_conditions(("depth", "ir")) == ("missing_depth", "missing_ir", "missing_both")


def test_only_the_modalities_not_allowed_are_refused_and_the_message_names_them():
    assert refused(["depth", "ir"], ()) == ("depth", "ir")
    assert refused(["ir", "depth"], ("ir",)) == ("depth",)
    assert refused(["depth", "ir"], ("depth", "ir")) == ()
    assert refused(["rgb"], ("depth", "ir")) == ("rgb",)
    message = refusal_message(("depth", "ir"), ("ir",), "face7")
    assert message.startswith("face7 lacks the depth image and the ir image: every face needs rgb, depth")
    assert "\n" not in message
