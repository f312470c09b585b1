"""From prompts + images to (completion, parsed answer, liveness score), batch by batch.

Shared by `pafas eval` and `pafas explain` so both read a face the same way: greedy generation,
the one answer parser, then the teacher-forced liveness score after the generated reasoning.
"""

from __future__ import annotations

import re
from contextlib import nullcontext
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pafas_cli.console import make_progress
from pafas_cli.infer.generate import chat_texts, generate
from pafas_cli.infer.score import branch_token_ids, liveness_scores, scores_from_generation
from pafas_cli.model.image_cache import ImageCache, caching_images

# The per-batch image cache's bound: a batch's images (the 3B model's 64 faces at 224 px: ~230 MiB).
BATCH_IMAGE_CACHE_BYTES = 512 * 2**20


@dataclass
class Prediction:
    """What the model said about one face."""

    text: str
    answer: Any  # pafas_cli.paths.answer.ParsedAnswer
    reasoning: str
    score: float


def prediction_record(prediction: Prediction) -> dict[str, Any]:
    """What explain and serve report of one prediction: verdict (the answer's own live/spoof branch), answer,
    deepest, liveness, well_formed, format_error, reasoning, text and error. A non-finite score is never a
    number in the record (JSON has no NaN): liveness is None and error says why; else error is None."""
    import math

    answer = prediction.answer
    score = float(prediction.score)
    finite = math.isfinite(score)
    return {
        "verdict": None if answer.decision is None else ("live" if answer.decision == 1 else "spoof"),
        "answer": list(answer.nodes) if answer.well_formed else None,
        "deepest": answer.deepest,
        "liveness": round(score, 6) if finite else None,
        "well_formed": answer.well_formed,
        "format_error": answer.error,
        "reasoning": prediction.reasoning,
        "text": prediction.text,
        "error": None if finite else (
            f"liveness score is {score} (not a number): the model's outputs are not finite, e.g. a diverged "
            f"training run; evaluate an earlier version or retrain with a lower learning rate"),
    }


def reasoning_of(text: str, parsed: Any, require_think: bool = True) -> str | None:
    """The reasoning to teacher-force: the parsed `<think>` text, else whatever came before `<answer>`;
    None for an answer-only model (`require_think=False`) that wrote no `<think>`."""
    if parsed.think is not None:
        return parsed.think
    if not require_think and "<think>" not in text:
        return None
    return re.sub(r"</?think>", "", text.split("<answer>")[0]).strip()


def branch_answers(reasoning: str | None, branches: Sequence[str]) -> list[str]:
    """The complete assistant text per branch (`…<answer>['Real Face']</answer>`), from the one answer
    formatter (answer only when `reasoning` is None): the score must read the tokens training wrote."""
    from pafas_cli.paths.answer import format_answer

    return [format_answer(reasoning, [branch]) for branch in branches]


def predict(model: Any, processor: Any, batches: Iterable[tuple[Sequence[list[dict]], Sequence[Sequence[Any]]]],
            total: int, taxonomy: Any, max_new_tokens: int, description: str = "predict",
            show_progress: bool = True, require_think: bool = True,
            score_in_generation: bool = True, decoder: str = "pafas") -> list[Prediction]:
    """Generate, parse and score every face; `batches` yields (prompts, images) pairs, `total` faces in all.

    `score_in_generation=False` scores every row by the teacher-forced pass (the same numbers, to float
    rounding, one forward pass per batch slower: bench/bench_eval.py compares the two). `decoder`: who
    decodes (`eval.decoder`: "pafas" or "hf", `infer/generate.py`)."""
    from pafas_cli.paths.answer import parse_answer

    branches = [taxonomy.live] + [c for c in taxonomy.children(None) if c != taxonomy.live]
    tokenizer = processor.tokenizer
    # With and without a reasoning (an answer-only model): the branch tokens generation keeps.
    watch = sorted({t for r in ("-", None) for t in branch_token_ids(tokenizer, branch_answers(r, branches))}
                   if score_in_generation else ())
    out: list[Prediction] = []
    with make_progress() if show_progress else nullcontext() as progress:
        task = progress.add_task(description, total=total) if progress else None
        for prompts, images in batches:
            prompts, images = list(prompts), [list(i) for i in images]
            chats = chat_texts(processor, prompts)
            # The second pass feeds its rows' images once per answer branch: each is processed once per batch.
            with caching_images(processor, ImageCache(BATCH_IMAGE_CACHE_BYTES)):
                generation = generate(model, processor, chats, images, max_new_tokens, watch_ids=watch,
                                      decoder=decoder)
                texts = generation.texts
                parsed = [parse_answer(t, taxonomy, require_think=require_think) for t in texts]
                reasonings = [reasoning_of(t, p, require_think) for t, p in zip(texts, parsed)]
                answers = [branch_answers(r, branches) for r in reasonings]
                scores = scores_from_generation(tokenizer, chats, answers, generation.token_ids,
                                                generation.watched, watch)
                rest = [i for i, s in enumerate(scores) if s is None]
                if rest:  # rows the generation pass cannot score: the teacher-forced pass
                    for i, s in zip(rest, liveness_scores(model, processor, [chats[i] for i in rest],
                                                          [images[i] for i in rest], [answers[i] for i in rest])):
                        scores[i] = s
            out += [Prediction(t, p, r or "", s) for t, p, r, s in zip(texts, parsed, reasonings, scores)]
            if progress:
                progress.advance(task, len(prompts))
    return out


def batched(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """Consecutive slices of `size` items."""
    for start in range(0, len(items), size):
        yield items[start:start + size]
