"""The liveness score's arithmetic, fast: a character-level tokenizer and a fixed bigram model stand in for
the VLM, so the expected score is computed by hand, one text at a time, from the characters that spell each
branch. (test_score.py checks the same against a real tiny Qwen2.5-VL and two real tokenizers.)"""

from __future__ import annotations

import math

import pytest
import torch

from pafas_cli.infer.score import branch_token_ids, liveness_scores, scored_spans, scores_from_generation
from pafas_cli.paths.answer import format_answer

VOCAB, PAD, BOS = 128, 0, 1


class _Tokenizer:
    padding_side = "right"

    def __call__(self, text):
        encode = lambda t: [ord(c) for c in t]  # noqa: E731
        return {"input_ids": encode(text) if isinstance(text, str) else [encode(t) for t in text]}

    def decode(self, ids):
        return "".join(chr(i) for i in ids)


class _Batch(dict):
    def to(self, device):
        return self


class _Processor:
    """Left-pads (as `encode` asks) character ids; images are ignored."""

    def __init__(self):
        self.tokenizer = _Tokenizer()

    def __call__(self, text, images, padding, return_tensors):
        ids = [[ord(c) for c in t] for t in text]
        width = max(map(len, ids))
        assert self.tokenizer.padding_side == "left"
        return _Batch(input_ids=torch.tensor([[PAD] * (width - len(i)) + i for i in ids]),
                      attention_mask=torch.tensor([[0] * (width - len(i)) + [1] * len(i) for i in ids]))


class _Out:
    def __init__(self, logits):
        self.logits = logits


class _Bigram:
    """Logits at a position = A[its token] + B[the token before it] (BOS before the first real one)
    + C[its index in the unpadded text], so texts of different lengths score differently."""

    device = "cpu"

    def __init__(self, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.a, self.b, self.c = (0.5 * torch.randn(n, VOCAB, generator=g) for n in (VOCAB, VOCAB, 256))

    def __call__(self, input_ids, attention_mask, logits_to_keep):
        prev = torch.where(attention_mask.roll(1, dims=1).bool() & (torch.arange(input_ids.shape[1]) > 0),
                           input_ids.roll(1, dims=1), torch.full_like(input_ids, BOS))
        index = (attention_mask.cumsum(1) - 1).clamp(min=0)
        return _Out((self.a[input_ids] + self.b[prev] + self.c[index])[:, -logits_to_keep:])

    def logprob(self, text: str, p: int) -> float:
        """log P(text[p] | text[:p]) by hand, from the two characters before it and the position."""
        cur, prev = ord(text[p - 1]), ord(text[p - 2]) if p >= 2 else BOS
        row = [float(x) for x in self.a[cur] + self.b[prev] + self.c[p - 1]]
        top = max(row)
        return row[ord(text[p])] - top - math.log(sum(math.exp(x - top) for x in row))


def _shared(texts):
    n = 0
    while all(len(t) > n for t in texts) and len({t[n] for t in texts}) == 1:
        n += 1
    return n


@pytest.mark.parametrize("branches, spelled", [
    (["Real Face", "Spoof Face"], ["R", "S"]),
    (["Real Face", "Spoof Face", "Spoof Mask"], ["R", "Spoof F", "Spoof M"]),
])
def test_scored_ids_spell_the_branch_names(branches, spelled):
    """From the first character all branches no longer share, up to the first one no other branch has there."""
    tokenizer = _Tokenizer()
    texts = [format_answer("It is flat.", [b]) for b in branches]
    spans = scored_spans([tokenizer(t)["input_ids"] for t in texts])
    assert [tokenizer.decode(tokenizer(t)["input_ids"][a:b]) for t, (a, b) in zip(texts, spans)] == spelled
    assert {a for a, _ in spans} == {_shared(texts)}


def test_branches_without_a_shared_start_or_with_a_prefix_branch_are_refused():
    with pytest.raises(ValueError, match=r"^the answer branches share no first token, so nothing predicts their "
                                         r"first one$"):
        scored_spans([[1, 2], [3, 4]])
    with pytest.raises(ValueError, match=r"^an answer branch encodes to a prefix of another branch; no token tells "
                                         r"it apart$"):
        scored_spans([[1, 2], [1, 2, 3]])
    assert scored_spans([[5, 1, 2, 9], [5, 1, 3], [5, 1, 2, 8, 7]]) == [(2, 4), (2, 3), (2, 4)]


@pytest.mark.parametrize("branches", [["Real Face", "Spoof Face"], ["Spoof Mask", "Real Face", "Spoof Face"]])
def test_score_matches_a_text_at_a_time_computation(branches):
    """Rows of different lengths (left padding) and one without reasoning; each score is the softmax, at the
    first branch, of the branches' summed log-probabilities over the characters that spell them (with three
    branches the first is a seven-character one, so the score is small: compared relatively)."""
    model, processor = _Bigram(), _Processor()
    prompts = ["<user>Is this face live?<assistant>", "<u>?<a>", "<user>Look at the IR image.<assistant>"]
    reasonings = ["The depth map is round.", "Flat.", None]
    answers = [[format_answer(r, [b]) for b in branches] for r in reasonings]
    scores = liveness_scores(model, processor, prompts, [[None]] * 3, answers)
    for prompt, row, score in zip(prompts, answers, scores):
        texts = [prompt + a for a in row]
        start = _shared(texts)
        logps = []
        for j, text in enumerate(texts):
            end = max(_shared([text, other]) for k, other in enumerate(texts) if k != j) + 1
            logps.append(sum(model.logprob(text, p) for p in range(start, end)))
        top = max(logps)
        expected = math.exp(logps[0] - top) / sum(math.exp(x - top) for x in logps)
        assert score == pytest.approx(expected, rel=1e-4, abs=1e-12)
    assert len(set(scores)) == 3 and all(0 < s < 1 for s in scores)
    assert processor.tokenizer.padding_side == "right", "encode restores the tokenizer's padding side"


def test_no_rows_no_scores_and_ragged_branches_are_refused():
    model, processor = _Bigram(), _Processor()
    assert liveness_scores(model, processor, [], [], []) == []
    with pytest.raises(ValueError, match=r"^every row needs the same number \(at least 2\) of answer branches, "
                                         r"got \[2, 1\]$"):
        liveness_scores(model, processor, ["a", "b"], [[None]] * 2, [["x", "y"], ["x"]])
    with pytest.raises(ValueError, match=r"got \[1\]"):
        liveness_scores(model, processor, ["a"], [[None]], [["x"]])


def test_generation_watches_the_one_character_that_tells_two_branches_apart():
    tokenizer = _Tokenizer()
    two = [format_answer("Flat.", [b]) for b in ("Real Face", "Spoof Face")]
    assert branch_token_ids(tokenizer, two) == [ord("R"), ord("S")]
    three = [format_answer("Flat.", [b]) for b in ("Real Face", "Spoof Face", "Spoof Mask")]
    assert branch_token_ids(tokenizer, three) == []


def test_scores_from_generation_by_hand():
    """A row whose generation wrote the training text up to the branch character is scored from the watched
    log-probabilities at that step: softmax over the branch characters, at the live one. A row that wrote
    something else, or whose step was not watched, is left to the second pass (None), wherever it stands."""
    tokenizer = _Tokenizer()
    prompts = ["<u>Q3<a>", "<u>Q<a>", "<u>Q2<a>", "<u>Long<a>", "<u>Bare<a>"]
    reasonings = ["Flat.", "Flat.", "Round.", "A longer reasoning, one step past the watched ones."]
    answers = [[format_answer(r, [b]) for b in ("Real Face", "Spoof Face")] for r in reasonings] + [["Real", "Spoof"]]
    steps = [_shared(row) for row in answers]  # the branch character's position in the answer
    assert steps[4] == 0
    generated = [[ord(c) for c in "<think>Nope</think><answer>['Real Face']</answer>"],
                 [ord(c) for c in answers[1][1]], [ord(c) for c in answers[2][0]], [ord(c) for c in answers[3][0]],
                 [ord("R")]]
    watch = [ord("R"), ord("S")]
    watched = torch.randn(steps[3], 5, 2, generator=torch.Generator().manual_seed(0))
    assert max(steps[:3]) < steps[3] == watched.shape[0]
    scores = scores_from_generation(tokenizer, prompts, answers, generated, watched, watch)
    for i in (1, 2, 4):
        live, spoof = (float(x) for x in watched[steps[i], i])
        assert scores[i] == pytest.approx(math.exp(live) / (math.exp(live) + math.exp(spoof)), rel=1e-5)
    assert (scores[0], scores[3]) == (None, None)
    assert scores_from_generation(tokenizer, prompts, answers, generated, None, watch) == [None] * 5
    assert scores_from_generation(tokenizer, prompts, answers, generated, watched, []) == [None] * 5
    assert scores_from_generation(tokenizer, [], [], [], watched, watch) == []


class _MergingTokenizer(_Tokenizer):
    """Reads `>R` as one token, as BPE merges may join a prompt's last character with the answer's first."""

    def __call__(self, text):
        merge = lambda t: t.replace(">R", chr(127))  # noqa: E731
        return super().__call__(merge(text) if isinstance(text, str) else [merge(t) for t in text])


def test_rows_the_generation_pass_cannot_score_do_not_stop_the_others():
    """A row whose answer merges with the prompt's last token, or whose branches cannot be told apart, gets None;
    the rows after it are still scored."""
    good_prompt, good = "<u>Q<a>", [format_answer("Flat.", [b]) for b in ("Real Face", "Spoof Face")]
    step = _shared(good)
    watched = torch.randn(step + 1, 2, 2, generator=torch.Generator().manual_seed(1))
    live, spoof = (float(x) for x in watched[step, 1])
    expected = math.exp(live) / (math.exp(live) + math.exp(spoof))
    generated = [[ord("R")], [ord(c) for c in good[0]]]
    merged = scores_from_generation(_MergingTokenizer(), ["<u>M<a>", good_prompt], [["Real", "Spoof"], good],
                                    generated, watched, [ord("R"), ord("S")])
    assert merged[0] is None and merged[1] == pytest.approx(expected, rel=1e-5)
    prefix = scores_from_generation(_Tokenizer(), ["<u>M<a>", good_prompt], [["Real", "Real Face"], good],
                                    generated, watched, [ord("R"), ord("S")])
    assert prefix[0] is None and prefix[1] == pytest.approx(expected, rel=1e-5)
