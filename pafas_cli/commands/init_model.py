"""`pafas init-model`: build a random-weight Qwen2.5-VL with a tokenizer trained on the reasoning corpus.

Writes `model/vNNN/model/`: an ordinary HF folder (config, safetensors weights, tokenizer, portable
processor, chat template) that `load_model("model:latest", ws)` and, with torchvision,
`AutoModelForImageTextToText`/`AutoProcessor` load. Preset `tiny` (the default) is for offline
runs on a CPU; preset `qwen2.5-vl-3b` has the real 3B architecture (3.75 B parameters, 7.5 GB
in bf16) for memory and speed checks on a GPU, where its weights are also initialised.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from pafas_cli.console import console, kv_table
from pafas_cli.data.sample import MODALITIES
from pafas_cli.model.config import ModelConfig
from pafas_cli.model.loader import MODEL_SUBDIR, resolve_device
from pafas_cli.plan import Plan
from pafas_cli.spec import write_spec


def run(plan: Plan) -> Path:
    """Build the model the plan describes from its paths version's corpus (and, with `model.corpus`, the
    pretraining corpus's texts); returns the HF folder."""
    from pafas_cli.paths.store import read_corpus

    cfg = plan.recipe.model
    (_, source), = plan.inputs
    texts = list(read_corpus(source.path))
    spec, found = plan.spec, []
    if cfg.corpus:
        from pafas_cli.data.pretrain.version import ensure_corpus
        from pafas_cli.pretrain.rows import corpus_texts

        pretraining = ensure_corpus(plan.recipe.pretrain.corpus, plan.workspace)
        texts += corpus_texts(pretraining.path)
        spec = replace(spec, details={**spec.details, "corpus": pretraining.ref})
        found.append(pretraining.as_input("corpus"))
    with plan.start(inputs=found) as out:
        metrics = build(cfg, texts, out.path / MODEL_SUBDIR, plan.seed)
        write_spec(out.path, spec)
        out.set_metrics(metrics)
    folder = out.path / MODEL_SUBDIR
    console.print(kv_table(f"init-model -> {out.ref}", {
        "preset": cfg.preset,
        "parameters": f"{metrics['parameters']:,}",
        "vocabulary (tokenizer / embedding rows)": f"{metrics['tokenizer_size']:,} / {metrics['embedding_rows']:,}",
        "image size": f"{cfg.image_size}x{cfg.image_size}",
        "image tokens per image / per sample": f"{metrics['image_tokens_per_image']} / "
                                               f"{metrics['image_tokens_per_sample']}",
        "tokens per corpus text (mean)": metrics["tokens_per_text"],
        "weights dtype": metrics["dtype"],
        "folder": str(folder),
    }))
    return folder


def build(cfg: ModelConfig, corpus: Iterable[str], folder: Path, seed: int) -> dict[str, Any]:
    """Train the tokenizer, build processor and model, save them to `folder`; returns what was built."""
    from pafas_cli.model.processor import build_processor, image_tokens, save_portable
    from pafas_cli.model.tiny import build_model, parameter_count
    from pafas_cli.model.tokenizer import train_tokenizer

    texts = [t for t in corpus if t]
    with console.status("training the tokenizer"):
        tokenizer = train_tokenizer(texts, cfg.vocab_size)
    processor = build_processor(tokenizer, cfg.image_size)
    dtype = _storage_dtype(cfg)
    device = resolve_device(cfg.device) if cfg.preset == "qwen2.5-vl-3b" else "cpu"
    with console.status(f"building the {cfg.preset} model on {device}"):
        model = build_model(cfg, tokenizer, seed, dtype=dtype, device=device)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    save_portable(processor, folder)
    per_image = image_tokens(processor, cfg.image_size)
    lengths = [len(ids) for ids in tokenizer(texts[:2000], add_special_tokens=False)["input_ids"]] if texts else [0]
    return {
        "parameters": parameter_count(model),
        "tokenizer_size": len(tokenizer),
        "embedding_rows": model.config.text_config.vocab_size,
        "image_tokens_per_image": per_image,
        "image_tokens_per_sample": per_image * len(MODALITIES),
        "tokens_per_text": round(sum(lengths) / len(lengths), 1),
        "corpus_texts": len(texts),
        "dtype": str(dtype).removeprefix("torch."),
    }


def _storage_dtype(cfg: ModelConfig) -> Any:
    """The weights' dtype on disk: float32 for the tiny model, bf16 (as released) for the 3B one, unless set."""
    import torch

    if cfg.dtype != "auto":
        return getattr(torch, cfg.dtype)
    return torch.bfloat16 if cfg.preset == "qwen2.5-vl-3b" else torch.float32
