"""Face anti-spoofing metrics from liveness scores (pure numpy).

Conventions, fixed here once:
- live (bona fide) is the positive class, label 1; spoof (attack) is label 0;
- a score is the liveness in [0, 1], higher = more live;
- at threshold `t` a face is accepted as live iff `score >= t`.

So APCER (= FAR, FPR) is the share of spoofs with `score >= t`, BPCER (= FRR, FNR) the share of lives
with `score < t`, HTER = their mean (`hter`, with the APCER pooled over all spoofs). `acer` is the
ISO/IEC 30107-3 ACER, (APCER of the worst attack type + BPCER) / 2: a pooled APCER lets a common,
easily caught attack hide a rare one that always passes. The pooled APCER is the count-weighted mean
of the per-type ones, so ACER >= HTER, equal only when every attack type has the same APCER.

The EER threshold is the observed score where |FPR - FNR| is smallest (the first, i.e. highest, such
score on ties, as `argmin` over sklearn's `roc_curve` does), EER = (FPR + FNR) / 2 there. TPR@FPR=x is
the largest TPR over thresholds whose FPR <= x ("conservative"; no interpolation), reported with the
number of negatives, because x < 1/negatives can only be met at FPR = 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pafas_cli.errors import PafasError

FPR_TARGETS: tuple[float, ...] = (1e-2, 1e-3, 1e-4)


def _arrays(labels: Sequence[int], scores: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Validate and convert; labels must be 0/1 and scores finite."""
    y = np.asarray(labels)
    s = np.asarray(scores, dtype=float)
    if y.shape != s.shape or y.ndim != 1:
        raise ValueError(f"labels and scores must be 1-D of the same length, got {y.shape} and {s.shape}")
    if y.size and not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 1 (live) or 0 (spoof)")
    if not np.isfinite(s).all():
        raise ValueError("scores must be finite numbers")
    return y.astype(int), s


def _need_both_classes(y: np.ndarray, what: str) -> None:
    n_live, n_spoof = int((y == 1).sum()), int((y == 0).sum())
    if n_live == 0 or n_spoof == 0:
        raise PafasError(
            f"{what} needs both live and spoof samples; this set has {n_live} live and {n_spoof} spoof"
        )


def roc(labels: Sequence[int], scores: Sequence[float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fpr, tpr, thresholds), thresholds decreasing from +inf through every distinct score."""
    y, s = _arrays(labels, scores)
    _need_both_classes(y, "a ROC curve")
    order = np.argsort(-s, kind="mergesort")
    s_sorted, y_sorted = s[order], y[order]
    # Last index of each run of equal scores: tied faces cross the threshold together.
    last = np.r_[np.flatnonzero(np.diff(s_sorted)), s_sorted.size - 1]
    tps = np.cumsum(y_sorted)[last]
    fps = (last + 1) - tps
    tpr = np.r_[0.0, tps / tps[-1]]
    fpr = np.r_[0.0, fps / fps[-1]]
    return fpr, tpr, np.r_[np.inf, s_sorted[last]]


def auc(labels: Sequence[int], scores: Sequence[float]) -> float:
    """Area under the ROC (ties count one half, as the trapezoid rule gives)."""
    fpr, tpr, _ = roc(labels, scores)
    return float(np.trapezoid(tpr, fpr))


def eer(labels: Sequence[int], scores: Sequence[float]) -> tuple[float, float]:
    """(EER, threshold): the observed score where FPR and FNR are closest; of scores equally close, the one with
    the lowest FPR + FNR, then the highest.

    Compared as counts (|FN * spoofs - FP * lives|), not as float rates: two thresholds can be exactly as close
    (FPR 0.075 with FNR 0.05 or 0.10), and float rounding of the rates, not a rule, used to pick between them."""
    y, _ = _arrays(labels, scores)
    n_live, n_spoof = int((y == 1).sum()), int((y == 0).sum())
    fpr, tpr, thresholds = roc(labels, scores)
    fp = np.rint(fpr[1:] * n_spoof).astype(np.int64)
    fn = n_live - np.rint(tpr[1:] * n_live).astype(np.int64)
    gap, total = np.abs(fn * n_spoof - fp * n_live), fn * n_spoof + fp * n_live
    i = int(np.lexsort((np.arange(gap.size), total, gap))[0])
    return float((fp[i] / n_spoof + fn[i] / n_live) / 2), float(thresholds[1:][i])


def rates_at(labels: Sequence[int], scores: Sequence[float], threshold: float) -> dict:
    """APCER (pooled over attack types), BPCER, HTER and accuracy at `threshold`; None where a class is absent."""
    y, s = _arrays(labels, scores)
    live = s >= threshold
    n_live, n_spoof = int((y == 1).sum()), int((y == 0).sum())
    tp, fn = int((live & (y == 1)).sum()), int((~live & (y == 1)).sum())
    fp, tn = int((live & (y == 0)).sum()), int((~live & (y == 0)).sum())
    apcer = fp / n_spoof if n_spoof else None
    bpcer = fn / n_live if n_live else None
    hter = (apcer + bpcer) / 2 if apcer is not None and bpcer is not None else None
    return {
        "threshold": float(threshold),
        "apcer": apcer,
        "bpcer": bpcer,
        "hter": hter,
        "accuracy": (tp + tn) / y.size if y.size else None,
        "confusion": {"tp": tp, "fn": fn, "fp": fp, "tn": tn},
        "n_live": n_live,
        "n_spoof": n_spoof,
    }


def apcer_per_attack(labels: Sequence[int], scores: Sequence[float], attacks: Sequence[str],
                     threshold: float) -> dict[str, dict]:
    """APCER of each attack type (spoofs only), with its count; ISO 30107-3 reports it per species."""
    y, s = _arrays(labels, scores)
    if len(attacks) != y.size:
        raise ValueError(f"attacks must have one entry per sample, got {len(attacks)} for {y.size}")
    kinds = np.asarray(attacks, dtype=object)
    out = {}
    for kind in sorted({a for a, label in zip(attacks, y) if label == 0}):
        mask = (kinds == kind) & (y == 0)
        out[kind] = {"apcer": float((s[mask] >= threshold).mean()), "n": int(mask.sum())}
    return out


def tpr_at_fpr(labels: Sequence[int], scores: Sequence[float],
               targets: Sequence[float] = FPR_TARGETS) -> list[dict]:
    """For each target FPR: the best TPR reachable without exceeding it, and whether the set can resolve it."""
    fpr, tpr, thresholds = roc(labels, scores)
    n_neg = int((np.asarray(labels) == 0).sum())
    out = []
    for target in targets:
        ok = fpr <= target
        i = int(np.flatnonzero(ok)[np.argmax(tpr[ok])])
        out.append({
            "fpr_target": float(target),
            "tpr": float(tpr[i]),
            "fpr": float(fpr[i]),
            "threshold": float(thresholds[i]) if np.isfinite(thresholds[i]) else None,
            "n_negatives": n_neg,
            "too_few_negatives": 1.0 / target > n_neg,
        })
    return out


def compute_metrics(labels: Sequence[int], scores: Sequence[float], attacks: Sequence[str],
                    threshold: float, fpr_targets: Sequence[float] = FPR_TARGETS) -> dict:
    """AUC, EER, the rates at `threshold`, per-attack APCER, ISO ACER and TPR@FPR for one scored set."""
    y, s = _arrays(labels, scores)
    _need_both_classes(y, "AUC/EER")
    rate, eer_threshold = eer(y, s)
    rates = rates_at(y, s, threshold)
    per_attack = apcer_per_attack(y, s, attacks, threshold)
    apcer_max = max(v["apcer"] for v in per_attack.values())  # spoofs exist, so at least one type
    return {
        "n": int(y.size),
        "auc": auc(y, s),
        "eer": rate,
        "eer_threshold": eer_threshold,
        **rates,
        "apcer_max": apcer_max,
        "acer": (apcer_max + rates["bpcer"]) / 2,
        "apcer_per_attack": per_attack,
        "tpr_at_fpr": tpr_at_fpr(y, s, fpr_targets),
    }


def per_group(labels: Sequence[int], scores: Sequence[float], groups: Sequence[str], threshold: float) -> dict:
    """Rates at `threshold` per group (e.g. domain), plus AUC where the group holds both classes."""
    y, s = _arrays(labels, scores)
    keys = np.asarray(groups, dtype=object)
    out = {}
    for group in sorted(set(groups)):
        mask = keys == group
        yg, sg = y[mask], s[mask]
        both = 0 < int(yg.sum()) < yg.size
        out[group] = {"auc": auc(yg, sg) if both else None, "n": int(mask.sum()), **rates_at(yg, sg, threshold)}
    return out
