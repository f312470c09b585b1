"""One way to load a vision-language model + processor, whatever the reference points at.

References: a workspace version (`model:latest`, `sft:v002`, `rl:latest`; the HF folder is the
version's `model/` subfolder), a local HF folder, a LoRA adapter folder (`adapter_config.json`:
its base is loaded and the adapter applied), or a hub id (`Qwen/Qwen2.5-VL-3B-Instruct`: needs
`PAFAS_ALLOW_NETWORK=1` unless it is already in the local hub cache). Weights load from
safetensors only, and model code inside a folder runs only with `trust_remote_code=True`.
`AutoPeftModel*` cannot load Qwen2.5-VL adapters (it asks `AutoModelForCausalLM`), so adapters
go through `AutoModelForImageTextToText` + `PeftModel`.

Damaged folders fail with one line naming the file: every safetensors file's header is checked
against its size before loading (a truncated copy otherwise surfaces as safetensors' "incomplete
metadata, file not fully covered" deep inside transformers), and JSON files are read through
`processor.read_json`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pafas_cli.env import network_allowed
from pafas_cli.errors import PafasError
from pafas_cli.model.processor import REMEDY, read_json
from pafas_cli.workspace import Resolved, Workspace

# Inside a workspace version of model/sft/rl, the HF folder (weights or adapter + processor) lives here.
MODEL_SUBDIR = "model"
ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"
# What a hub download fetches: configs, safetensors weights, tokenizer and template files (never .bin).
HUB_PATTERNS = ["*.json", "*.safetensors", "*.jinja", "*.txt", "*.model"]
DTYPES = ("auto", "float32", "bfloat16", "float16")


@dataclass
class LoadedModel:
    """A model ready for training or inference, its processor, and what the reference resolved to."""

    model: Any
    processor: Any
    resolved: Resolved


def load_model(ref: str | Path, ws: Workspace, *, device: Any = None, dtype: Any = None,
               trust_remote_code: bool = False, processor: Any = None) -> LoadedModel:
    """Load the model and processor `ref` names, on `device` (auto) in `dtype` (auto: float32 on CPU, bf16 on GPU).

    A LoRA adapter comes back as an unmerged `PeftModel` (call `merge_and_unload()` for speed). `processor`,
    when a plan already loaded it (`load_processor_of`), is used as it is instead of being read again.
    """
    resolved = ws.resolve(ref, allow_hub=True)
    folder = model_folder(resolved)
    target = resolve_device(device)
    torch_dtype = resolve_dtype(dtype, target)
    if (folder / ADAPTER_CONFIG).is_file():
        base_folder = _adapter_base(folder, ws)
        model, processor_folder = _load_adapter(folder, base_folder, target, torch_dtype, trust_remote_code)
    else:
        model, processor_folder = _load_weights(folder, target, torch_dtype, trust_remote_code), folder
    if processor is None:
        from pafas_cli.model.processor import load_processor

        processor = load_processor(processor_folder, trust_remote_code)
    return LoadedModel(model.eval(), processor, resolved)


def merge_adapter(adapter_ref: str | Path, out_dir: str | Path, ws: Workspace | None = None, *,
                  trust_remote_code: bool = False) -> Path:
    """Merge a LoRA adapter into its base and save a plain HF folder (model + portable processor) at `out_dir`.

    The merge runs on the CPU in the base checkpoint's own dtype, so a bf16 base stays bf16.
    """
    from pafas_cli.model.processor import load_processor, save_portable

    ws = ws or Workspace()
    folder = model_folder(ws.resolve(adapter_ref, allow_hub=True))
    if not (folder / ADAPTER_CONFIG).is_file():
        raise PafasError(f"{folder}: not a LoRA adapter (no {ADAPTER_CONFIG}); only adapters can be merged")
    base_folder = _adapter_base(folder, ws)
    model, processor_folder = _load_adapter(folder, base_folder, _torch_device("cpu"), _checkpoint_dtype(base_folder),
                                            trust_remote_code)
    merged = model.merge_and_unload()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(out, safe_serialization=True)
    save_portable(load_processor(processor_folder, trust_remote_code), out)
    return out


def model_folder(resolved: Resolved) -> Path:
    """The HF folder a resolved reference points at (downloading or finding a hub id in the cache)."""
    if resolved.hub_id:
        return _hub_folder(resolved.hub_id)
    assert resolved.path is not None
    path = resolved.path
    if not path.is_dir():
        raise PafasError(f"{path}: a model must be a folder (HF layout), not a file")
    if _is_model_dir(path):
        return path
    if _is_model_dir(path / MODEL_SUBDIR):
        return path / MODEL_SUBDIR
    raise PafasError(
        f"{path}: no model here (expected config.json or {ADAPTER_CONFIG}, directly or in {MODEL_SUBDIR}/)"
    )


def resolve_device(device: Any = None) -> Any:
    """`None`/`auto` = the local GPU (cuda:<LOCAL_RANK>) if there is one, else the CPU."""
    import torch

    if device is None or str(device) == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        return torch.device("cpu")
    return _torch_device(device)


def resolve_dtype(dtype: Any, device: Any) -> Any:
    """`None`/`auto` = bfloat16 on a GPU that supports it (else float16), float32 on the CPU."""
    import torch

    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype is None or dtype == "auto":
        if getattr(device, "type", str(device)) == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float32
    if dtype not in DTYPES:
        raise PafasError(f"model.dtype: must be one of {', '.join(DTYPES)}; got {dtype!r}")
    return getattr(torch, dtype)


def _torch_device(device: Any) -> Any:
    import torch

    try:
        return torch.device(device)
    except (RuntimeError, TypeError):
        raise PafasError(f"model.device: not a device: {device!r} (use auto, cpu, cuda or cuda:N)") from None


def _is_model_dir(path: Path) -> bool:
    return (path / "config.json").is_file() or (path / ADAPTER_CONFIG).is_file()


def _hub_folder(hub_id: str) -> Path:
    """The local snapshot of a hub repo: from the cache when offline, else downloaded (safetensors only)."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return Path(snapshot_download(hub_id, allow_patterns=HUB_PATTERNS, local_files_only=True))
    except LocalEntryNotFoundError:
        pass
    if not network_allowed():
        raise PafasError(
            f"'{hub_id}' is not a local folder or workspace version, so it is a hub id, and the network is off: "
            "set PAFAS_ALLOW_NETWORK=1 (or pass --allow-network), or download it and pass the folder"
        )
    try:
        return Path(snapshot_download(hub_id, allow_patterns=HUB_PATTERNS))
    except Exception as exc:  # the hub raises many types (auth, not found, connection)
        raise PafasError(f"cannot download '{hub_id}' from the hub: {exc}") from None


def _load_weights(folder: Path, device: Any, dtype: Any, trust_remote_code: bool) -> Any:
    """A full VLM from `folder`, after checking it is one and has safetensors weights."""
    from transformers import AutoModelForImageTextToText

    _check_vlm(folder, trust_remote_code)
    if not any(folder.glob("*.safetensors")):
        found = ", ".join(sorted(p.name for p in folder.glob("*.bin"))) or "none"
        raise PafasError(f"{folder}: no .safetensors weights (found: {found}); only safetensors are loaded, "
                         "convert the checkpoint with save_pretrained(..., safe_serialization=True)")
    for weights in sorted(folder.glob("*.safetensors")):
        check_safetensors(weights)
    kwargs = {"device_map": str(device)} if device.type != "cpu" else {}
    with _safetensors_errors(folder):
        return AutoModelForImageTextToText.from_pretrained(
            folder, dtype=dtype, use_safetensors=True, trust_remote_code=trust_remote_code, **kwargs
        )


# A safetensors file: 8 bytes (little-endian u64) = header length N, N bytes of JSON header, then the data.
HEADER_LIMIT = 100_000_000  # safetensors' own limit on the header size


def check_safetensors(path: Path) -> None:
    """A PafasError naming `path` when it is not a complete safetensors file (cut short, or not one at all)."""
    size = path.stat().st_size
    try:
        with path.open("rb") as fh:
            prefix = fh.read(8)
            length = int.from_bytes(prefix, "little") if len(prefix) == 8 else -1
            header = fh.read(length) if 0 < length <= min(HEADER_LIMIT, size - 8) else b""
    except OSError as exc:
        raise PafasError(f"{path}: cannot be read ({exc.strerror or exc}); {REMEDY}") from None
    try:
        tensors = json.loads(header.decode("utf-8")) if header else None
    except (UnicodeDecodeError, ValueError):
        tensors = None
    if not isinstance(tensors, dict):
        raise PafasError(f"{path}: not a readable safetensors file ({size:,} bytes; its header is missing or "
                         f"damaged, e.g. the file was cut short); {REMEDY}")
    try:
        ends = [int(t["data_offsets"][1]) for k, t in tensors.items() if k != "__metadata__"]
    except (KeyError, IndexError, TypeError, ValueError):
        raise PafasError(f"{path}: not a readable safetensors file (a tensor entry of its header is damaged); "
                         f"{REMEDY}") from None
    expected = 8 + length + max(ends, default=0)
    if size != expected:
        state = "truncated" if size < expected else "longer than its header says"
        raise PafasError(f"{path}: {state} ({size:,} bytes, its header describes {expected:,}; an interrupted copy, "
                         f"download or save?); {REMEDY}")


@contextmanager
def _safetensors_errors(folder: Path) -> Iterator[None]:
    """safetensors errors that slip past `check_safetensors` (e.g. a damaged tensor entry) as a PafasError."""
    try:
        yield
    except Exception as exc:
        if type(exc).__name__ != "SafetensorError":
            raise
        raise PafasError(f"{folder}: cannot read its safetensors weights ({exc}); {REMEDY}") from None


def _check_vlm(folder: Path, trust_remote_code: bool) -> None:
    """A clear error for folders `AutoModelForImageTextToText` cannot load."""
    from transformers import AutoConfig
    from transformers.models.auto.modeling_auto import MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING

    raw = read_json(folder / "config.json")
    if not isinstance(raw, dict):
        raise PafasError(f"{folder / 'config.json'}: expected a JSON object; {REMEDY}")
    if raw.get("auto_map") and not trust_remote_code:
        # Checked here: transformers would otherwise ask on the terminal.
        raise PafasError(f"{folder}: this model ships its own code (auto_map in config.json); set "
                         "model.trust_remote_code=true only if you trust it")
    try:
        config = AutoConfig.from_pretrained(folder, trust_remote_code=trust_remote_code)
    except ValueError as exc:
        raise PafasError(f"{folder}/config.json: not a model config transformers knows: {exc}") from None
    remote = "AutoModelForImageTextToText" in (getattr(config, "auto_map", None) or {})
    if type(config) not in MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING and not remote:
        raise PafasError(
            f"{folder}: holds a '{config.model_type}' model, not a vision-language model "
            "(AutoModelForImageTextToText cannot load it); pafas needs e.g. a Qwen2.5-VL checkpoint"
        )


def _adapter_base(folder: Path, ws: Workspace) -> Path:
    """The base model folder named by an adapter's `base_model_name_or_path`, or a clear error."""
    config_file = folder / ADAPTER_CONFIG
    config = read_json(config_file)
    base = config.get("base_model_name_or_path") if isinstance(config, dict) else None
    if not base:
        raise PafasError(f"{config_file}: base_model_name_or_path is empty, so the base model is unknown")
    relative = folder / base
    candidate = relative if not Path(base).is_absolute() and relative.exists() else base
    try:
        return model_folder(ws.resolve(candidate, allow_hub=True))
    except PafasError as exc:
        raise PafasError(
            f"{config_file}: its base model '{base}' cannot be loaded ({exc}); restore it or point "
            "base_model_name_or_path at a copy"
        ) from None


def _load_adapter(folder: Path, base_folder: Path, device: Any, dtype: Any,
                  trust_remote_code: bool) -> tuple[Any, Path]:
    """Base model + LoRA adapter (unmerged), and the folder to read the processor from."""
    from peft import PeftModel

    if not (folder / ADAPTER_WEIGHTS).is_file():
        raise PafasError(f"{folder}: no {ADAPTER_WEIGHTS}; only safetensors adapters are loaded")
    check_safetensors(folder / ADAPTER_WEIGHTS)
    if (base_folder / ADAPTER_CONFIG).is_file():
        raise PafasError(f"{folder / ADAPTER_CONFIG}: its base '{base_folder}' is itself an adapter; merge it first")
    base = _load_weights(base_folder, device, dtype, trust_remote_code)
    with _safetensors_errors(folder):
        model = PeftModel.from_pretrained(base, folder, is_trainable=False)
    return model, folder if _has_processor(folder) else base_folder


def _has_processor(folder: Path) -> bool:
    return (folder / "processor_config.json").is_file() or (folder / "preprocessor_config.json").is_file()


def processor_folder(resolved: Resolved, ws: Workspace) -> Path:
    """The folder a model's processor is read from: an adapter's own, else its base's, else the model's."""
    folder = model_folder(resolved)
    if (folder / ADAPTER_CONFIG).is_file() and not _has_processor(folder):
        folder = _adapter_base(folder, ws)
    return folder


def load_processor_of(ref: str | Path, ws: Workspace, trust_remote_code: bool = False) -> Any:
    """The processor of the model `ref` names, without loading its weights."""
    from pafas_cli.model.processor import load_processor

    return load_processor(processor_folder(ws.resolve(ref, allow_hub=True), ws), trust_remote_code)


def _checkpoint_dtype(folder: Path) -> Any:
    """The dtype a checkpoint was saved in (config.json `dtype`/`torch_dtype`), float32 if unstated."""
    import torch

    config = read_json(folder / "config.json")
    config = config if isinstance(config, dict) else {}
    name = config.get("dtype") or config.get("torch_dtype") or "float32"
    return getattr(torch, name) if name in DTYPES[1:] else torch.float32
