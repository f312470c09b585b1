"""Batched generation, the liveness score and the predict pipeline on a tiny Qwen2.5-VL."""

from __future__ import annotations

import math

import pytest

from pafas_cli.infer.generate import chat_texts, encode, generate_batch
from pafas_cli.infer.predict import answer_prefix, batched, predict, reasoning_of
from pafas_cli.infer.score import liveness_scores
from pafas_cli.paths.answer import format_answer, parse_answer
from pafas_cli.paths.taxonomy import default_taxonomy

from infer_helpers import TARGET, face_images, user_prompt

pytestmark = pytest.mark.slow
BRANCHES = ["Real Face", "Spoof Face"]


def _brute_force_logp(model, processor, text, images, continuation):
    """Sum of log-probs of `continuation`'s tokens after `text`, one unpadded sequence at a time."""
    import torch

    full = encode(processor, [text + continuation], [images], "cpu")
    n = full["input_ids"].shape[1] - encode(processor, [text], [images], "cpu")["input_ids"].shape[1]
    with torch.no_grad():
        lp = model(**full).logits[0].log_softmax(-1)
    ids = full["input_ids"][0]
    return sum(lp[p - 1, ids[p]].item() for p in range(len(ids) - n, len(ids)))


def test_batched_generation_equals_one_by_one(tiny_model):
    prompts = [user_prompt(), user_prompt(("rgb",)), user_prompt(("rgb", "ir"))]  # different lengths
    images = [face_images(i) for i in range(3)]
    together = generate_batch(tiny_model.model, tiny_model.processor, prompts, images, 12)
    alone = [generate_batch(tiny_model.model, tiny_model.processor, [p], [i], 12)[0] for p, i in zip(prompts, images)]
    assert together == alone


def test_liveness_score_matches_unpadded_brute_force(tiny_model):
    model, processor = tiny_model.model, tiny_model.processor
    prompts = chat_texts(processor, [user_prompt(), user_prompt(("rgb",))])
    images = [face_images(5), face_images(6)]
    prefixes = [answer_prefix("short", "Real Face"), answer_prefix("a much longer reasoning text here", "Real Face")]
    scores = liveness_scores(model, processor, prompts, images, prefixes, BRANCHES)
    for score, prompt, image, prefix in zip(scores, prompts, images, prefixes):
        live = _brute_force_logp(model, processor, prompt + prefix, image, "Real Face")
        spoof = _brute_force_logp(model, processor, prompt + prefix, image, "Spoof Face")
        assert 0.0 < score < 1.0
        assert score == pytest.approx(1 / (1 + math.exp(spoof - live)), abs=1e-4)


def test_answer_prefix_is_cut_from_the_one_formatter():
    prefix = answer_prefix("Depth is flat.", "Real Face")
    assert format_answer("Depth is flat.", ["Real Face"]).startswith(prefix)
    assert prefix.endswith("<answer>['")


def test_reasoning_of_malformed_text_keeps_text_before_answer():
    taxonomy = default_taxonomy()
    text = "<think>IR is dark<answer>['Spoof"
    assert reasoning_of(text, parse_answer(text, taxonomy)) == "IR is dark"


def test_trained_model_answers_are_parsed_and_scored(trained_model):
    taxonomy = default_taxonomy()
    prompts = [user_prompt(), user_prompt(("rgb",)), user_prompt(("rgb", "depth"))]
    images = [face_images(i) for i in (1, 2, 3)]
    preds = predict(trained_model.model, trained_model.processor,
                    zip(batched(prompts, 2), batched(images, 2)), 3, taxonomy, 80, show_progress=False)
    assert len(preds) == 3
    for p in preds:
        assert p.text == TARGET
        assert p.answer.well_formed and p.answer.decision == 0
        assert p.answer.deepest == "Flat Print Attack"
        assert p.reasoning == "The IR image is dark and flat, a print."
        # the model learned to answer Spoof Face first, so the live branch is improbable
        assert p.score < 0.05


def test_random_model_output_is_malformed_but_scored(tiny_model):
    preds = predict(tiny_model.model, tiny_model.processor, [([user_prompt()], [face_images(0)])], 1,
                    default_taxonomy(), 8, show_progress=False)
    assert not preds[0].answer.well_formed and preds[0].answer.error
    assert 0.0 <= preds[0].score <= 1.0


def test_answer_only_outputs_are_scored_after_the_answer_tag():
    from pafas_cli.infer.predict import answer_prefix, reasoning_of
    from pafas_cli.paths.answer import parse_answer
    from pafas_cli.paths.taxonomy import default_taxonomy

    taxonomy = default_taxonomy()
    text = "<answer>['Real Face']</answer>"
    strict, lenient = parse_answer(text, taxonomy), parse_answer(text, taxonomy, require_think=False)
    assert not strict.well_formed and lenient.well_formed
    assert reasoning_of(text, lenient, require_think=False) is None
    assert answer_prefix(None, "Real Face") == "<answer>['"
    assert answer_prefix("x", "Real Face") == "<think>x</think><answer>['"
    assert reasoning_of(text, strict) == ""
