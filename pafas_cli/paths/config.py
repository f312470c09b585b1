"""The `paths` recipe section: reasoning-path augmentation (PNRPS), answer shuffling, image size.

Which eval sets exist follows the data protocol (P2 adds the missing-modality copies of test)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pafas_cli.model.config import check_image_side


@dataclass
class PathsConfig:
    # SFT data: path = PNRPS, n_paths reasoning paths per sample (the paper); single = one canonical path per
    # sample (no exploration, fixed modality order); raw = the answer alone (the plain-SFT baseline).
    augmentation: Literal["path", "single", "raw"] = "path"
    # Distinct reasoning paths per labelled training sample (paper: 50, so ~800 x 50 = 40k SFT rows).
    n_paths: int = 50
    # Path-length cap L_max = alpha * (D - 1) steps; D counts the root, so D - 1 = taxonomy depth (5).
    # alpha > 1 leaves room for wrong-sibling explorations (each costs a forward and a backward step).
    alpha: float = 2.0
    # Chance, at each level of the walk, of first exploring a wrong sibling and ruling it out.
    explore_rate: float = 0.35
    # A live face's walk rules out attack classes instead of descending its one-node label: it starts from the
    # top-level attack class and, with this chance at a time, replaces one class by all of its subclasses
    # (so hypotheses are raised at several depths; 0 = only the top-level attack class is ruled out).
    live_descend_rate: float = 0.9
    # Chance of a cross-modal verification clause after an intermediate step (the final class always gets
    # one when a second modality is present).
    verify_rate: float = 0.2
    # Fraction of SFT rows trained for sensor failure: depth, IR or both blanked (as Protocol 2 tests them), the
    # prompt saying so and the reasoning citing only the modalities left (0 = the paper's setting).
    modality_dropout: float = 0.0
    # Draws per sample are capped at n_paths * max_draws_factor; a sample with fewer distinct paths keeps fewer.
    max_draws_factor: int = 20
    # SFT shuffling: answer = swap the <answer> with another row's (the paper's method); path = swap the
    # <think> text instead (the paper's diagnostic); none = keep both.
    shuffle: Literal["none", "answer", "path"] = "answer"
    # Fraction of SFT rows whose answer (or reasoning) takes part in the swap.
    shuffle_rate: float = 1.0
    # Square side every modality is resized to, once, when the version is built: a multiple of 28 (the model's
    # 14-px patches merged 2x2), so the processor never resizes again.
    image_size: int = 56
    # Taxonomy YAML (empty = recipes/taxonomy.yaml).
    taxonomy: str = ""
    # Reasoning-tree YAML (empty = recipes/reasoning_tree.yaml).
    tree: str = ""
    # Optional tokenizer folder: the summary then reports the mean reasoning length in its tokens too.
    tokenizer: str = ""

    def validate(self) -> None:
        """Raise ValueError("key: message") for a bad value."""
        if self.n_paths < 1:
            raise ValueError(f"n_paths: must be at least 1, got {self.n_paths}")
        if self.alpha < 1:
            raise ValueError(f"alpha: must be >= 1 (the true path alone needs D - 1 steps), got {self.alpha}")
        for key in ("explore_rate", "live_descend_rate", "verify_rate", "shuffle_rate", "modality_dropout"):
            value = getattr(self, key)
            if not 0 <= value <= 1:
                raise ValueError(f"{key}: must be between 0 and 1, got {value}")
        if self.modality_dropout and self.augmentation == "raw":
            raise ValueError("modality_dropout: answer-only (raw) rows have no reasoning to restrict; use 0")
        if self.max_draws_factor < 1:
            raise ValueError(f"max_draws_factor: must be at least 1, got {self.max_draws_factor}")
        if self.image_size > 2048:
            raise ValueError(f"image_size: must be at most 2048 pixels, got {self.image_size}")
        check_image_side(self.image_size)
