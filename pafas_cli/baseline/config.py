"""The `baseline` recipe section: the three-stream CNN's size and its training (docs/baseline.md)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class BaselineSection:
    # The paths version whose training samples (rl/ table: one row per sample) it learns from and whose eval
    # sets (dev for the threshold, test, P2's missing-modality sets when built) it is scored on.
    paths: str = "paths:latest"
    # Channels of each stream's first block; the second and third have 2x and 4x (16: 71k parameters in all).
    width: int = 16
    # Dropout before the linear head (on the 3 x 4 x width pooled features).
    dropout: float = 0.3
    # Passes over the training samples, and samples per optimiser step.
    epochs: int = 20
    batch_size: int = 32
    # AdamW, cosine decay to zero over all steps.
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4
    # Training-time augmentation, the same for the three aligned modalities of a face: a horizontal flip with
    # probability 0.5 and a random shift of up to `shift` pixels (zero padded).
    shift: int = 4
    # Probability that a training face's depth and IR images are each replaced by the blank image the paths
    # version uses for a missing modality (0 = always all three: the VLM's default, paths.modality_dropout 0).
    modality_dropout: float = 0.0
    # Where the three streams start: "scratch" (random), or trunk weights pretrained on the corpus's attributes
    # (baseline/pretrain.py): a .pt file, or a folder or version holding cnn_trunk.pt. Its width must be `width`.
    init: str = "scratch"

    def validate(self) -> None:
        """Raise ValueError("key: message") for a bad value."""
        if self.width < 1:
            raise ValueError(f"width: must be >= 1, got {self.width}")
        check_training(self)
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout: must be in [0, 1), got {self.dropout}")
        if not 0 <= self.modality_dropout <= 1:
            raise ValueError(f"modality_dropout: must be in [0, 1], got {self.modality_dropout}")
        if not self.init.strip():
            raise ValueError("init: 'scratch', or the pretrained trunk (a .pt file, or a folder or version "
                             "holding cnn_trunk.pt)")


@dataclass
class TrunkPretraining:
    """The three streams' attribute pretraining on the corpus (`pretrain.cnn`; baseline/pretrain.py)."""

    # Passes over the corpus's training scenes, and scenes per optimiser step.
    epochs: int = 10
    batch_size: int = 64
    # AdamW, cosine decay to zero over all steps.
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4
    # Augmentation as for the baseline: random shift of up to this many pixels and a horizontal flip.
    shift: int = 4

    def validate(self) -> None:
        """Raise ValueError("key: message") for a bad value."""
        check_training(self)


def check_training(cfg: BaselineSection | TrunkPretraining) -> None:
    """The keys both CNN trainings share: epochs, batch_size, learning_rate, weight_decay, shift."""
    for key in ("epochs", "batch_size"):
        if getattr(cfg, key) < 1:
            raise ValueError(f"{key}: must be >= 1, got {getattr(cfg, key)}")
    if cfg.learning_rate <= 0:
        raise ValueError(f"learning_rate: must be > 0, got {cfg.learning_rate}")
    if cfg.weight_decay < 0:
        raise ValueError(f"weight_decay: must be >= 0, got {cfg.weight_decay}")
    if cfg.shift < 0:
        raise ValueError(f"shift: must be >= 0, got {cfg.shift}")
