"""The three-stream CNN: one small convolutional stream per modality, pooled features concatenated, one logit.

Each stream is three blocks of conv 3x3 -> batch norm -> ReLU -> 2x2 max pool (width, 2 width, 4 width
channels), then global average pooling. Late fusion by concatenation is the simplest multimodal design the
FAS literature compares against (the streams of CASIA-SURF's baseline, without its squeeze-and-excitation);
missing modalities arrive as the same blank image the VLM sees, so Protocol 2 needs no special case.
"""

from __future__ import annotations

import torch
from torch import nn

from pafas_cli.baseline.data import CHANNELS


def _stream(channels: int, width: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for out in (width, 2 * width, 4 * width):
        layers += [nn.Conv2d(channels, out, 3, padding=1, bias=False), nn.BatchNorm2d(out), nn.ReLU(inplace=True),
                   nn.MaxPool2d(2)]
        channels = out
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())


class ThreeStreamCNN(nn.Module):
    """logit(P(live)) from uint8 images of each modality (scaled to [0, 1] and centred inside)."""

    def __init__(self, width: int = 16, dropout: float = 0.3):
        super().__init__()
        self.streams = nn.ModuleDict({m: _stream(c, width) for m, c in CHANNELS.items()})
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(len(CHANNELS) * 4 * width, 1))

    def stream_features(self, images: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Each stream's pooled features (N, 4 x width): what the head reads, and what pretraining trains."""
        return {m: stream(images[m].float() / 127.5 - 1.0) for m, stream in self.streams.items()}

    def forward(self, images: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.head(torch.cat(list(self.stream_features(images).values()), dim=1)).squeeze(1)
