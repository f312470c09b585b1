"""A corpus version as TRL rows: the user turn every stage shows (three labelled images, then a question) and
the scene's text as the completion, so `pafas pretrain` trains next-token prediction like `pafas sft` does.

The question asks for a description, never for a verdict: the FAS question ("Is this face live or a spoof
attack?") would name the task the corpus must not teach.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from pafas_cli.data.pretrain.generate import read_samples
from pafas_cli.data.sample import MODALITIES
from pafas_cli.paths.prompt import build_user_turn, user_text
from pafas_cli.paths.store import typed_dataset

if TYPE_CHECKING:
    import datasets

QUESTION = ("Describe what each sensor shows: the colours and textures in RGB, the shape in depth and the "
            "reflectance in IR.")


def load_corpus(root: str | Path, split: str = "train") -> "datasets.Dataset":
    """The scenes of one split ("train" or "val") in TRL's prompt-completion form: `prompt` ([user turn]),
    `completion` ([assistant text]), `images` (RGB, depth, IR; decoded lazily to PIL RGB), `id`, `kind`."""
    user = {"role": "user", "content": build_user_turn(MODALITIES, QUESTION)}
    records = read_samples(root, split)
    cols = {
        "prompt": [[user] for _ in records],
        "completion": [[{"role": "assistant", "content": [{"type": "text", "text": r["text"]}]}] for r in records],
        "images": [r["images"] for r in records],
        "id": [r["id"] for r in records],
        "kind": [r["kind"] for r in records],
    }
    return typed_dataset(cols, "corpus_out")


def corpus_texts(root: str | Path) -> Iterator[str]:
    """Every distinct text a model reads or writes in pretraining (the user turn, each scene's text), for the
    tokenizer: `init-model` must train it on these as well as on the paths corpus."""
    seen = {user_text(MODALITIES, QUESTION)}
    yield from seen
    for record in read_samples(root):
        if record["text"] not in seen:
            seen.add(record["text"])
            yield record["text"]
