"""Batched generation, the liveness score and the predict pipeline on a tiny Qwen2.5-VL."""

from __future__ import annotations

import pytest

from pafas_cli.infer.generate import chat_texts, generate
from pafas_cli.infer.predict import batched, branch_answers, predict, reasoning_of
from pafas_cli.infer.score import liveness_scores
from pafas_cli.paths.answer import format_answer, parse_answer
from pafas_cli.paths.taxonomy import default_taxonomy

from infer_helpers import TARGET, face_images, user_prompt

pytestmark = pytest.mark.slow
BRANCHES = ["Real Face", "Spoof Face"]


def test_batched_generation_equals_one_by_one(tiny_model):
    prompts = [user_prompt(), user_prompt(("rgb",)), user_prompt(("rgb", "ir"))]  # different lengths
    images = [face_images(i) for i in range(3)]
    model, processor = tiny_model.model, tiny_model.processor
    together = generate(model, processor, chat_texts(processor, prompts), images, 12).texts
    alone = [generate(model, processor, chat_texts(processor, [p]), [i], 12).texts[0] for p, i in zip(prompts, images)]
    assert together == alone


def test_batched_liveness_scores_equal_one_by_one(tiny_model):
    """Left padding does not move the scored tokens (the one-sequence oracle is in test_score.py)."""
    model, processor = tiny_model.model, tiny_model.processor
    prompts = chat_texts(processor, [user_prompt(), user_prompt(("rgb",))])
    images = [face_images(5), face_images(6)]
    answers = [branch_answers("short", BRANCHES), branch_answers("a much longer reasoning text here", BRANCHES)]
    together = liveness_scores(model, processor, prompts, images, answers)
    alone = [liveness_scores(model, processor, [p], [i], [a])[0] for p, i, a in zip(prompts, images, answers)]
    assert all(0.0 < s < 1.0 for s in together)
    assert together == pytest.approx(alone, abs=1e-5)


def test_branch_answers_are_closed_answers_of_the_one_formatter():
    assert branch_answers("Depth is flat.", BRANCHES) == [format_answer("Depth is flat.", [b]) for b in BRANCHES]
    assert branch_answers("Depth is flat.", BRANCHES)[1] == "<think>Depth is flat.</think><answer>['Spoof Face']</answer>"


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
    from pafas_cli.infer.predict import branch_answers, reasoning_of
    from pafas_cli.paths.answer import parse_answer
    from pafas_cli.paths.taxonomy import default_taxonomy

    taxonomy = default_taxonomy()
    text = "<answer>['Real Face']</answer>"
    strict, lenient = parse_answer(text, taxonomy), parse_answer(text, taxonomy, require_think=False)
    assert not strict.well_formed and lenient.well_formed
    assert reasoning_of(text, lenient, require_think=False) is None
    assert branch_answers(None, ["Real Face"]) == ["<answer>['Real Face']</answer>"]
    assert branch_answers("x", ["Real Face"]) == ["<think>x</think><answer>['Real Face']</answer>"]
    assert reasoning_of(text, strict) == ""
