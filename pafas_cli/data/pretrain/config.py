"""The pretraining corpus's settings (`pretrain.corpus` in the proposed recipe section): light, no numpy."""

from __future__ import annotations

from dataclasses import dataclass

# The corpus generator version this code draws; any change to what it draws is a new version.
CORPUS_VERSION = 1


@dataclass
class CorpusConfig:
    # Scenes drawn (each: an RGB, a depth and an IR image and one text).
    samples: int = 4000
    # Seed of the corpus itself (independent of the training seed, like data.synth.seed).
    seed: int = 0
    # Share of the scenes held out (split "val"): the CNN's held-out attribute loss, the LM's eval loss.
    val_share: float = 0.05
    # The least distance, in range-normalised units, between a scene's sensor rig and every benchmark
    # domain's rig (data/pretrain/rig.py); rigs closer than this are drawn again.
    margin: float = 0.3
    # Generator version; only the current one can draw new data.
    version: int = CORPUS_VERSION

    def validate(self) -> None:
        """Raise ValueError("key: message") for a bad value."""
        if self.samples < 20:
            raise ValueError(f"samples: at least 20 scenes, got {self.samples}")
        if not 0 < self.val_share < 0.5:
            raise ValueError(f"val_share: a share of the scenes above 0 and below 0.5, got {self.val_share}")
        if not 0 <= self.margin <= 1:
            raise ValueError(f"margin: a range-normalised distance from 0 to 1, got {self.margin}")
        if self.version != CORPUS_VERSION:
            raise ValueError(f"version: this pafas draws corpus version {CORPUS_VERSION}, got {self.version}; "
                             "use the existing corpus version instead")
