"""Training the three-stream CNN (seeded, balanced loss, augmentation) and scoring faces with it.

The loss weighs live and spoof faces equally (positive weight = spoofs / lives): the synthetic domains are
spoof-heavy, and an unweighted loss learns the class prior first. No early stopping and no checkpoint
selection: the dev set only fixes the decision threshold, as for the VLM rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from pafas_cli.baseline.config import BaselineSection
from pafas_cli.baseline.data import Faces
from pafas_cli.baseline.net import ThreeStreamCNN
from pafas_cli.errors import PafasError

# Modalities blanked by `modality_dropout` (RGB is always present, as in the paper's Protocol 2).
DROPPABLE = ("depth", "ir")


def augment(images: dict[str, torch.Tensor], shift: int, dropout: float, blank: dict[str, torch.Tensor],
            gen: torch.Generator) -> dict[str, torch.Tensor]:
    """One flip, one shift per face, applied alike to its aligned modalities; depth / IR blanked with
    probability `dropout` each."""
    n = next(iter(images.values())).shape[0]
    flip = torch.rand(n, generator=gen) < 0.5
    dx = torch.randint(-shift, shift + 1, (n,), generator=gen)
    dy = torch.randint(-shift, shift + 1, (n,), generator=gen)
    drop = {m: torch.rand(n, generator=gen) < dropout for m in DROPPABLE}
    out = {}
    for m, batch in images.items():
        batch = torch.where(flip[:, None, None, None], batch.flip(-1), batch)
        if shift:
            side = batch.shape[-1]
            padded = nn.functional.pad(batch, (shift, shift, shift, shift))
            rows = (shift + dy)[:, None] + torch.arange(side)  # (n, side): the source row of each output row
            cols = (shift + dx)[:, None] + torch.arange(side)
            batch = padded[torch.arange(n)[:, None, None], :, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)
        if m in drop:
            batch = torch.where(drop[m][:, None, None, None], blank[m].expand_as(batch), batch)
        out[m] = batch
    return out


def train(faces: Faces, cfg: BaselineSection, seed: int, blank: dict[str, torch.Tensor],
          on_epoch: Callable[[dict], None] | None = None, init: dict | None = None) -> ThreeStreamCNN:
    """A model fitted to `faces`; `on_epoch` receives {epoch, loss, accuracy, learning_rate} after each epoch.

    `init` (a trunk state dict, baseline/pretrain.py) sets the three streams before training; else random."""
    lives = int(faces.labels.sum())
    if lives in (0, len(faces)):
        raise PafasError(f"the training samples are all {'live' if lives else 'spoof'}: a classifier needs both")
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = ThreeStreamCNN(cfg.width, cfg.dropout)
    if init is not None:
        model.streams.load_state_dict(init)
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=torch.tensor((len(faces) - lives) / lives))

    def batch_loss(idx: torch.Tensor) -> tuple[torch.Tensor, float]:
        batch = augment({m: t[idx] for m, t in faces.images.items()}, cfg.shift, cfg.modality_dropout, blank, gen)
        labels = faces.labels[idx]
        logits = model(batch)
        return loss_fn(logits, labels), float(((logits > 0).float() == labels).sum())

    optimise(model, model.parameters(), len(faces), cfg, gen, batch_loss, on_epoch, "baseline")
    return model


def optimise(model: nn.Module, parameters, n: int, cfg, gen: torch.Generator,
             batch_loss: Callable[[torch.Tensor], tuple[torch.Tensor, float]],
             on_epoch: Callable[[dict], None] | None, section: str) -> None:
    """`cfg.epochs` shuffled passes over `n` items in batches of `cfg.batch_size`: AdamW (`cfg.learning_rate`,
    `cfg.weight_decay`), cosine decay to zero over all steps. `batch_loss(indices)` gives the batch's loss and
    how many of its items were right (fractions allowed); a non-finite loss stops with an error naming
    `section`.learning_rate."""
    steps_per_epoch = math.ceil(n / cfg.batch_size)
    total = cfg.epochs * steps_per_epoch
    optimiser = torch.optim.AdamW(parameters, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda step: 0.5 * (1 + math.cos(math.pi * step / total)))
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        order = torch.randperm(n, generator=gen)
        seen, loss_sum, right = 0, 0.0, 0.0
        for start in range(0, n, cfg.batch_size):
            idx = order[start: start + cfg.batch_size]
            loss, correct = batch_loss(idx)
            if not torch.isfinite(loss):
                raise PafasError(f"{section}: the loss became {loss.item()} at epoch {epoch}; lower "
                                 f"{section}.learning_rate")
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            schedule.step()
            seen += len(idx)
            loss_sum += loss.item() * len(idx)
            right += correct
        if on_epoch is not None:
            on_epoch({"epoch": epoch, "loss": loss_sum / seen, "accuracy": right / seen,
                      "learning_rate": schedule.get_last_lr()[0]})


@torch.no_grad()
def score(model: ThreeStreamCNN, faces: Faces, batch_size: int = 256) -> list[float]:
    """P(live) per face, in the table's order."""
    model.eval()
    out: list[float] = []
    for start in range(0, len(faces), batch_size):
        batch = {m: t[start: start + batch_size] for m, t in faces.images.items()}
        out += torch.sigmoid(model(batch)).tolist()
    return out
