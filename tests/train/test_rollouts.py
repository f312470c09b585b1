"""pafas' rollouts in TRL's GRPOTrainer: the pinned TRL versions, `generate` answered by the pafas loop (and
left to transformers where the loop does not apply), and a GRPO run that decodes with it."""

from __future__ import annotations

import json

import pytest

from pafas_cli.config import load_recipe
from pafas_cli.train.plan import resolve_rl
from pafas_cli.train.rollouts import unsupported_trl

TINY = ["rl.model=model:latest", "rl.batch_size=8", "rl.num_generations=4", "rl.max_completion_length=8",
        "rl.max_steps=2", "rl.logging_steps=1", "rl.save_steps=0", "rl.warmup_steps=0", "rl.beta=0.0",
        "rl.log_completions=2"]


def test_the_hooks_run_only_on_the_trl_they_were_written_for():
    assert unsupported_trl("pafas", 0, "1.16.0") is None
    assert unsupported_trl("hf", 64, "1.16.3") is None
    assert unsupported_trl("hf", 0, "2.0.0") is None  # no hook, any TRL
    for decoder, mib in (("pafas", 0), ("hf", 64)):
        problem = unsupported_trl(decoder, mib, "1.17.0")
        assert "trl 1.17.0" in problem and "decoder: hf" in problem and "image_cache_mib: 0" in problem


def test_a_recipe_naming_an_unknown_decoder_is_refused():
    from pafas_cli.errors import PafasError

    with pytest.raises(PafasError, match="rl.decoder"):
        load_recipe(None, ["rl.decoder=vllm"])


@pytest.fixture(scope="module")
def model_and_batch(tmp_path_factory):
    """The tiny workspace model with a left-padded batch of two faces (one with fewer modalities)."""
    from fixtures import two_face_batch

    return two_face_batch(tmp_path_factory.mktemp("ws-rollouts"))


@pytest.mark.slow
def test_generate_inside_the_block_returns_generates_sequences(model_and_batch, monkeypatch):
    """The layout TRL reads (prompt + new tokens, pad after the end token), from the pafas loop; the model's own
    `generate` is back after the block."""
    import torch
    from transformers import GenerationConfig

    import pafas_cli.infer.decode as decode_module
    from pafas_cli.train.rollouts import pafas_generate

    model, processor, batch = model_and_batch
    config = GenerationConfig(max_new_tokens=12, do_sample=False, pad_token_id=processor.tokenizer.pad_token_id,
                              eos_token_id=[processor.tokenizer.eos_token_id])
    with torch.no_grad():
        expected = model.generate(**batch, generation_config=config)
        calls = []
        real = decode_module.decode
        monkeypatch.setattr(decode_module, "decode", lambda *a, **k: calls.append(1) or real(*a, **k))
        with pafas_generate(model):
            got = model.generate(**batch, generation_config=config)
    assert calls == [1]
    assert torch.equal(got, expected)
    assert "generate" not in vars(model)


@pytest.mark.slow
def test_a_prompt_without_images_is_left_to_generate(model_and_batch, monkeypatch):
    import torch
    from transformers import GenerationConfig

    import pafas_cli.infer.decode as decode_module
    from pafas_cli.train.rollouts import pafas_generate

    model, processor, _ = model_and_batch
    text = processor.apply_chat_template([[{"role": "user", "content": [{"type": "text", "text": "live?"}]}]],
                                         add_generation_prompt=True, tokenize=False)
    batch = processor(text=text, return_tensors="pt")
    config = GenerationConfig(max_new_tokens=5, do_sample=False, pad_token_id=processor.tokenizer.pad_token_id,
                              eos_token_id=[processor.tokenizer.eos_token_id])
    monkeypatch.setattr(decode_module, "decode", lambda *a, **k: pytest.fail("decoded a prompt without images"))
    with torch.no_grad():
        expected = model.generate(**batch, generation_config=config)
        with pafas_generate(model):
            got = model.generate(**batch, generation_config=config)
    assert torch.equal(got, expected)


@pytest.mark.slow
@pytest.mark.parametrize("decoder", ["pafas", "hf"])
def test_grpo_rollouts_come_from_the_chosen_decoder(workspace, monkeypatch, decoder):
    import pafas_cli.infer.decode as decode_module
    from pafas_cli.commands import rl

    rows = []
    real = decode_module.decode
    monkeypatch.setattr(decode_module, "decode",
                        lambda model, inputs, *a, **k: rows.append(inputs["input_ids"].shape[0]) or
                        real(model, inputs, *a, **k))
    rl.run(resolve_rl(load_recipe(None, [*TINY, f"rl.decoder={decoder}"]), workspace))
    version = workspace.root / "rl" / "v001"
    assert json.loads((version / "manifest.json").read_text())["metrics"]["steps"] == 2
    samples = [json.loads(line) for line in (version / "completions.jsonl").read_text().splitlines()]
    assert len(samples) == 4 and all(isinstance(s["completion"], str) for s in samples)
    assert rows == ([8, 8] if decoder == "pafas" else [])  # one call of 8 completions per step


@pytest.mark.slow
def test_the_image_cache_changes_no_grpo_step(workspace):
    """Same seed, with and without rl.image_cache_mib: the same completions, rewards and losses."""
    from pafas_cli.commands import rl

    for mib in (0, 64):
        rl.run(resolve_rl(load_recipe(None, [*TINY, f"rl.image_cache_mib={mib}"]), workspace))
    runs = [[json.loads(line) for line in (workspace.root / "rl" / v / name).read_text().splitlines()]
            for v in ("v001", "v002") for name in ("metrics.jsonl", "completions.jsonl")]
    without, without_samples, cached, cached_samples = runs
    keys = ("loss", "reward", "grad_norm", "completions/mean_length")
    assert [[r.get(k) for k in keys] for r in cached] == [[r.get(k) for k in keys] for r in without]
    assert [s["completion"] for s in cached_samples] == [s["completion"] for s in without_samples]
