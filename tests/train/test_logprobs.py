"""pafas' log-probabilities on the label positions (train/logprobs.py) against TRL's fused LM head: the same
fields, loss and gradients to float rounding, with TRL's settings; anything else left to TRL."""

from __future__ import annotations

import copy

import pytest
import torch

from pafas_cli.train.logprobs import compact_lm_head, trl_settings, wanted

pytestmark = pytest.mark.slow
OUTPUTS = ("log_probs", "entropy", "is_top1")


@pytest.fixture(scope="module")
def model_and_batch(tmp_path_factory):
    """The tiny workspace model (train mode) and a left-padded batch of two faces whose labels are the answer."""
    from fixtures import two_face_batch

    answer = "<think>The IR image is dark.</think><answer>['Spoof Face']</answer><|im_end|>"
    model, processor, batch = two_face_batch(tmp_path_factory.mktemp("ws-logprobs"), answer)
    labels = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
    labels[:, :-len(processor.tokenizer(answer)["input_ids"])] = -100
    return model.train(), batch, labels


def both(model, temperature, outputs=OUTPUTS):
    """(TRL's fused model, the same model with pafas' path), from one copy of the weights."""
    from trl.trainer.utils import add_fused_lm_head

    theirs = copy.deepcopy(model)
    add_fused_lm_head(theirs, temperature=temperature, outputs=outputs)
    ours = copy.deepcopy(theirs)
    assert compact_lm_head(ours)
    return theirs, ours


@pytest.mark.parametrize("temperature", [1.0, 0.7])
def test_fields_loss_and_gradients_are_trls(model_and_batch, temperature):
    model, batch, labels = model_and_batch
    results = []
    for m in both(model, temperature):
        torch.manual_seed(0)
        out = m(**batch, labels=labels, fused_lm_head=True)
        (out.loss + 0.1 * out.entropy.sum()).backward()
        grads = {n: p.grad.clone() for n, p in m.named_parameters() if p.grad is not None}
        results.append((out, grads))
    (theirs, their_grads), (ours, our_grads) = results
    assert torch.equal(ours.label_mask, theirs.label_mask) and ours.label_mask.sum() > 20
    assert torch.allclose(ours.log_probs, theirs.log_probs, atol=1e-5)
    assert torch.allclose(ours.entropy, theirs.entropy, atol=1e-5)
    assert torch.equal(ours.is_top1, theirs.is_top1)
    assert torch.allclose(ours.loss, theirs.loss, atol=1e-6)
    assert our_grads.keys() == their_grads.keys()
    for name, grad in their_grads.items():
        assert torch.allclose(our_grads[name], grad, atol=1e-6, rtol=1e-4), name


def test_the_loss_divides_by_the_callers_token_count(model_and_batch):
    model, batch, labels = model_and_batch
    with torch.no_grad():
        outs = [m(**batch, labels=labels, fused_lm_head=True, num_items_in_batch=7) for m in both(model, 1.0)]
    assert torch.allclose(outs[1].loss, outs[0].loss, atol=1e-6)
    assert torch.allclose(outs[1].loss, -outs[1].log_probs.sum() / 7)


def test_plain_calls_and_other_models_are_left_alone(model_and_batch):
    model, batch, _ = model_and_batch
    _, ours = both(model, 1.0)
    with torch.no_grad():
        assert torch.equal(ours(**batch).logits, model(**batch).logits)  # not fused: the model's own forward
    plain = copy.deepcopy(model)
    assert trl_settings(plain.forward) is None and not compact_lm_head(plain)
    assert "forward" not in vars(plain)


def test_auto_keeps_trls_kernels_where_it_has_them():
    assert wanted("auto", torch.device("cpu")) and not wanted("auto", torch.device("cuda", 0))
    assert wanted("pafas", torch.device("cuda", 0)) and not wanted("trl", torch.device("cpu"))
