"""Metrics against sklearn and hand-computed cases (live = positive, decision live iff score >= t)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from pafas_cli.errors import PafasError
from pafas_cli import metrics as m


def _random_set(seed: int, n: int = 200, ties: bool = False):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    scores = np.clip(rng.normal(0.35 + 0.3 * labels, 0.2), 0, 1)
    if ties:
        scores = np.round(scores, 1)
    return labels, scores


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("ties", [False, True])
def test_auc_and_roc_match_sklearn(seed, ties):
    labels, scores = _random_set(seed, ties=ties)
    assert m.auc(labels, scores) == pytest.approx(skm.roc_auc_score(labels, scores), abs=1e-12)
    fpr, tpr, thr = m.roc(labels, scores)
    sk_fpr, sk_tpr, sk_thr = skm.roc_curve(labels, scores, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr)
    np.testing.assert_allclose(tpr, sk_tpr)
    np.testing.assert_allclose(thr[1:], sk_thr[1:])


def _oracle_eer(labels, scores):
    """EER by brute force in exact fractions: every observed score as the threshold (accept >= it), the one where
    FNR and FPR are closest, then the lowest FNR + FPR, then the highest score."""
    from fractions import Fraction

    lives = [s for s, y in zip(scores, labels) if y == 1]
    spoofs = [s for s, y in zip(scores, labels) if y == 0]
    best = None
    for t in sorted(set(scores), reverse=True):
        fnr = Fraction(sum(s < t for s in lives), len(lives))
        fpr = Fraction(sum(s >= t for s in spoofs), len(spoofs))
        key = (abs(fnr - fpr), fnr + fpr)
        if best is None or key < best[0]:
            best = (key, float((fnr + fpr) / 2), t)
    return best[1], best[2]


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("ties", [False, True])
def test_eer_matches_a_brute_force_in_exact_fractions(seed, ties):
    labels, scores = _random_set(seed, ties=ties)
    rate, threshold = m.eer(labels, scores)
    want_rate, want_threshold = _oracle_eer(labels, scores)
    assert rate == pytest.approx(want_rate) and threshold == want_threshold


def test_of_two_thresholds_equally_close_the_eer_takes_the_one_with_fewer_errors():
    """4 lives, 8 spoofs: at 0.6, FNR 2/4 and FPR 3/8; at 0.5, FNR 1/4 and FPR 3/8. Both are 1/8 apart (exactly, in
    floats too); 0.5 makes fewer errors. Before, the first one scanned (0.6) was taken."""
    labels = [1, 1, 1, 1] + [0] * 8
    scores = [0.95, 0.6, 0.5, 0.0] + [0.9, 0.8, 0.7, 0.1, 0.09, 0.08, 0.07, 0.06]
    assert m.eer(labels, scores) == (pytest.approx((0.25 + 0.375) / 2), 0.5)


def test_rates_at_threshold_hand_computed():
    labels = [1, 1, 1, 1, 0, 0, 0, 0, 0]
    scores = [0.9, 0.8, 0.5, 0.2, 0.7, 0.5, 0.3, 0.1, 0.0]
    r = m.rates_at(labels, scores, 0.5)
    # spoofs accepted (>= 0.5): 0.7 and 0.5 -> 2/5; lives rejected (< 0.5): 0.2 -> 1/4
    assert r["apcer"] == pytest.approx(2 / 5)
    assert r["bpcer"] == pytest.approx(1 / 4)
    assert r["hter"] == pytest.approx((2 / 5 + 1 / 4) / 2)
    assert "acer" not in r  # ACER needs attack types: compute_metrics gives the ISO one
    assert r["confusion"] == {"tp": 3, "fn": 1, "fp": 2, "tn": 3}
    assert r["accuracy"] == pytest.approx(6 / 9)


def test_ties_at_threshold_are_accepted_as_live():
    labels = [1, 0, 1, 0]
    scores = [0.5, 0.5, 0.5, 0.5]
    r = m.rates_at(labels, scores, 0.5)
    assert (r["apcer"], r["bpcer"]) == (1.0, 0.0)
    assert m.auc(labels, scores) == 0.5
    assert m.eer(labels, scores) == (0.5, 0.5)
    out = m.compute_metrics(labels, scores, ["Real Face", "Print", "Real Face", "Replay"], 0.5)
    assert out["apcer_per_attack"] == {"Print": {"apcer": 1.0, "n": 1}, "Replay": {"apcer": 1.0, "n": 1}}
    assert out["acer"] == 0.5


def test_iso_acer_two_attack_types_hand_computed():
    # t = 0.5, accepted as live iff score >= 0.5 (the 0.5 scores are ties at the threshold: accepted).
    # lives 0.9 0.6 0.5 0.4: only 0.4 rejected -> BPCER 1/4 = 0.25
    # Print 0.5 0.3 0.2 0.1: only 0.5 accepted -> APCER 1/4 = 0.25
    # Replay 0.7 0.2: 0.7 accepted -> APCER 1/2 = 0.5
    # pooled APCER 2/6 = 1/3; HTER (1/3 + 1/4) / 2 = 7/24 = 0.2916...; ACER (ISO) (0.5 + 0.25) / 2 = 0.375
    labels = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    scores = [0.9, 0.6, 0.5, 0.4, 0.5, 0.3, 0.2, 0.1, 0.7, 0.2]
    attacks = ["Real Face"] * 4 + ["Print"] * 4 + ["Replay"] * 2
    out = m.compute_metrics(labels, scores, attacks, 0.5)
    assert out["apcer_per_attack"] == {"Print": {"apcer": 0.25, "n": 4}, "Replay": {"apcer": 0.5, "n": 2}}
    assert out["bpcer"] == 0.25
    assert out["apcer"] == pytest.approx(1 / 3)
    assert out["apcer_max"] == 0.5
    assert out["hter"] == pytest.approx(7 / 24)
    assert out["acer"] == pytest.approx(0.375)


def _oracle_acer(labels, scores, attacks, threshold):
    """ISO ACER by plain counting: worst per-type share of spoofs accepted, plus share of lives rejected."""
    spoofs = Counter(a for a, y in zip(attacks, labels) if y == 0)
    accepted = Counter(a for a, y, s in zip(attacks, labels, scores) if y == 0 and s >= threshold)
    lives = [s for s, y in zip(scores, labels) if y == 1]
    bpcer = sum(s < threshold for s in lives) / len(lives)
    return (max(accepted[a] / n for a, n in spoofs.items()) + bpcer) / 2


# Scores on a coarse grid, so ties (within a class, across classes and at the threshold) are common.
_faces = st.lists(st.tuples(st.integers(0, 1), st.integers(0, 10), st.sampled_from(["Print", "Replay", "Mask"])),
                  min_size=2, max_size=60).filter(lambda rows: len({y for y, _, _ in rows}) == 2)


@settings(max_examples=200, deadline=None)
@given(rows=_faces, threshold_step=st.integers(0, 11))
def test_metrics_match_sklearn_and_counting_oracles_with_ties(rows, threshold_step):
    labels = [y for y, _, _ in rows]
    scores = [step / 10 for _, step, _ in rows]
    attacks = ["Real Face" if y else a for y, _, a in rows]
    threshold = threshold_step / 10
    out = m.compute_metrics(labels, scores, attacks, threshold)
    assert out["auc"] == pytest.approx(skm.roc_auc_score(labels, scores), abs=1e-12)
    fpr, tpr, thr = m.roc(labels, scores)
    sk_fpr, sk_tpr, sk_thr = skm.roc_curve(labels, scores, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr)
    np.testing.assert_allclose(tpr, sk_tpr)
    np.testing.assert_allclose(thr[1:], sk_thr[1:])
    want_eer, want_threshold = _oracle_eer(labels, scores)
    assert out["eer"] == pytest.approx(want_eer) and out["eer_threshold"] == want_threshold
    assert out["acer"] == pytest.approx(_oracle_acer(labels, scores, attacks, threshold))
    assert out["acer"] >= out["hter"] - 1e-12  # the pooled APCER never exceeds the worst type's


def test_perfect_separation():
    labels = [0, 0, 0, 1, 1]
    scores = [0.1, 0.2, 0.3, 0.8, 0.9]
    assert m.auc(labels, scores) == 1.0
    rate, threshold = m.eer(labels, scores)
    assert rate == 0.0 and threshold == 0.8
    r = m.rates_at(labels, scores, threshold)
    assert r["hter"] == 0.0


def test_apcer_per_attack_hand_computed():
    labels = [1, 0, 0, 0, 0]
    scores = [0.9, 0.6, 0.2, 0.7, 0.1]
    attacks = ["Real Face", "Flat Print Attack", "Flat Print Attack", "Makeup Attack", "Makeup Attack"]
    per = m.apcer_per_attack(labels, scores, attacks, 0.5)
    assert per == {"Flat Print Attack": {"apcer": 0.5, "n": 2}, "Makeup Attack": {"apcer": 0.5, "n": 2}}
    out = m.compute_metrics(labels, scores, attacks, 0.65)
    assert out["apcer_per_attack"]["Flat Print Attack"]["apcer"] == 0.0
    assert out["apcer_per_attack"]["Makeup Attack"]["apcer"] == 0.5
    assert out["apcer_max"] == 0.5 and out["apcer"] == 0.25


def test_tpr_at_fpr_counts_negatives_and_warns():
    labels = [0] * 50 + [1] * 50
    scores = list(np.linspace(0, 0.6, 50)) + list(np.linspace(0.4, 1.0, 50))
    rows = m.tpr_at_fpr(labels, scores, (1e-1, 1e-2))
    assert [r["n_negatives"] for r in rows] == [50, 50]
    assert rows[0]["fpr"] <= 0.1 and not rows[0]["too_few_negatives"]
    # 1/0.01 = 100 > 50 negatives: only FPR = 0 is reachable, and it is flagged.
    assert rows[1]["fpr"] == 0.0 and rows[1]["too_few_negatives"]
    # TPR at FPR = 0: lives scoring above the highest spoof (0.6).
    assert rows[1]["tpr"] == pytest.approx(np.mean(np.linspace(0.4, 1.0, 50) > 0.6))


def test_tpr_at_fpr_matches_sklearn_conservative_point():
    labels, scores = _random_set(3)
    sk_fpr, sk_tpr, _ = skm.roc_curve(labels, scores, drop_intermediate=False)
    for row in m.tpr_at_fpr(labels, scores, (0.05, 0.2)):
        assert row["tpr"] == pytest.approx(sk_tpr[sk_fpr <= row["fpr_target"]].max())


def test_single_class_raises_clear_error():
    with pytest.raises(PafasError, match="both live and spoof.*3 live and 0 spoof"):
        m.compute_metrics([1, 1, 1], [0.2, 0.5, 0.9], ["Real Face"] * 3, 0.5)
    with pytest.raises(PafasError, match="both live and spoof"):
        m.auc([0, 0], [0.1, 0.2])


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="1 \\(live\\) or 0"):
        m.rates_at([2, 0], [0.1, 0.2], 0.5)
    with pytest.raises(ValueError, match="finite"):
        m.rates_at([1, 0], [float("nan"), 0.2], 0.5)


def test_per_group_handles_single_class_groups():
    labels = [1, 0, 1, 1]
    scores = [0.9, 0.1, 0.8, 0.3]
    out = m.per_group(labels, scores, ["A", "A", "B", "B"], 0.5)
    assert out["A"]["auc"] == 1.0 and out["A"]["hter"] == 0.0
    assert out["B"]["auc"] is None and out["B"]["apcer"] is None and out["B"]["bpcer"] == 0.5


def test_rates_at_reports_every_field_hand_computed():
    """The record eval writes per set: every key, with counts by hand (3 lives, 2 spoofs, t = 0.4)."""
    r = m.rates_at([1, 1, 1, 0, 0], [0.9, 0.4, 0.1, 0.4, 0.2], 0.4)
    assert r == {"threshold": 0.4, "apcer": 0.5, "bpcer": pytest.approx(1 / 3), "hter": pytest.approx(5 / 12),
                 "accuracy": 0.6, "confusion": {"tp": 2, "fn": 1, "fp": 1, "tn": 1}, "n_live": 3, "n_spoof": 2}


def test_rates_at_with_a_class_or_everything_missing_reports_none():
    """A set of spoofs only (a per-domain slice) has no BPCER; an empty set has no accuracy; neither divides by 0."""
    spoofs = m.rates_at([0, 0], [0.7, 0.2], 0.5)
    assert (spoofs["apcer"], spoofs["bpcer"], spoofs["hter"], spoofs["accuracy"]) == (0.5, None, None, 0.5)
    empty = m.rates_at([], [], 0.5)
    assert (empty["apcer"], empty["bpcer"], empty["accuracy"], empty["n_live"], empty["n_spoof"]) == \
        (None, None, None, 0, 0)


def test_hard_decisions_given_as_booleans_are_scores_one_and_zero():
    """A baseline that outputs accept/reject (bools) is scored as 1.0 / 0.0, not refused by numpy."""
    labels = [1, 1, 0, 0]
    decisions = [True, False, False, False]
    assert m.auc(labels, decisions) == pytest.approx(skm.roc_auc_score(labels, [1.0, 0.0, 0.0, 0.0]))
    assert m.rates_at(labels, decisions, 0.5)["bpcer"] == 0.5


def test_bad_shapes_and_single_classes_name_the_problem():
    with pytest.raises(ValueError, match=r"^labels and scores must be 1-D of the same length, got \(2,\) and \(3,\)$"):
        m.rates_at([1, 0], [0.1, 0.2, 0.3], 0.5)
    with pytest.raises(ValueError, match="must be 1-D"):
        m.rates_at([[1, 0]], [[0.1, 0.2]], 0.5)
    with pytest.raises(ValueError, match=r"^labels must be 1 \(live\) or 0 \(spoof\)$"):
        m.rates_at([1, 2], [0.1, 0.2], 0.5)
    with pytest.raises(ValueError, match=r"^scores must be finite numbers$"):
        m.rates_at([1, 0], [float("inf"), 0.2], 0.5)
    with pytest.raises(ValueError, match=r"^attacks must have one entry per sample, got 1 for 2$"):
        m.apcer_per_attack([1, 0], [0.1, 0.2], ["Print"], 0.5)
    with pytest.raises(PafasError, match=r"^a ROC curve needs both live and spoof samples; this set has 0 live"):
        m.roc([0, 0], [0.1, 0.2])
    with pytest.raises(PafasError, match=r"^AUC/EER needs both live and spoof samples; this set has 2 live and 0 spoof$"):
        m.compute_metrics([1, 1], [0.1, 0.2], ["Real Face"] * 2, 0.5)


def test_tpr_at_fpr_boundaries_hand_computed():
    """FPR exactly at the target is allowed; `too_few_negatives` flips exactly at 1/target = negatives; the
    threshold is the score that reaches the point (None for the +inf start of the curve)."""
    # 10 spoofs at 0.05 .. 0.95 (step 0.1), 4 lives: 0.99, 0.97, 0.9, 0.02.
    spoofs = [0.05 + 0.1 * k for k in range(10)]
    labels = [0] * 10 + [1] * 4
    scores = spoofs + [0.99, 0.97, 0.9, 0.02]
    at_tenth, at_zero = m.tpr_at_fpr(labels, scores, (0.1, 0.01))
    # FPR = 1/10 = 0.1 exactly (the 0.95 spoof accepted) lets the 0.9 live in too: TPR 3/4 at threshold 0.9.
    assert (at_tenth["fpr"], at_tenth["tpr"], at_tenth["threshold"]) == (0.1, 0.75, 0.9)
    assert at_tenth["n_negatives"] == 10 and not at_tenth["too_few_negatives"]
    assert (at_zero["fpr"], at_zero["tpr"], at_zero["threshold"]) == (0.0, 0.5, 0.97)
    assert at_zero["too_few_negatives"]
    # The best live below every spoof: FPR = 0 only at +inf, no threshold to report.
    none_pass = m.tpr_at_fpr([0, 1], [0.9, 0.1], (0.5,))[0]
    assert (none_pass["tpr"], none_pass["fpr"], none_pass["threshold"]) == (0.0, 0.0, None)
    for n_neg, flagged in ((100, False), (99, True), (150, False)):
        row = m.tpr_at_fpr([0] * n_neg + [1], [0.1] * n_neg + [0.9], (0.01,))[0]
        assert (row["n_negatives"], row["too_few_negatives"]) == (n_neg, flagged)


def test_compute_metrics_record_hand_computed():
    """The keys eval stores, with the caller's FPR targets passed through."""
    out = m.compute_metrics([1, 1, 0, 0, 0], [0.9, 0.3, 0.5, 0.2, 0.1], ["Real Face"] * 2 + ["Print"] * 3, 0.4,
                            fpr_targets=(0.5,))
    assert out["n"] == 5 and out["auc"] == pytest.approx(5 / 6)
    assert [(r["fpr_target"], r["tpr"], r["fpr"]) for r in out["tpr_at_fpr"]] == [(0.5, 1.0, pytest.approx(1 / 3))]


def test_per_group_hand_computed_with_a_spoof_only_group():
    """A domain holding only spoofs has no AUC (not an error), and each group reports its own size."""
    out = m.per_group([1, 0, 0, 0], [0.9, 0.1, 0.6, 0.2], ["A", "A", "B", "B"], 0.5)
    assert out["A"]["n"] == 2 and out["B"]["n"] == 2
    assert out["B"]["auc"] is None and out["B"]["apcer"] == 0.5 and out["B"]["bpcer"] is None
