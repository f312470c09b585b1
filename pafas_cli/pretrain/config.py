"""The `pretrain` recipe section: the VLM's next-token training on the corpus (the trainer keys every training
stage has), the corpus, the perception probe and the CNN's attribute pretraining."""

from __future__ import annotations

from dataclasses import dataclass, field

from pafas_cli.baseline.config import TrunkPretraining
from pafas_cli.data.config import PRESETS
from pafas_cli.data.pretrain.config import CorpusConfig
from pafas_cli.train.config import TrainerSection

# The Protocol-1 target domains.
P1_TARGETS = tuple(split.split("->")[1] for split in PRESETS["P1"])


@dataclass
class ProbeSection:
    # Labelled source-domain faces the probe's logistic regression is fitted on, per split (the scarce-label
    # regime of the issue: 200), stratified by domain and attack like build-paths' subsample.
    n_train: int = 200
    # Protocol-1 target domains to probe (each split is fitted on its sources, scored on its target).
    splits: list[str] = field(default_factory=lambda: list(P1_TARGETS))
    # Faces per vision forward pass.
    batch_size: int = 64

    def validate(self) -> None:
        """Raise ValueError("key: message") for a bad value."""
        if self.n_train < 10:
            raise ValueError(f"n_train: at least 10 labelled faces, got {self.n_train}")
        unknown = [s for s in self.splits if s not in P1_TARGETS]
        if unknown or not self.splits or len(set(self.splits)) != len(self.splits):
            raise ValueError(f"splits: distinct Protocol-1 target domains ({', '.join(P1_TARGETS)}), "
                             f"got {self.splits}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size: must be >= 1, got {self.batch_size}")


@dataclass
class PretrainSection(TrainerSection):
    # Model to pretrain: a random-init model whose tokenizer was trained on the corpus too (`pafas init-model
    # --set model.corpus=true`), or any model folder or hub id.
    model: str = "model:latest"
    # Optimiser steps over the corpus's training scenes (3,800 at the default size: 475 steps per epoch at batch 8);
    # the probe stopped rising by ~1,300 (docs/pretraining.md).
    max_steps: int = 1400
    # Loss on the scene's text only (the prompt, a fixed question and the images, is masked), as in sft.
    completion_only_loss: bool = True
    # The scenes both the VLM and the CNN pretrain on (a corpus:vNNN version, drawn on first use).
    corpus: CorpusConfig = field(default_factory=CorpusConfig)
    # How the pretrained and the random-init models' vision features are compared on the benchmark.
    probe: ProbeSection = field(default_factory=ProbeSection)
    # The three-stream CNN's attribute pretraining on the same corpus (its width is baseline.width).
    cnn: TrunkPretraining = field(default_factory=TrunkPretraining)

    def validate(self) -> None:
        """Raise ValueError("key: message") for a bad value."""
        super().validate()
        for name in ("corpus", "probe", "cnn"):
            try:
                getattr(self, name).validate()
            except ValueError as exc:
                raise ValueError(f"{name}.{exc}") from None
