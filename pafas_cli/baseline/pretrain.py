"""Attribute pretraining of the three streams on the pretraining corpus, so that `pafas baseline` can start
from perception learned elsewhere, as the pretrained VLM does (the CNN row stays a fair floor).

Each stream learns its own sensor's attributes (data/pretrain/truth.py): the RGB stream printing dots, moire,
skin texture, ...; the depth stream planar, bent, rounded, holes, dropouts, ...; the IR stream paper-like,
dark, skin-like, uniform, hotspot, ... One linear head per modality reads only that stream's pooled features;
the loss is binary cross-entropy over every attribute. Only the streams (the trunk) are saved; the heads are
dropped and the baseline's live/spoof head starts fresh (`baseline.init`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from pafas_cli.baseline.config import TrunkPretraining
from pafas_cli.baseline.data import CHANNELS, CorpusFaces
from pafas_cli.baseline.fit import augment, optimise
from pafas_cli.baseline.net import ThreeStreamCNN
from pafas_cli.data.pretrain.truth import ATTRIBUTES, NAMES
from pafas_cli.errors import PafasError

# The file a pretraining writes into its version (and `baseline.init` finds in a folder).
TRUNK_FILE = "cnn_trunk.pt"


class AttributeHeads(nn.Module):
    """One linear layer per modality: that stream's features -> logits of that modality's attributes."""

    def __init__(self, width: int):
        super().__init__()
        self.heads = nn.ModuleDict({m: nn.Linear(4 * width, len(names)) for m, names in ATTRIBUTES.items()})

    def forward(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        """Logits (N, A) in `NAMES` order."""
        return torch.cat([self.heads[m](features[m]) for m in ATTRIBUTES], dim=1)


def pretrain_trunk(faces: CorpusFaces, cfg: TrunkPretraining, width: int, seed: int,
                   on_epoch: Callable[[dict], None] | None = None) -> tuple[ThreeStreamCNN, AttributeHeads]:
    """The streams (inside a baseline net) and heads fitted to the scenes' attributes; seeded.

    `on_epoch` receives {epoch, loss, accuracy (per attribute), learning_rate}."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model, heads = ThreeStreamCNN(width), AttributeHeads(width)
    both = nn.ModuleList([model, heads])
    side = faces.images["rgb"].shape[-1]
    blank = {m: torch.zeros(1, c, side, side, dtype=torch.uint8) for m, c in CHANNELS.items()}
    loss_fn = nn.BCEWithLogitsLoss()

    def batch_loss(idx: torch.Tensor) -> tuple[torch.Tensor, float]:
        batch = augment({m: t[idx] for m, t in faces.images.items()}, cfg.shift, 0.0, blank, gen)
        logits = heads(model.stream_features(batch))
        targets = faces.targets[idx]
        return loss_fn(logits, targets), float(((logits > 0).float() == targets).float().mean(dim=1).sum())

    optimise(both, both.parameters(), len(faces), cfg, gen, batch_loss, on_epoch, "pretrain.cnn")
    return model, heads


@torch.no_grad()
def attribute_loss(model: ThreeStreamCNN, heads: AttributeHeads, faces: CorpusFaces, batch_size: int = 256) -> float:
    """Mean binary cross-entropy of the attribute logits over `faces` (eval mode, no augmentation)."""
    model.eval()
    heads.eval()
    total = 0.0
    for start in range(0, len(faces), batch_size):
        batch = {m: t[start: start + batch_size] for m, t in faces.images.items()}
        logits = heads(model.stream_features(batch))
        total += nn.functional.binary_cross_entropy_with_logits(
            logits, faces.targets[start: start + batch_size], reduction="sum").item()
    return total / (len(faces) * len(NAMES))


def save_trunk(model: ThreeStreamCNN, path: Path, width: int, info: dict) -> Path:
    """Write the streams' weights and what they are (width, attribute names, where they came from)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"trunk": model.streams.state_dict(), "architecture": {"width": width}, "attributes": list(NAMES),
                **info}, path)
    return path


def load_trunk(path: Path, width: int) -> dict:
    """The streams' state dict saved at `path` (a file, or a folder holding TRUNK_FILE), checked to fit `width`."""
    file = path / TRUNK_FILE if path.is_dir() else path
    try:
        saved = torch.load(file, map_location="cpu", weights_only=True)
        trunk, saved_width = saved["trunk"], saved["architecture"]["width"]
    except (OSError, RuntimeError, KeyError, TypeError) as exc:
        raise PafasError(f"baseline.init: {file} is not a pretrained CNN trunk ({exc}); give the {TRUNK_FILE} that "
                         "the CNN's attribute pretraining wrote, or 'scratch'") from None
    if saved_width != width:
        raise PafasError(f"baseline.init: {file} holds streams of width {saved_width}, but baseline.width is {width}; "
                         f"set baseline.width={saved_width} or pretrain at width {width}")
    return trunk
