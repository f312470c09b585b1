"""ROC curves and confusion matrices as PNG files (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from pafas_cli.metrics import auc, roc


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_roc(curves: Mapping[str, tuple[Sequence[int], Sequence[float]]], path: Path, title: str) -> None:
    """One ROC per entry (label -> (labels, scores)); FPR = spoofs accepted, TPR = lives accepted."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 5))
    for name, (labels, scores) in curves.items():
        fpr, tpr, _ = roc(labels, scores)
        ax.plot(fpr, tpr, lw=1.8, label=f"{name} (AUC {auc(labels, scores):.3f})")
    ax.plot([0, 1], [0, 1], ls="--", c="grey", lw=0.8)
    ax.set(xlabel="FPR (APCER: spoofs accepted as live)", ylabel="TPR (lives accepted)", title=title,
           xlim=(0, 1), ylim=(0, 1.01))
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_confusion(matrices: Mapping[str, Mapping[str, int]], path: Path, title: str) -> None:
    """One 2x2 matrix per entry (label -> {tp, fn, fp, tn}), rows = truth, columns = decision."""
    plt = _pyplot()
    n = len(matrices)
    fig, axes = plt.subplots(1, n, figsize=(3.6 * n, 3.4), squeeze=False)
    for ax, (name, c) in zip(axes[0], matrices.items()):
        grid = np.array([[c["tp"], c["fn"]], [c["fp"], c["tn"]]])
        ax.imshow(grid, cmap="Blues", vmin=0, vmax=max(int(grid.max()), 1))
        for (i, j), value in np.ndenumerate(grid):
            ax.text(j, i, str(value), ha="center", va="center",
                    color="white" if value > grid.max() / 2 else "black", fontsize=12)
        ax.set_xticks([0, 1], ["live", "spoof"])
        ax.set_yticks([0, 1], ["live", "spoof"])
        ax.set(xlabel="decision", ylabel="truth", title=name)
        ax.title.set_fontsize(9)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_eval(folder: Path, records: Sequence[Mapping], metrics: Mapping, names: Sequence[str]) -> None:
    """roc.png (every model on every reported set) and confusion.png (each model on the first set)."""
    curves = {}
    for model in metrics:
        for set_name in names:
            rows = [r for r in records if r["model"] == model and r["set"] == set_name]
            label = model if len(names) == 1 else f"{model} {set_name}"
            curves[label] = ([r["label"] for r in rows], [r["score"] for r in rows])
    plot_roc(curves, folder / "roc.png", f"ROC on {', '.join(names)} (live = positive)")
    plot_confusion({m: v["sets"][names[0]]["honest"]["confusion"] for m, v in metrics.items()},
                   folder / "confusion.png", f"'{names[0]}' at each model's dev threshold")
