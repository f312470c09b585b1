"""restore_weights: a checkpoint saved by save_pretrained (original key layout) lands key for key, or the
run stops; check_finite_weights refuses a diverged model."""

from __future__ import annotations

import pytest

from pafas_cli.errors import PafasError
from pafas_cli.train.restore import check_finite_weights, restore_weights


def _model(layers: int, seed: int):
    from pafas_cli.model.config import ModelConfig, TextSizes, VisionSizes
    from pafas_cli.model.tiny import build_model
    from pafas_cli.model.tokenizer import train_tokenizer

    cfg = ModelConfig(text=TextSizes(hidden_size=64, intermediate_size=128, layers=layers, heads=4, kv_heads=2),
                      vision=VisionSizes(depth=1, hidden_size=32, intermediate_size=64, heads=2))
    return build_model(cfg, train_tokenizer(["a face", "a print"] * 4, vocab_size=300), seed=seed)


def test_a_saved_checkpoint_restores_every_weight(tmp_path):
    saved, target = _model(1, seed=0), _model(1, seed=1)
    saved.save_pretrained(tmp_path)
    restore_weights(target, tmp_path)
    theirs = saved.state_dict()
    assert all(theirs[k].equal(v) for k, v in target.state_dict().items())


@pytest.mark.fault
def test_a_checkpoint_that_does_not_fit_is_refused(tmp_path):
    _model(2, seed=0).save_pretrained(tmp_path)
    with pytest.raises(PafasError, match="do not fit the model.*refusing to continue"):
        restore_weights(_model(1, seed=1), tmp_path)


@pytest.mark.fault
def test_nan_weights_are_refused():
    import torch

    model = _model(1, seed=0)
    with torch.no_grad():
        next(model.parameters())[0] = float("nan")
    with pytest.raises(PafasError, match="NaN or infinite"):
        check_finite_weights(model, "sft/v001")
