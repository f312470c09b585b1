"""GRPO reward functions, registered by name, plus the `module:function` escape hatch.

Each reward is a plain function `f(completions, **columns) -> list[float | None]`, the signature TRL's
GRPOTrainer calls: `completions[i]` is completion i (a string, or `[{"role": "assistant", "content": str}]`)
and every dataset column arrives as a list aligned with it (`label`, `attack`, `id`, ...). Misaligned
columns are a known way to train on the wrong labels silently, so every reward first checks that each
column it reads has one entry per completion and that rows sharing an `id` share a label.

Answers are parsed by `pafas_cli.paths.answer.parse_answer` against the taxonomy the paths version was
built with (`taxonomy=`, bound by `resolve_reward`; the shipped one when None), so the format and
classification rewards agree with `pafas eval` on what an answer is.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from pafas_cli.errors import PafasError
from pafas_cli.paths.taxonomy import Taxonomy, default_taxonomy

RewardFn = Callable[..., list[float | None]]


class RewardAlignmentError(ValueError):
    """The columns handed to a reward do not line up with the completions."""


def completion_text(completion: Any) -> str:
    """The generated text of one completion, conversational or plain."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Sequence) and completion and isinstance(completion[-1], dict):
        content = completion[-1].get("content", "")
        if isinstance(content, list):
            return "".join(part.get("text", "") for part in content if isinstance(part, dict))
        return str(content)
    raise TypeError(f"unexpected completion type {type(completion).__name__}")


def aligned(completions: Sequence[Any], columns: dict[str, Any], needed: Sequence[str],
            taxonomy: Taxonomy | None = None) -> list[Sequence[Any]]:
    """The `needed` columns, after checking they have one entry per completion and agree per `id`."""
    n = len(completions)
    out = []
    for name in needed:
        if name not in columns or columns[name] is None:
            raise RewardAlignmentError(f"reward needs the dataset column '{name}', which is missing")
        values = columns[name]
        if len(values) != n:
            raise RewardAlignmentError(f"column '{name}' has {len(values)} values for {n} completions")
        out.append(values)
    ids = columns.get("id")
    if ids is not None:
        if len(ids) != n:
            raise RewardAlignmentError(f"column 'id' has {len(ids)} values for {n} completions")
        for name, values in zip(needed, out):
            seen: dict[Any, Any] = {}
            for row_id, value in zip(ids, values):
                key = _hashable(value)
                if seen.setdefault(row_id, key) != key:
                    raise RewardAlignmentError(f"rows with id {row_id!r} carry different '{name}' values: "
                                               "the columns are not aligned with the completions")
    if "label" in needed and "attack" in columns and columns["attack"] is not None:
        for i, (label, attack) in enumerate(zip(columns["label"], columns["attack"])):
            if attack and int(label) != int(attack[0] == (taxonomy or default_taxonomy()).live):
                raise RewardAlignmentError(f"row {i}: label {label} contradicts attack path {list(attack)}")
    return out


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _parse(completion: Any, require_think: bool, taxonomy: Taxonomy | None):
    from pafas_cli.paths.answer import parse_answer

    return parse_answer(completion_text(completion), taxonomy or default_taxonomy(), require_think=require_think)


def format_reward(completions: Sequence[Any], require_think: bool = True, taxonomy: Taxonomy | None = None,
                  **columns: Any) -> list[float | None]:
    """1 when the completion follows the template, `<think>…</think><answer>[…]</answer>` with one list of
    quoted names (the paper's format reward), else 0. Whether the names form a taxonomy path is the
    classification reward's business: judged here it made the reward easier for the one-item live answer
    than for a five-node spoof path (4 of 16 logged spoof answers malformed against 0 of 18 live).

    With TRL's `log_metric` (GRPO passes it) the template rate per class is logged as `format/live` and
    `format/spoof`, so a reward that is easier for one class shows while training."""
    scores = [1.0 if _parse(c, require_think, taxonomy).templated else 0.0 for c in completions]
    _log_per_class("format", scores, columns)
    return scores


def _log_per_class(name: str, values: Sequence[float], columns: dict[str, Any]) -> None:
    """`name/live` and `name/spoof`: the mean of `values` over each class's rows, through TRL's `log_metric`
    (when the trainer passes it and the labels line up), so a reward that is easier for one class shows."""
    log_metric, labels = columns.get("log_metric"), columns.get("label")
    if log_metric is None or labels is None or len(labels) != len(values):
        return
    for label_name, value in (("live", 1), ("spoof", 0)):
        mine = [v for v, label in zip(values, labels) if int(label) == value]
        if mine:
            log_metric(f"{name}/{label_name}", sum(mine) / len(mine))


def classification_reward(completions: Sequence[Any], require_think: bool = True, taxonomy: Taxonomy | None = None,
                          **columns: Any) -> list[float | None]:
    """Binary live/spoof (the paper's reward): 1 when the answer is a valid taxonomy path whose branch equals the
    row's label. An invalid path earns no class credit (the format reward checks the template only). A long spoof
    path can be invalid where a one-item live answer cannot, so the share of valid paths per class is logged
    (`path_valid/live`, `path_valid/spoof`) to show when this makes the reward easier for "live"."""
    (labels,) = aligned(completions, columns, ["label"], taxonomy)
    parsed = [_parse(c, require_think, taxonomy) for c in completions]
    _log_per_class("path_valid", [float(p.well_formed) for p in parsed], columns)
    return [1.0 if p.well_formed and p.branch == int(label) else 0.0 for p, label in zip(parsed, labels)]


def path_credit(predicted: Sequence[str], truth: Sequence[str]) -> float:
    """Share of the known label path the prediction matches from the top (deeper predictions are fine)."""
    if not truth:
        return 0.0
    matched = 0
    for pred, true in zip(predicted, truth):
        if pred != true:
            break
        matched += 1
    return matched / len(truth)


def hierarchical_classification_reward(completions: Sequence[Any], require_think: bool = True,
                                       taxonomy: Taxonomy | None = None, **columns: Any) -> list[float | None]:
    """Partial credit: the fraction of the row's attack path (as deep as annotated) the answer list gets
    right from the top (a wrong inner node ends the credit there; structure is the format reward's job)."""
    labels, attacks = aligned(completions, columns, ["label", "attack"], taxonomy)
    return [path_credit(_parse(c, require_think, taxonomy).listed, attack)
            for c, attack in zip(completions, attacks)]


def consistency_reward(completions: Sequence[Any], require_think: bool = True, taxonomy: Taxonomy | None = None,
                       **columns: Any) -> list[float | None]:
    """1 when the verdict stated in `<think>` agrees with `<answer>` (one path is a prefix of the other)."""
    from pafas_cli.paths.answer import stated_conclusion

    out: list[float | None] = []
    for completion in completions:
        parsed = _parse(completion, require_think, taxonomy)
        stated = stated_conclusion(parsed.think, taxonomy or default_taxonomy()) if parsed.well_formed else None
        if not stated or not parsed.nodes:
            out.append(0.0)
            continue
        depth = min(len(stated), len(parsed.nodes))
        out.append(1.0 if tuple(stated[:depth]) == tuple(parsed.nodes[:depth]) else 0.0)
    return out


REWARDS: dict[str, RewardFn] = {
    "format": format_reward,
    "classification": classification_reward,
    "classification_hierarchical": hierarchical_classification_reward,
    "consistency": consistency_reward,
}


def resolve_reward(name: str, classification_mode: str = "binary", require_think: bool = True,
                   taxonomy: Taxonomy | None = None) -> RewardFn:
    """A registered reward, or `package.module:function` imported from the Python path.

    `require_think=False` makes the registered rewards accept an answer-only `<answer>[...]</answer>`
    (the raw-label baseline, which is trained without reasoning).
    """
    if name == "classification" and classification_mode == "hierarchical":
        return _renamed(partial(hierarchical_classification_reward, require_think=require_think, taxonomy=taxonomy),
                        "classification")
    if name in REWARDS:
        return _renamed(partial(REWARDS[name], require_think=require_think, taxonomy=taxonomy), name)
    module_name, sep, attr = name.partition(":")
    if not sep or not module_name or not attr:
        raise PafasError(f"rl.rewards: unknown reward '{name}' (known: {', '.join(sorted(REWARDS))}; "
                         "or give module:function)")
    try:
        fn = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise PafasError(f"rl.rewards: cannot load '{name}': {exc}") from None
    if not callable(fn):
        raise PafasError(f"rl.rewards: '{name}' is not callable")
    return _renamed(fn, attr)


def _renamed(fn: RewardFn, name: str) -> RewardFn:
    """TRL logs each reward under its function `__name__`; use the recipe's name instead."""

    def reward(completions: Sequence[Any], **columns: Any) -> list[float | None]:
        return fn(completions, **columns)

    reward.__name__ = name
    reward.__doc__ = getattr(fn, "func", fn).__doc__  # a registered reward is a partial: document its function
    return reward
