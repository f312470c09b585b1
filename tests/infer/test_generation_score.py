"""The liveness score read from the generation pass: equal to the teacher-forced pass, or left to it."""

from __future__ import annotations

import pytest
import torch

import pafas_cli.infer.predict as predict_module
from pafas_cli.infer.generate import chat_texts
from pafas_cli.infer.predict import batched, branch_answers, predict
from pafas_cli.infer.score import branch_token_ids, liveness_scores, scores_from_generation
from pafas_cli.paths.taxonomy import default_taxonomy

from infer_helpers import TARGET, face_images, user_prompt

pytestmark = pytest.mark.slow
BRANCHES = ["Real Face", "Spoof Face"]


@pytest.fixture
def second_pass_rows(monkeypatch):
    """How many rows `predict` sent to the teacher-forced pass."""
    rows = []
    real = predict_module.liveness_scores

    def counted(model, processor, chats, images, answers):
        rows.extend(chats)
        return real(model, processor, chats, images, answers)

    monkeypatch.setattr(predict_module, "liveness_scores", counted)
    return rows


def faces(n):
    mods = [None, ("rgb",), ("rgb", "depth"), ("rgb", "ir")]
    return [user_prompt(*(m for m in [mods[i % 4]] if m)) for i in range(n)], [face_images(i) for i in range(n)]


def oracle(model, processor, prompts, images, preds):
    """Every row scored by the teacher-forced pass alone (the pre-existing, independently tested path)."""
    return liveness_scores(model, processor, chat_texts(processor, prompts), images,
                           [branch_answers(p.reasoning, BRANCHES) for p in preds])


@pytest.mark.parametrize("decoder", ["pafas", "hf"])
def test_trained_answers_are_scored_from_the_generation_pass(trained_model, second_pass_rows, decoder):
    model, processor = trained_model.model, trained_model.processor
    prompts, images = faces(5)
    preds = predict(model, processor, zip(batched(prompts, 3), batched(images, 3)), 5, default_taxonomy(), 80,
                    show_progress=False, decoder=decoder)
    assert [p.text for p in preds] == [TARGET] * 5
    assert second_pass_rows == []  # every row read where it was generated
    assert [p.score for p in preds] == pytest.approx(oracle(model, processor, prompts, images, preds), abs=1e-5)


def test_malformed_answers_take_the_teacher_forced_pass(tiny_model, second_pass_rows):
    model, processor = tiny_model.model, tiny_model.processor
    prompts, images = faces(3)
    preds = predict(model, processor, [(prompts, images)], 3, default_taxonomy(), 10, show_progress=False)
    assert not any(p.answer.well_formed for p in preds)
    assert len(second_pass_rows) == 3
    assert [p.score for p in preds] == pytest.approx(oracle(model, processor, prompts, images, preds), abs=1e-6)


class Halve:
    """A logits processor that keeps the greedy choice but changes every log-probability."""

    def __call__(self, input_ids, scores):
        return scores * 0.5


@pytest.mark.parametrize("decoder", ["pafas", "hf"])
def test_the_score_reads_raw_logits_not_what_logits_processors_make_of_them(trained_model, monkeypatch,
                                                                             second_pass_rows, decoder):
    """A model's generation config may add processors (a repetition penalty, say); the teacher-forced
    score never sees them, so the generation-pass score must not either, whichever decoder runs."""
    from transformers import LogitsProcessorList

    model, processor = trained_model.model, trained_model.processor
    real_generate, real_processors = model.generate, model._get_logits_processor
    monkeypatch.setattr(model, "generate", lambda **kw: real_generate(**kw, logits_processor=[Halve()]))
    monkeypatch.setattr(model, "_get_logits_processor",
                        lambda **kw: LogitsProcessorList([*real_processors(**kw), Halve()]))
    prompts, images = faces(2)
    preds = predict(model, processor, [(prompts, images)], 2, default_taxonomy(), 80, show_progress=False,
                    decoder=decoder)
    assert second_pass_rows == [] and [p.text for p in preds] == [TARGET] * 2
    assert [p.score for p in preds] == pytest.approx(oracle(model, processor, prompts, images, preds), abs=1e-5)


def test_scores_from_generation_checks_the_generated_ids(trained_model):
    """Read at the step where the branch token was predicted, only when the ids before it are the
    training text's; a stop before that step or another token before it leaves the row to the second pass."""
    tokenizer = trained_model.processor.tokenizer
    chat = chat_texts(trained_model.processor, [user_prompt()])[0]
    answers = branch_answers("The IR image is dark and flat, a print.", BRANCHES)
    watch = branch_token_ids(tokenizer, answers)
    prompt_len = len(tokenizer(chat)["input_ids"])
    full = tokenizer(chat + answers[1])["input_ids"]
    live_full = tokenizer(chat + answers[0])["input_ids"]
    step = next(i for i, (a, b) in enumerate(zip(full, live_full)) if a != b) - prompt_len  # by hand
    generated = full[prompt_len:]
    torch.manual_seed(0)
    watched = torch.log_softmax(torch.randn(len(generated), 1, len(watch)), dim=-1)
    live, spoof = watch.index(live_full[prompt_len + step]), watch.index(full[prompt_len + step])
    expected = 1 / (1 + float(torch.exp(watched[step, 0, spoof] - watched[step, 0, live])))

    def read(gen, w):
        return scores_from_generation(tokenizer, [chat], [answers], [gen], w, watch)[0]

    assert read(generated, watched) == pytest.approx(expected, abs=1e-6)
    other = list(generated)
    other[step - 1] = (other[step - 1] + 1) % len(tokenizer)
    assert read(other, watched) is None
    assert read(generated, watched[:step]) is None
    assert read(generated, None) is None


def test_branches_needing_several_tokens_are_not_watched(trained_model):
    tokenizer = trained_model.processor.tokenizer
    two = branch_token_ids(tokenizer, branch_answers("x", BRANCHES))
    assert [tokenizer.decode([t]) for t in two] == ["Real", "Spoof"]  # they spell the branches as trained
    # `Spoof Face` and `Spoof Mask` share `Spoof`: their spans are two tokens long.
    assert branch_token_ids(tokenizer, branch_answers("x", ["Real Face", "Spoof Face", "Spoof Mask"])) == []
