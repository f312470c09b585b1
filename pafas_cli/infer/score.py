"""The liveness score: how much the model prefers the live branch as the first answer item.

After the reasoning is generated, each row gets one complete assistant text per top-level class of
the taxonomy, exactly as the training data holds it (`…<answer>['Real Face']</answer>`,
`…<answer>['Spoof Face']</answer>`), and all of them go through the model in one batched forward
pass. A branch is scored by the tokens that tell it apart: those after the longest token prefix all
branches of the row share, up to and including the first token where its ids differ from every
other branch's (with two branches: exactly one token, the first divergent one). The score is the
softmax of the branches' summed log-probabilities, taken at the live class. With more than two
classes, branches that share first tokens are each read up to their own first distinct token, so
the scored spans are disjoint continuations and the softmax compares their probabilities.

Why only those tokens: the model was trained on whole answers, so the tokens after the divergence
depend on how the tokenizer splits the closed answer. Cutting the text after the class name (the
old rule) ended it in a token training never produced there (`ĠFace` where training has
`ĠFace']</`), whose log-probability is noise. The first divergent token is the first token where
two training texts differ, so it is a token training taught, whatever the tokenizer's boundaries.

When the branches differ in one token each (the shipped taxonomy) and greedy decoding wrote exactly the
training text up to that token, the generation pass has already computed the logits that the
teacher-forced pass would: `scores_from_generation` reads them there (`infer/generate.py` keeps the
branch tokens' log-probabilities at every step) and only the other rows take the second pass.
See docs/scoring.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pafas_cli.infer.generate import encode


def _common(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the longest common prefix of two id lists."""
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def scored_spans(versions: Sequence[Sequence[int]]) -> list[tuple[int, int]]:
    """For the k >= 2 token-id lists of one row's branches: the [start, end) span of ids scored per branch.

    start is the length of the prefix all branches share; a branch's span ends right after its first
    token that no other branch has at that position (after the longest prefix it shares with any one).
    """
    start = min(_common(versions[0], v) for v in versions[1:])
    if start == 0:
        raise ValueError("the answer branches share no first token, so nothing predicts their first one")
    spans = []
    for j, v in enumerate(versions):
        end = max(_common(v, w) for m, w in enumerate(versions) if m != j) + 1
        if end > len(v):
            raise ValueError("an answer branch encodes to a prefix of another branch; no token tells it apart")
        spans.append((start, end))
    return spans


def liveness_scores(model: Any, processor: Any, chat_prompts: Sequence[str], images: Sequence[Sequence[Any]],
                    answers: Sequence[Sequence[str]]) -> list[float]:
    """One score in [0, 1] per row: P(first branch) among the row's branches, read at the divergent tokens.

    `chat_prompts` are templated prompt texts ending with the assistant header; `answers[i]` holds row
    i's complete assistant texts, one per top-level class with the live class first, built by the one
    formatter (`paths.answer.format_answer(reasoning, [class])`) so they tokenize as in training.
    """
    import torch

    rows = len(chat_prompts)
    if rows == 0:
        return []
    k = len(answers[0])
    if k < 2 or any(len(a) != k for a in answers):
        raise ValueError(f"every row needs the same number (at least 2) of answer branches, "
                         f"got {[len(a) for a in answers]}")
    texts = [p + a[j] for j in range(k) for p, a in zip(chat_prompts, answers)]
    batch = encode(processor, texts, list(images) * k, model.device)
    ids, mask = batch["input_ids"], batch["attention_mask"]
    unpadded = [row[m.bool()].tolist() for row, m in zip(ids.cpu(), mask.cpu())]
    # Text j of row i sits at j * rows + i. The tokens after a branch's span (`']</answer>`) go
    # through the model too but are not read: causal attention keeps them out of the scored logits.
    spans: list[tuple[int, int]] = [(0, 0)] * len(texts)
    for i in range(rows):
        for j, span in enumerate(scored_spans([unpadded[m * rows + i] for m in range(k)])):
            spans[j * rows + i] = span
    # Left padding right-aligns the texts: token p of a text of n tokens is predicted by the logits
    # at n - p + 1 positions from the row's end (the last position counting as 1), so the last
    # `keep` logits cover every scored token, and token p reads kept logit keep - (n - p) - 1.
    keep = max(len(u) - start + 1 for u, (start, _) in zip(unpadded, spans))
    text_of, pos, tok = [], [], []
    for t, (u, (start, end)) in enumerate(zip(unpadded, spans)):
        for p in range(start, end):
            text_of.append(t)
            pos.append(keep - (len(u) - p) - 1)
            tok.append(u[p])
    with torch.inference_mode():
        logits = model(**batch, logits_to_keep=keep).logits
    device = logits.device
    text_of_t, pos_t, tok_t = (torch.tensor(x, device=device) for x in (text_of, pos, tok))
    token_lp = torch.log_softmax(logits[text_of_t, pos_t].float(), dim=-1).gather(-1, tok_t[:, None])[:, 0]
    branch_lp = torch.zeros(len(texts), device=device).index_add_(0, text_of_t, token_lp)
    probs = torch.softmax(branch_lp.view(k, rows), dim=0)
    return [float(x) for x in probs[0].cpu()]


def branch_token_ids(tokenizer: Any, answers: Sequence[str]) -> list[int]:
    """The token each branch is scored by, from one row's branch texts (any reasoning): what generation
    should watch. [] when a branch needs more than one token (then every row takes the second pass)."""
    spans = scored_spans([tokenizer(a)["input_ids"] for a in answers])
    if any(end - start != 1 for start, end in spans):
        return []
    return [tokenizer(a)["input_ids"][start] for a, (start, _) in zip(answers, spans)]


def scores_from_generation(tokenizer: Any, chat_prompts: Sequence[str], answers: Sequence[Sequence[str]],
                           generated: Sequence[Sequence[int]], watched: Any, watch_ids: Sequence[int]
                           ) -> list[float | None]:
    """The liveness score of each row read from its own generation pass; None where that pass cannot give it.

    Row i qualifies when its generated ids equal the training text's ids (prompt + branch answer, as the
    teacher-forced pass tokenizes them) up to the scored position, each branch is scored by one token,
    and those tokens were watched: then `watched[j, i]` (generation step j = that position) holds the
    very log-probabilities `liveness_scores` would compute. A row that answered otherwise (a malformed
    answer, a reasoning the formatter rewrites, a stop before the answer) gets None.
    """
    import torch

    rows = len(chat_prompts)
    if watched is None or not watch_ids or rows == 0:
        return [None] * rows
    k = len(answers[0])
    prompt_ids = tokenizer(list(chat_prompts))["input_ids"]
    full_ids = tokenizer([p + a[j] for p, a in zip(chat_prompts, answers) for j in range(k)])["input_ids"]
    out: list[float | None] = []
    for i in range(rows):
        prompt, versions = prompt_ids[i], full_ids[i * k:(i + 1) * k]
        n = len(prompt)
        if any(v[:n] != prompt for v in versions):
            out.append(None)  # the answer's first characters merged with the prompt's last token
            continue
        try:
            spans = scored_spans(versions)
        except ValueError:
            out.append(None)  # the second pass reports it
            continue
        start = spans[0][0]
        step = start - n
        tokens = [v[start] for v in versions]
        if (any(end - begin != 1 for begin, end in spans) or not 0 <= step < watched.shape[0]
                or any(t not in watch_ids for t in tokens) or list(generated[i][:step]) != versions[0][n:start]):
            out.append(None)
            continue
        logps = watched[step, i, [list(watch_ids).index(t) for t in tokens]]
        out.append(float(torch.softmax(logps, dim=0)[0]))
    return out
