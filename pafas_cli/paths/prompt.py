"""The user turn every stage shows the model: three images in the fixed order RGB, depth, IR, then the question.

A missing modality still gets an image slot (a blank image, so every prompt has the same number of image
tokens) and its label says it is unavailable; the reasoning then uses only the modalities present.
"""

from __future__ import annotations

from collections.abc import Iterable

from pafas_cli.data.sample import MODALITIES

LABELS = {"rgb": "RGB image:", "depth": "Depth image:", "ir": "IR image:"}
UNAVAILABLE = {"rgb": "RGB image: unavailable (blank).", "depth": "Depth image: unavailable (blank).",
               "ir": "IR image: unavailable (blank)."}
QUESTION = (
    "Is this face live or a spoof attack? Reason about each available modality inside <think></think>, "
    "then give the class path from the taxonomy as a list inside <answer>[...]</answer>."
)
MISSING_POLICY = "a missing modality is shown as a blank image labelled 'unavailable (blank)'; " \
                 "its reasoning clauses are never used"


def build_user_turn(modalities_present: Iterable[str], question: str = QUESTION) -> list[dict]:
    """Content parts of the user message: label, image, label, image, label, image, question (the FAS
    question unless another is given, e.g. the pretraining corpus's description request)."""
    present = set(modalities_present)
    unknown = present - set(MODALITIES)
    if unknown:
        raise ValueError(f"unknown modality {sorted(unknown)[0]!r}; expected {', '.join(MODALITIES)}")
    parts: list[dict] = []
    for modality in MODALITIES:
        label = LABELS[modality] if modality in present else UNAVAILABLE[modality]
        parts += [{"type": "text", "text": label}, {"type": "image"}]
    parts.append({"type": "text", "text": question})
    return parts


def user_text(modalities_present: Iterable[str], question: str = QUESTION) -> str:
    """The text of the user turn alone (for the tokenizer corpus)."""
    return " ".join(p["text"] for p in build_user_turn(modalities_present, question) if p["type"] == "text")
