"""Per-set metrics from prediction records: thresholds, per-domain, answer quality."""

from __future__ import annotations

import pytest

from pafas_cli.errors import PafasError
from pafas_cli.metrics import eer
from pafas_cli.infer.report import comparison_table, dev_threshold, headline, set_metrics

PRINT = ["Spoof Face", "External Spoofing Attacks", "Presentation Media Attacks", "Print Attacks",
         "Flat Print Attack"]


def _rec(label, score, domain, attack, answer, stated=None, well_formed=True):
    return {"label": label, "score": score, "domain": domain, "attack": attack, "well_formed": well_formed,
            "answer": answer if well_formed else None, "stated": stated,
            "answer_decision": (1 if answer[0] == "Real Face" else 0) if well_formed else None,
            "stated_decision": (1 if stated[0] == "Real Face" else 0) if stated else None}


RECORDS = [
    _rec(1, 0.9, "A", ["Real Face"], ["Real Face"], stated=["Real Face"]),
    _rec(1, 0.6, "A", ["Real Face"], ["Real Face"], stated=["Spoof Face"]),
    _rec(1, 0.3, "B", ["Real Face"], ["Spoof Face"]),
    _rec(0, 0.7, "A", PRINT, ["Spoof Face"], stated=["Spoof Face"]),
    _rec(0, 0.2, "B", PRINT, PRINT),
    _rec(0, 0.1, "B", ["Spoof Face"], ["Real Face"], well_formed=False),
]


def test_honest_uses_the_given_threshold_and_oracle_its_own_eer():
    m = set_metrics(RECORDS, 0.5, [1e-2], "test")
    assert m["honest"]["threshold"] == 0.5
    # at 0.5: lives 0.9, 0.6 accepted, 0.3 rejected -> BPCER 1/3; spoof 0.7 accepted -> APCER 1/3
    assert m["honest"]["bpcer"] == pytest.approx(1 / 3) and m["honest"]["apcer"] == pytest.approx(1 / 3)
    _, own = eer([r["label"] for r in RECORDS], [r["score"] for r in RECORDS])
    assert m["oracle"]["threshold"] == own
    assert m["honest"]["apcer_per_attack"] == {"Flat Print Attack": {"apcer": 0.5, "n": 2},
                                               "Spoof Face": {"apcer": 0.0, "n": 1}}


def test_per_domain_and_answer_quality():
    m = set_metrics(RECORDS, 0.5, [1e-2], "test")
    assert m["per_domain"]["A"]["n"] == 3 and m["per_domain"]["B"]["n"] == 3
    assert m["per_domain"]["A"]["apcer"] == 1.0 and m["per_domain"]["B"]["bpcer"] == 1.0
    assert m["format_rate"] == pytest.approx(5 / 6)
    # correct binary answers: live1, live2, spoof(0.7), spoof(0.2); malformed counts as wrong
    assert m["answer_accuracy"] == pytest.approx(4 / 6)
    # stated conclusions on 3 well-formed rows, 2 agree with the answer
    assert m["consistency"] == pytest.approx(2 / 3) and m["consistency_n"] == 3
    # per class: live 2/3 answered live, spoof 2/3 answered spoof; verdicts: live 1/3, spoof 1/3
    assert m["answer_balanced_accuracy"] == pytest.approx(2 / 3)
    assert m["reasoning_balanced_accuracy"] == pytest.approx(1 / 3)


def test_a_single_class_answer_has_balanced_accuracy_one_half():
    records = [_rec(label, 0.5, "A", ["Real Face"], ["Real Face"]) for label in (1, 0, 0, 0)]
    m = set_metrics(records, 0.5, [1e-2], "test")
    assert m["answer_accuracy"] == pytest.approx(1 / 4)
    assert m["answer_balanced_accuracy"] == pytest.approx(1 / 2)
    assert m["reasoning_balanced_accuracy"] is None  # no reasoning states a verdict


def test_single_class_dev_set_names_the_set():
    with pytest.raises(PafasError, match="eval set 'dev' cannot give a threshold.*2 live and 0 spoof"):
        dev_threshold(RECORDS[:2], "dev")
    with pytest.raises(PafasError, match="eval set 'test_missing_ir'"):
        set_metrics(RECORDS[3:5], 0.5, [1e-2], "test_missing_ir")


def test_headline_and_table_show_every_model():
    m = set_metrics(RECORDS, 0.5, [1e-2], "test")
    assert headline(m)["HTER @dev thr"] == pytest.approx(1 / 3)
    # ISO ACER: worst type Flat Print Attack (APCER 1/2) with BPCER 1/3 -> 5/12, above the pooled HTER 1/3
    assert headline(m)["ACER (ISO) @dev thr"] == pytest.approx(5 / 12)
    table = comparison_table("test", {"sft:v001": m, "rl:v001": m})
    assert [c.header for c in table.columns] == ["metric", "sft:v001", "rl:v001"]
