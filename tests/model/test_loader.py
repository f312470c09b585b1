import json
import shutil

import pytest
import torch

from pafas_cli.errors import PafasError
from pafas_cli.model.loader import MODEL_SUBDIR, load_model, merge_adapter, resolve_device, resolve_dtype


def _logits(model, batch):
    with torch.no_grad():
        return model(**batch).logits


def _publish(ws, stage, source):
    """A complete workspace version of `stage` holding `source` under its model/ subfolder."""
    with ws.start(stage, {}) as out:
        shutil.copytree(source, out.path / MODEL_SUBDIR)
    return out


@pytest.fixture(scope="module")
def adapter(built, tmp_path_factory):
    """A LoRA adapter with non-zero weights on the saved tiny model, and its in-memory PeftModel."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForImageTextToText

    base = AutoModelForImageTextToText.from_pretrained(built.folder)
    torch.manual_seed(1)
    config = LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", init_lora_weights=False)
    peft_model = get_peft_model(base, config).eval()
    folder = tmp_path_factory.mktemp("adapter")
    peft_model.save_pretrained(folder)
    built.processor.save_pretrained(folder)
    return folder, peft_model


def test_folder_reloads_with_the_same_logits(built, batch_for, ws):
    loaded = load_model(built.folder, ws)
    batch = batch_for(loaded.processor)
    assert torch.allclose(_logits(loaded.model, batch), _logits(built.model, batch))
    assert loaded.resolved.path == built.folder.resolve()
    assert type(loaded.model).__name__ == "Qwen2_5_VLForConditionalGeneration"


def test_workspace_reference_finds_the_model_subfolder(built, ws):
    out = _publish(ws, "sft", built.folder)
    for ref in ("sft:latest", f"sft:{out.version}", str(out.final_path)):
        loaded = load_model(ref, ws)
        assert (loaded.resolved.stage, loaded.resolved.version) == ("sft", out.version)


def test_cpu_defaults_to_float32_and_dtype_is_overridable(built, ws):
    assert resolve_device(None).type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_dtype(None, torch.device("cpu")) == torch.float32
    loaded = load_model(built.folder, ws, device="cpu", dtype="bfloat16")
    assert next(loaded.model.parameters()).dtype == torch.bfloat16


def test_bad_dtype_and_device_name_the_key():
    with pytest.raises(PafasError, match="model.dtype"):
        resolve_dtype("float8", torch.device("cpu"))
    with pytest.raises(PafasError, match="model.device"):
        resolve_device("gpu0")


def test_hub_id_with_the_network_off_says_how_to_fix_it(ws, monkeypatch, tmp_path):
    monkeypatch.delenv("PAFAS_ALLOW_NETWORK", raising=False)
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(PafasError, match="hub id.*network is off.*PAFAS_ALLOW_NETWORK=1"):
        load_model("Qwen/Qwen2.5-VL-3B-Instruct", ws)


def test_text_only_model_is_not_a_vlm(ws, tmp_path):
    from transformers import GPT2Config

    GPT2Config(n_layer=1, n_embd=8, n_head=2).save_pretrained(tmp_path)
    with pytest.raises(PafasError, match="'gpt2' model, not a vision-language model"):
        load_model(tmp_path, ws)


def test_folder_without_a_model_is_an_error(ws, tmp_path):
    with pytest.raises(PafasError, match="no model here"):
        load_model(tmp_path, ws)


def test_pickle_weights_are_refused(built, ws, tmp_path):
    shutil.copy(built.folder / "config.json", tmp_path / "config.json")
    (tmp_path / "pytorch_model.bin").write_bytes(b"not loaded")
    with pytest.raises(PafasError, match="only safetensors"):
        load_model(tmp_path, ws)


def test_model_code_in_the_folder_needs_trust_remote_code(ws, tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "custom", "auto_map": {"AutoConfig": "c.C"}}))
    with pytest.raises(PafasError, match="trust_remote_code"):
        load_model(tmp_path, ws)


def test_adapter_loads_onto_its_base(adapter, batch_for, ws):
    folder, peft_model = adapter
    loaded = load_model(folder, ws)
    batch = batch_for(loaded.processor)
    assert type(loaded.model).__name__ == "PeftModel"
    assert torch.allclose(_logits(loaded.model, batch), _logits(peft_model, batch), atol=1e-6)


def test_merged_adapter_gives_the_unmerged_logits(adapter, built, batch_for, ws, tmp_path):
    folder, peft_model = adapter
    out = merge_adapter(folder, tmp_path / "merged", ws)
    merged = load_model(out, ws)
    batch = batch_for(merged.processor)
    assert type(merged.model).__name__ == "Qwen2_5_VLForConditionalGeneration"
    assert torch.allclose(_logits(merged.model, batch), _logits(peft_model, batch), atol=1e-5)
    assert not torch.allclose(_logits(merged.model, batch), _logits(built.model, batch), atol=1e-3)


def test_adapter_in_a_workspace_version_loads(adapter, ws):
    out = _publish(ws, "rl", adapter[0])
    assert type(load_model("rl:latest", ws).model).__name__ == "PeftModel"
    assert out.final_path.is_dir()


def test_adapter_whose_base_is_gone_names_the_base(adapter, ws, tmp_path):
    folder = tmp_path / "orphan"
    shutil.copytree(adapter[0], folder)
    config = json.loads((folder / "adapter_config.json").read_text())
    config["base_model_name_or_path"] = str(tmp_path / "deleted-base")
    (folder / "adapter_config.json").write_text(json.dumps(config))
    with pytest.raises(PafasError, match="base model .*deleted-base.* cannot be loaded"):
        load_model(folder, ws)


def test_only_adapters_can_be_merged(built, ws, tmp_path):
    with pytest.raises(PafasError, match="not a LoRA adapter"):
        merge_adapter(built.folder, tmp_path / "out", ws)


def test_hub_id_already_in_the_cache_loads_offline(built, ws, monkeypatch, tmp_path):
    from huggingface_hub import constants

    snapshot = tmp_path / "cache" / "models--someone--tiny-vlm" / "snapshots" / "0123abcd"
    shutil.copytree(built.folder, snapshot)
    (snapshot.parent.parent / "refs").mkdir()
    (snapshot.parent.parent / "refs" / "main").write_text("0123abcd")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("PAFAS_ALLOW_NETWORK", raising=False)
    loaded = load_model("someone/tiny-vlm", ws)
    assert loaded.resolved.hub_id == "someone/tiny-vlm"
    assert type(loaded.model).__name__ == "Qwen2_5_VLForConditionalGeneration"


@pytest.mark.fault
@pytest.mark.parametrize("keep", [0.5, 100, 0])
def test_a_truncated_safetensors_file_is_one_clear_line(built, ws, tmp_path, keep):
    """A cut-short copy surfaced as safetensors' 'incomplete metadata, file not fully covered' traceback."""
    folder = tmp_path / "cut"
    shutil.copytree(built.folder, folder)
    weights = folder / "model.safetensors"
    size = weights.stat().st_size
    with weights.open("r+b") as fh:
        fh.truncate(int(size * keep) if isinstance(keep, float) else keep)
    with pytest.raises(PafasError) as err:
        load_model(folder, ws)
    message = str(err.value)
    expected = "truncated" if isinstance(keep, float) else "not a readable safetensors file"
    assert message.startswith(f"{weights}: {expected}") and "\n" not in message
    assert "restore the file" in message and "pafas init-model" in message


@pytest.mark.fault
def test_a_damaged_adapter_config_names_the_file(adapter, ws, tmp_path):
    folder = tmp_path / "adapter"
    shutil.copytree(adapter[0], folder)
    (folder / "adapter_config.json").write_text('{"base_model_name_or_path": ')
    with pytest.raises(PafasError, match=r"adapter_config.json: not valid JSON \(Expecting value at line 1"):
        load_model(folder, ws)
