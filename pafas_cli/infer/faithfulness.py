"""Is the reasoning true of the face, and does it cite sensors the model never saw?

Two readers of a reasoning's clauses (`paths.clauses.ClauseReader`):

* `reasoning_rates`, for `pafas eval`: from the prediction records of one model on one set and each face's
  truth (label path, the modalities given), how many clauses the reader parses, how many observations are true
  of the face (`ReasoningTree.holds`), how often a reasoning cites a modality missing from the input, and how
  many correct verdicts rest on a true observation of a given modality. docs/scoring.md defines each rate.
* `check_reasoning`, for `pafas explain` and `pafas serve`, where no truth exists: each clause with the
  modalities it cites and which of them were missing, and whether the reasoning rests on any observation of
  a modality that was given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pafas_cli.data.sample import MODALITIES
from pafas_cli.paths.clauses import Clause, ClauseReader

# The rates `reasoning_rates` reports (None where undefined), in the order the tables show them.
RATE_KEYS = ("clauses_per_face", "parsed_rate", "clause_accuracy", "grounded_rate", "hallucination_rate")


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def cites_missing(clauses: Sequence[Clause], present: Sequence[str]) -> list[str]:
    """The modalities the clauses cite that were not given, in MODALITIES order."""
    cited = {m for c in clauses for m in c.cites}
    return [m for m in MODALITIES if m in cited and m not in present]


def reasoning_rates(records: Sequence[dict], reader: ClauseReader) -> dict[str, Any]:
    """The reasoning rates of one model on one set, with the counts behind them (docs/scoring.md).

    Reads `reasoning`, `attack` (the true label path), `label`, `modalities` (those given) and
    `stated_decision` (the verdict the reasoning states) of each prediction record.
    """
    tree = reader.tree
    clauses = parsed = observations = true = 0
    missing_faces = citing = correct = grounded = 0
    for r in records:
        read = reader.read(r["reasoning"])
        known, present = tuple(r["attack"]), set(r["modalities"])
        truths = [(c, tree.holds(c.modality, c.observation, known)) for c in read if c.observes]
        clauses += len(read)
        parsed += sum(c.parsed for c in read)
        observations += len(truths)
        true += sum(t for _, t in truths)
        if set(MODALITIES) - present:
            missing_faces += 1
            citing += bool(cites_missing(read, present))
        if r["stated_decision"] is not None and r["stated_decision"] == r["label"]:
            correct += 1
            grounded += any(t and c.modality in present for c, t in truths)
    counts = {"faces": len(records), "clauses": clauses, "parsed": parsed, "observations": observations,
              "true_observations": true, "faces_missing_a_modality": missing_faces,
              "faces_citing_a_missing_modality": citing, "correct_verdicts": correct, "grounded_verdicts": grounded}
    return {"clauses_per_face": _share(clauses, len(records)), "parsed_rate": _share(parsed, clauses),
            "clause_accuracy": _share(true, observations), "grounded_rate": _share(grounded, correct),
            "hallucination_rate": _share(citing, missing_faces), "counts": counts}


def check_reasoning(reader: ClauseReader, reasoning: str | None, present: Sequence[str]) -> dict[str, Any]:
    """What a reasoning cites, judged without ground truth: the JSON fields explain and serve add to a face.

    `clauses`: each clause's text, kind, modality, observation, node, the modalities it cites and those of them
    that were `missing` from the input; `cites_missing`: every missing modality cited; `grounded`: whether any
    parsed observation is of a modality that was given (None without a reasoning).
    """
    read = reader.read(reasoning)
    rows = [{"text": c.text, "kind": c.kind, "modality": c.modality, "observation": c.observation, "node": c.node,
             "modalities": list(c.cites), "missing": [m for m in c.cites if m not in present]} for c in read]
    return {"clauses": rows, "cites_missing": cites_missing(read, present),
            "grounded": any(c.observes and c.modality in present for c in read) if read else None}
