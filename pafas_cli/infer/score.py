"""The liveness score: how much the model prefers the live branch as the first answer item.

After the reasoning is generated, each row is continued once per top-level class of the taxonomy
(`…<answer>['Real Face`, `…<answer>['Spoof Face`), and all continuations go through the model in
one batched forward pass. A continuation's log-probability is the sum over its own tokens (those
after the longest token prefix shared by all continuations of the row, so no tokenizer boundary is
assumed), and the score is the softmax of these log-probabilities taken at the live class: the
probability of the live branch normalised among the branches. See docs/scoring.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pafas_cli.infer.generate import encode


def _shared_prefix(rows: Sequence[list[int]]) -> int:
    n = 0
    for column in zip(*rows):
        if any(x != column[0] for x in column):
            break
        n += 1
    return n


def liveness_scores(model: Any, processor: Any, chat_prompts: Sequence[str], images: Sequence[Sequence[Any]],
                    answer_prefixes: Sequence[str], branches: Sequence[str]) -> list[float]:
    """One score in [0, 1] per row: P(branches[0]) among `branches`, teacher-forced after the prefix.

    `chat_prompts` are templated prompt texts ending with the assistant header, `answer_prefixes` the
    assistant text up to the first answer item (e.g. `<think>…</think><answer>['`), `branches` the
    top-level class names with the live class first.
    """
    import torch

    rows, k = len(chat_prompts), len(branches)
    texts = [p + a + b for b in branches for p, a in zip(chat_prompts, answer_prefixes)]
    batch = encode(processor, texts, list(images) * k, model.device)
    ids, mask = batch["input_ids"], batch["attention_mask"]
    unpadded = [row[m.bool()].tolist() for row, m in zip(ids.cpu(), mask.cpu())]
    # Text j of row i sits at j * rows + i; left padding right-aligns them, so a continuation is
    # the last `tail` tokens of its text.
    tails = [[0] * k for _ in range(rows)]
    for i in range(rows):
        versions = [unpadded[j * rows + i] for j in range(k)]
        shared = _shared_prefix(versions)
        tails[i] = [len(v) - shared for v in versions]
    if min(min(t) for t in tails) == 0:
        raise ValueError(f"one of the answer branches {list(branches)} encodes to no tokens of its own")
    keep = max(max(t) for t in tails) + 1
    with torch.inference_mode():
        logits = model(**batch, logits_to_keep=keep).logits.float()
    token_lp = torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, ids[:, 1 - keep:].unsqueeze(-1)).squeeze(-1)
    scores = []
    for i in range(rows):
        branch_lp = torch.stack([token_lp[j * rows + i, -tails[i][j]:].sum() for j in range(k)])
        scores.append(float(torch.softmax(branch_lp, dim=0)[0]))
    return scores
