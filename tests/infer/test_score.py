"""The liveness score reads only the tokens training taught: the first token where the branches' training
texts differ. Checked against a one-sequence-at-a-time oracle with two tokenizers that split words
differently: the local one (punctuation glued to words) and one with Qwen2's original split rule."""

from __future__ import annotations

import math
from functools import lru_cache

import pytest

from pafas_cli.infer.generate import chat_texts, encode
from pafas_cli.infer.score import liveness_scores
from pafas_cli.paths.answer import format_answer

from infer_helpers import CORPUS, PRETOK, PRINT, TinyModel, face_images, user_prompt

pytestmark = pytest.mark.slow
BRANCHES = ["Real Face", "Spoof Face"]
# (prompt, reasoning) per row: different lengths (left padding) and an answer-only row.
ROWS = [(("rgb", "depth", "ir"), "The IR image is dark and flat, a print."),
        (("rgb",), "short"),
        (("rgb", "ir"), None)]


@lru_cache(maxsize=None)
def _build(name: str) -> TinyModel:
    """A tiny random Qwen2.5-VL and processor built the way `init-model` builds them; `qwen2` swaps in
    Qwen2's own pre-tokenizer split (`infer_helpers.PRETOK`), which keeps punctuation apart from words."""
    from pafas_cli.model.config import ModelConfig
    from pafas_cli.model.processor import build_processor
    from pafas_cli.model.tiny import build_model
    from pafas_cli.model.tokenizer import WORD_SPLIT, train_tokenizer

    cfg = ModelConfig()
    tokenizer = train_tokenizer(CORPUS, cfg.vocab_size, split=WORD_SPLIT if name == "local" else PRETOK)
    return TinyModel(build_model(cfg, tokenizer, seed=0), build_processor(tokenizer, 56))


@pytest.fixture(params=["local", "qwen2"])
def model_for(request) -> tuple[str, TinyModel]:
    """(tokenizer name, tiny model) for both tokenizers."""
    return request.param, _build(request.param)


def _rows():
    prompts = [user_prompt(m) for m, _ in ROWS]
    return prompts, [r for _, r in ROWS], [face_images(10 + i) for i in range(len(ROWS))]


def _first_difference(a: list[int], b: list[int]) -> int:
    d = 0
    while d < min(len(a), len(b)) and a[d] == b[d]:
        d += 1
    return d


def _ids(processor, text: str, images) -> list[int]:
    return encode(processor, [text], [images], "cpu")["input_ids"][0].tolist()


def _logprobs(model, processor, text: str, images):
    """(ids, log-probs per position) of one unpadded sequence."""
    import torch

    batch = encode(processor, [text], [images], "cpu")
    with torch.no_grad():
        return batch["input_ids"][0].tolist(), model(**batch).logits[0].float().log_softmax(-1)


def _oracle(model, processor, prompt: str, reasoning, images, branches) -> tuple[float, list[list[int]]]:
    """P(branches[0]) and each branch's scored ids, one sequence at a time: a branch is read from the
    first position where all branches' training texts no longer agree up to its first id no other has."""
    seqs = [_logprobs(model, processor, prompt + format_answer(reasoning, [b]), images) for b in branches]
    ids = [s[0] for s in seqs]
    start = min(_first_difference(ids[0], other) for other in ids[1:])
    logps, scored = [], []
    for j, (own, lp) in enumerate(seqs):
        end = max(_first_difference(own, other) for m, other in enumerate(ids) if m != j) + 1
        logps.append(sum(lp[p - 1, own[p]].item() for p in range(start, end)))
        scored.append(own[start:end])
    top = max(logps)
    return math.exp(logps[0] - top) / sum(math.exp(x - top) for x in logps), scored


@pytest.mark.parametrize("branches", [BRANCHES, BRANCHES + ["Spoof Mask"]], ids=["2 classes", "3 classes"])
def test_score_matches_one_sequence_oracle(model_for, branches):
    name, tiny = model_for
    model, processor = tiny.model, tiny.processor
    prompts, reasonings, images = _rows()
    chats = chat_texts(processor, prompts)
    answers = [[format_answer(r, [b]) for b in branches] for r in reasonings]
    scores = liveness_scores(model, processor, chats, images, answers)
    for score, chat, reasoning, image in zip(scores, chats, reasonings, images):
        expected, scored = _oracle(model, processor, chat, reasoning, image, branches)
        assert 0.0 < score < 1.0
        assert score == pytest.approx(expected, abs=1e-4), name
        # the first scored token spells the start of the branch name as trained: 'Real…, 'Spoof…
        for branch, ids in zip(branches, scored):
            first = processor.tokenizer.decode(ids[:1]).strip(" '[\"")
            assert first and branch.split()[0].startswith(first), (name, branch, first)
        if len(branches) == 2:
            assert [len(ids) for ids in scored] == [1, 1]


@pytest.mark.parametrize("reasoning", ["The IR image is dark and flat, a print.", None])
def test_divergent_token_is_the_same_closed_or_continued(model_for, reasoning):
    """The scored token is boundary-safe: the spoof branch's first own token is the same whether its answer
    closes after the class (`['Spoof Face']`) or goes on (`['Spoof Face', 'External Spoofing Attacks', …]`)."""
    name, tiny = model_for
    processor = tiny.processor
    chat = chat_texts(processor, [user_prompt()])[0]
    image = face_images(3)
    real = _ids(processor, chat + format_answer(reasoning, ["Real Face"]), image)
    closed = _ids(processor, chat + format_answer(reasoning, ["Spoof Face"]), image)
    continued = _ids(processor, chat + format_answer(reasoning, list(PRINT)), image)
    d = _first_difference(real, closed)
    assert _first_difference(real, continued) == d, name
    assert continued[:d + 1] == closed[:d + 1], name


def test_old_truncated_rule_reads_an_untrained_token():
    """Regression (issue 13 §1): cutting the text after the class name and scoring every token after the
    shared prefix ends the local tokenizer's text in a bare `ĠFace`, a token no training answer holds
    after the class; the old rule's score differs from the new one."""
    tiny = _build("local")
    model, processor = tiny.model, tiny.processor
    prompts, reasonings, images = _rows()
    chats = chat_texts(processor, prompts)
    new = liveness_scores(model, processor, chats, images, [[format_answer(r, [b]) for b in BRANCHES]
                                                            for r in reasonings])
    old = []
    for chat, reasoning, image in zip(chats, reasonings, images):
        cut = [chat + format_answer(reasoning, [b])[:format_answer(reasoning, [b]).rindex(b) + len(b)]
               for b in BRANCHES]
        seqs = [_logprobs(model, processor, text, image) for text in cut]
        shared = _first_difference(seqs[0][0], seqs[1][0])
        logps = [sum(lp[p - 1, ids[p]].item() for p in range(shared, len(ids))) for ids, lp in seqs]
        old.append(1 / (1 + math.exp(logps[1] - logps[0])))
        for (ids, _), b in zip(seqs, BRANCHES):
            trained = _ids(processor, chat + format_answer(reasoning, [b]), image)
            continued = _ids(processor, chat + format_answer(reasoning, list(PRINT) if b != "Real Face" else [b]), image)
            assert len(ids) - shared == 2  # `Real`/`Spoof`, then the bare ` Face`
            assert trained[:len(ids) - 1] == ids[:-1]
            assert ids[-1] not in (trained[len(ids) - 1], continued[len(ids) - 1])
    assert max(abs(o - n) for o, n in zip(old, new)) > 1e-3
