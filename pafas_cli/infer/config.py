"""The `eval` recipe section: batched generation, scoring and metric settings (also used by explain)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass
class EvalConfig:
    # Faces per generation batch (left-padded, KV cache); 1 disables batching.
    batch_size: int = 32
    # Longest reasoning + answer generated per face, in tokens; longer outputs are cut and count as malformed.
    max_new_tokens: int = 256
    # FPR operating points for TPR@FPR (live = positive class); each is reported with the number of negatives.
    fpr_targets: list[float] = field(default_factory=lambda: [1e-2, 1e-3, 1e-4])
    # false for answer-only models (paths.augmentation raw): accept `<answer>[...]</answer>` without
    # `<think>` as well formed, and teacher-force the score after `<answer>['` instead of after `</think>`.
    # null = from each model's spec (the answer format of the data it was trained on; true without a spec).
    require_think: bool | None = None
    # Who decodes: pafas = pafas_cli/infer/decode.py (finished rows leave the batch), hf = transformers' generate;
    # the same tokens. Models the pafas loop does not cover fall back to generate with a note.
    decoder: Literal["pafas", "hf"] = "pafas"
    # Evaluate only N faces of each set (quick checks): a subsample stratified by label, domain and attack
    # type, drawn with the recipe's top-level `seed`; null = all.
    max_samples: int | None = None

    def validate(self) -> None:
        """Raise ValueError("key: message") for a bad value."""
        if self.batch_size < 1:
            raise ValueError(f"batch_size: must be >= 1, got {self.batch_size}")
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens: must be >= 1, got {self.max_new_tokens}")
        if not self.fpr_targets or any(not 0 < x < 1 for x in self.fpr_targets):
            raise ValueError(f"fpr_targets: each must be between 0 and 1 (exclusive), got {self.fpr_targets}")
        if self.max_samples is not None and self.max_samples < 1:
            raise ValueError(f"max_samples: must be >= 1 or null, got {self.max_samples}")
