"""Per-token log-probabilities for TRL's losses, computed on the label positions only.

TRL 1.16 patches every model it trains with a fused LM head (`trl.trainer.utils.add_fused_lm_head`):
`model(..., labels=labels, fused_lm_head=True)` returns each label's log-probability (and, as asked, the
entropy and whether the label is the top token) without materialising the logits. SFT's loss, GRPO's
policy and reference log-probabilities all go through it. On CUDA it runs Triton kernels on the label
positions alone; on a device without Triton (a CPU) its torch fallback scores every position of the
batch, prompt and padding included, with online log-sum-exp bookkeeping per vocabulary tile: on the
2-core development CPU that was about half of an SFT step's forward and backward
(bench/bench_logprobs.py).

`compact_lm_head(model)` wraps that forward, with the settings TRL made it with, where it is slow: with `fused_lm_head=True` it runs the
backbone, projects only the hidden states whose label is not -100 through the LM head and takes a plain
log-softmax. The fields, their meaning (temperature-scaled, zero where the label is -100) and the loss
normalisation are TRL's, and the numbers equal TRL's to float rounding (tests/train/test_logprobs.py).
What it gives up: it holds the [label tokens x vocabulary] logits, which TRL's kernel never does, so it
is for CPUs and small vocabularies; `logprobs: auto` keeps TRL's kernel on CUDA and XPU. Calls it does not
cover (pre-shifted labels under sequence parallelism, MoE router losses, soft-capped or scaled logits)
go to TRL's forward unchanged.
"""

from __future__ import annotations

import functools
import types
from typing import Any

# Where TRL's fused LM head has its own kernels (its `_use_triton` devices): `auto` leaves those to it.
TRITON_DEVICES = ("cuda", "xpu")


def wanted(setting: str, device: Any) -> bool:
    """Whether the recipe's `logprobs` setting ("auto", "trl", "pafas") puts pafas' path on `device`."""
    if setting == "auto":
        return getattr(device, "type", str(device)) not in TRITON_DEVICES
    return setting == "pafas"


def _plain_logits(config: Any) -> bool:
    """Logits that are the LM head's output as it is (no soft-capping, no scale)."""
    text = config.get_text_config()
    scales = ("final_logit_softcapping", "logit_scale", "output_multiplier", "lm_head_multiplier", "logits_scaling")
    return all(getattr(text, name, None) in (None, 1, 1.0) for name in scales)


def trl_settings(forward: Any) -> dict[str, Any] | None:
    """The settings TRL's fused forward was made with (temperature, outputs, cast_lm_head_to_fp32), read from
    its closure; None when `forward` is not TRL 1.16's fused forward."""
    import inspect

    func = getattr(forward, "__func__", forward)
    if getattr(getattr(func, "__code__", None), "co_name", "") != "_fused_forward":  # (wraps renamed it "forward")
        return None
    found = inspect.getclosurevars(func).nonlocals
    names = ("temperature", "outputs", "cast_lm_head_to_fp32")
    return {n: found[n] for n in names} if all(n in found for n in names) else None


def compact_lm_head(model: Any) -> bool:
    """Wrap the fused forward TRL put on `model` so that its fused calls score only the label positions, with
    the settings TRL gave it. False (nothing changed) when `model` has no TRL 1.16 fused forward or its logits
    are soft-capped or scaled."""
    from trl.trainer.utils import FusedCausalLMOutput

    fused = model.forward
    settings = trl_settings(fused)
    if settings is None or not _plain_logits(model.config):
        return False
    temperature, outputs, cast_lm_head_to_fp32 = (settings[k] for k in ("temperature", "outputs",
                                                                        "cast_lm_head_to_fp32"))

    @functools.wraps(type(model).forward)
    def forward(self, *args, fused_lm_head=False, labels=None, shift_labels=None, num_items_in_batch=None,
                **kwargs):
        if not fused_lm_head or labels is None or shift_labels is not None or kwargs.get("output_router_logits") \
                or getattr(self.config.get_text_config(), "output_router_logits", False):
            return fused(*args, fused_lm_head=fused_lm_head, labels=labels, shift_labels=shift_labels,
                         num_items_in_batch=num_items_in_batch, **kwargs)
        import torch

        kwargs["use_cache"] = False
        hidden = self.base_model(*args, **kwargs).last_hidden_state[:, :-1]
        lm_head = self.get_output_embeddings()
        hidden, labels = hidden.to(lm_head.weight.device), labels[:, 1:].to(lm_head.weight.device)
        mask = labels != -100
        picked, targets = hidden[mask], labels[mask]
        if cast_lm_head_to_fp32:
            with torch.autocast(picked.device.type, enabled=False):
                bias = lm_head.bias.float() if lm_head.bias is not None else None
                logits = torch.nn.functional.linear(picked.float(), lm_head.weight.float(), bias)
        else:
            logits = lm_head(picked)
        scaled = logits.float() / temperature
        logp = torch.log_softmax(scaled, dim=-1)
        token = logp.gather(-1, targets[:, None])[:, 0]
        fields = {
            "log_probs": token,
            "entropy": -(logp.exp() * logp).sum(-1) if "entropy" in outputs else None,
            "log_sum_sq_probs": torch.logsumexp(2 * logp, -1).detach() if "log_sum_sq_probs" in outputs else None,
            "mean_logits": scaled.mean(-1).detach() if "mean_logits" in outputs else None,
            "is_top1": scaled.argmax(-1) == targets if "is_top1" in outputs else None,
        }
        full = {k: None if v is None else v.new_zeros(mask.shape).masked_scatter(mask, v) for k, v in fields.items()}
        count = mask.sum().clamp(min=1) if num_items_in_batch is None else num_items_in_batch
        return FusedCausalLMOutput(loss=-full["log_probs"].sum() / count, label_mask=mask, **full)

    model.forward = types.MethodType(forward, model)
    return True


def apply(trainer: Any, setting: str, key: str) -> None:
    """Put pafas' path on a TRL trainer's policy and reference models where the recipe's `setting` (`key`:
    sft.logprobs / rl.logprobs) wants it; say so when TRL's forward is not the one it wraps."""
    if not wanted(setting, trainer.accelerator.device):
        return
    models = [m for m in (trainer.model, getattr(trainer, "ref_model", None)) if m is not None]
    done = [compact_lm_head(m.get_base_model() if hasattr(m, "get_base_model") else m) for m in models]
    if not all(done):
        from pafas_cli.console import console

        console.print(f"[yellow]note:[/] {key}: this model's fused LM head is not TRL 1.16's plain one; TRL "
                      "computes its log-probabilities")
