import pytest

from pafas_cli.paths.prompt import QUESTION, build_user_turn


def test_full_turn_has_fixed_order():
    parts = build_user_turn(["ir", "rgb", "depth"])
    assert parts == [
        {"type": "text", "text": "RGB image:"}, {"type": "image"},
        {"type": "text", "text": "Depth image:"}, {"type": "image"},
        {"type": "text", "text": "IR image:"}, {"type": "image"},
        {"type": "text", "text": QUESTION},
    ]
    assert "<think>" in QUESTION and "<answer>" in QUESTION


def test_missing_modality_keeps_its_slot_and_says_so():
    parts = build_user_turn(["rgb"])
    assert [p["type"] for p in parts] == ["text", "image"] * 3 + ["text"]
    assert parts[2]["text"] == "Depth image: unavailable (blank)."
    assert parts[4]["text"] == "IR image: unavailable (blank)."


def test_unknown_modality_is_rejected():
    with pytest.raises(ValueError, match="thermal"):
        build_user_turn(["rgb", "thermal"])
