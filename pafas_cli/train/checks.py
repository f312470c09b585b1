"""Checks that run before any training step, so mistakes fail in seconds with a message to act on.

The common VLM failure ("image features and image tokens do not match") comes from a tokenizer and a
model that disagree on the image token id, from truncated prompts, or from rows whose image
placeholders and images differ in number; each is checked here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pafas_cli.errors import PafasError

def check_dataset(ds: Any, columns: Sequence[str], conversation_column: str, where: str) -> None:
    """Non-empty, has `columns`, and the first/last rows have as many image placeholders as images."""
    if ds is None or len(ds) == 0:
        raise PafasError(f"{where}: the training set is empty (rebuild it with `pafas build-paths`)")
    missing = [c for c in columns if c not in ds.column_names]
    if missing:
        raise PafasError(f"{where}: the training set lacks column(s) {missing}; it has {ds.column_names} "
                         "(was it built by a different pafas version?)")
    for index in sorted({0, len(ds) - 1}):
        row = ds[index]
        placeholders = count_image_parts(row[conversation_column])
        images = len(row["images"] or [])
        if placeholders != images:
            raise PafasError(f"{where}: row {index} (id {row.get('id')!r}) has {placeholders} image placeholders in "
                             f"'{conversation_column}' but {images} images")
    if "label" in columns:
        bad = sorted({v for v in ds["label"] if v not in (0, 1)})
        if bad:
            raise PafasError(f"{where}: column 'label' must hold 1 (live) or 0 (spoof); found {bad[:5]}")


def count_image_parts(messages: Sequence[dict]) -> int:
    count = 0
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):
            count += sum(1 for part in content if isinstance(part, dict) and part.get("type") == "image")
    return count


def check_model(model: Any, processor: Any, where: str) -> None:
    """The processor's image token must be the model's, and its vocabulary must fit the model's."""
    tokenizer = getattr(processor, "tokenizer", None)
    if tokenizer is None or getattr(processor, "image_processor", None) is None:
        raise PafasError(f"{where}: the model folder's processor is a bare {type(processor).__name__}, not a "
                         "vision processor (re-save it with pafas init-model)")
    config = model.config
    expected = getattr(config, "image_token_id", None)
    actual = getattr(processor, "image_token_id", None)
    if actual is None and getattr(processor, "image_token", None):
        actual = tokenizer.convert_tokens_to_ids(processor.image_token)
    if expected is not None and actual is not None and int(expected) != int(actual):
        raise PafasError(f"{where}: model/processor mismatch: the model's image_token_id is {expected} but the "
                         f"processor's is {actual} (model and processor come from different folders?)")
    vocab = getattr(config.get_text_config(), "vocab_size", None)
    if vocab is not None and len(tokenizer) > vocab:
        raise PafasError(f"{where}: the tokenizer has {len(tokenizer)} tokens but the model's vocabulary only "
                         f"{vocab} (model and processor come from different folders?)")
