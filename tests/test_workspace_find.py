"""`Workspace.find`: the newest complete version made with given recipe sections from given inputs."""

import json

import pytest

from pafas_cli.errors import PafasError
from pafas_cli.workspace import Workspace

SFT = {"seed": 0, "sft": {"model": "model:v001", "max_steps": 10, "learning_rate": 0.002, "lora": {"enabled": False},
                          "targets": ["q", "v"]}}


def make(ws, stage, sections, inputs=(), content="x", fail=False):
    refs = [ws.resolve(ref).as_input(f"in{i}") for i, ref in enumerate(inputs)]
    if fail:
        with pytest.raises(RuntimeError):
            with ws.start(stage, sections, inputs=refs, seed=0) as run:
                raise RuntimeError("boom")
        return None
    with ws.start(stage, sections, inputs=refs, seed=0) as run:
        (run.path / "out.txt").write_text(content)
    return f"{stage}:{run.version}"


@pytest.fixture
def ws(tmp_path):
    ws = Workspace(tmp_path)
    make(ws, "model", {"seed": 0, "model": {"preset": "tiny"}}, content="m1")
    make(ws, "model", {"seed": 0, "model": {"preset": "tiny"}}, content="m2")
    return ws


def test_the_newest_complete_version_with_equal_sections_and_inputs(ws):
    make(ws, "sft", SFT, ["model:v001"], "a")
    make(ws, "sft", SFT, ["model:v001"], "b")
    make(ws, "sft", SFT, ["model:v001"], fail=True)                 # v003 failed: never found
    make(ws, "sft", {**SFT, "seed": 1}, ["model:v001"])             # v004 another seed
    assert ws.find("sft", SFT, ["model:v001"]).version == "v002"
    assert ws.find("sft", {**SFT, "seed": 2}) is None
    assert ws.find("sft", {"seed": 0, "sft": {**SFT["sft"], "max_steps": 11}}) is None
    assert ws.find("rl", SFT) is None                                # no such stage yet


def test_inputs_match_by_content_fingerprint(ws):
    make(ws, "sft", SFT, ["model:v001"])
    assert ws.find("sft", SFT, ["model:v001"]).version == "v001"
    # model:v002 holds other weights: a version made from model:v001 is not one made from it.
    assert ws.find("sft", SFT, ["model:v002"]) is None
    with pytest.raises(PafasError, match="no version v009"):
        ws.find("sft", SFT, ["model:v009"])


def test_sections_compare_as_the_manifest_records_them(ws):
    make(ws, "sft", SFT)
    as_tuples = {"seed": 0, "sft": {**SFT["sft"], "targets": ("q", "v")}}
    assert ws.find("sft", as_tuples).version == "v001"               # JSON has no tuples
    assert ws.find("sft", {"seed": 0, "sft": {**SFT["sft"], "lora": {"enabled": 0}}}) is None  # false is not 0
    fewer = {"seed": 0, "sft": {k: v for k, v in SFT["sft"].items() if k != "targets"}}
    assert ws.find("sft", fewer) is None                             # a key more or less is another recipe
    assert ws.find("sft", {"seed": 0}) is None                       # sections must be the ones recorded


def test_accept_has_the_last_word_and_older_matches_are_tried(ws):
    make(ws, "eval", {"seed": 0}, content="p2")
    make(ws, "eval", {"seed": 0}, content="p1")
    assert ws.find("eval", {"seed": 0}).version == "v002"
    wants_p2 = lambda info: (info.path / "out.txt").read_text() == "p2"  # noqa: E731
    assert ws.find("eval", {"seed": 0}, accept=wants_p2).version == "v001"
    assert ws.find("eval", {"seed": 0}, accept=lambda info: False) is None


def test_a_corrupt_manifest_is_skipped(ws):
    make(ws, "sft", SFT)
    make(ws, "sft", SFT)
    (ws.root / "sft" / "v002" / "manifest.json").write_text("{trunc")
    assert ws.find("sft", SFT).version == "v001"
    assert json.loads((ws.root / "sft" / "v001" / "manifest.json").read_text())["recipe"] == SFT
