"""Helpers for inference tests: a tiny random Qwen2.5-VL built in memory (feasibility.md §1), synthetic
face files, and a mini workspace with a real paths version and two tiny models."""

from __future__ import annotations

import os
from pathlib import Path
from pafas_cli.model.plan import resolve as plan_model


os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>",
            "<|image_pad|>", "<|video_pad|>"]
PRETOK = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
          r"""|\s*[\r\n]+|\s+(?!\S)|\s+""")
CORPUS = [
    "<think>The RGB image shows natural skin texture. The depth map has a face shape.</think>"
    "<answer>['Real Face']</answer>",
    "<think>The IR image is dark and flat, a print.</think>"
    "<answer>['Spoof Face', 'External Spoofing Attacks', 'Presentation Media Attacks', 'Print Attacks',"
    " 'Flat Print Attack']</answer>",
    "RGB image: Depth image: IR image: is unavailable. Is this face live or a spoof?",
] * 20


class TinyModel:
    """What `load_model` returns: model, processor, resolved."""

    def __init__(self, model, processor):
        self.model, self.processor, self.resolved = model, processor, None


def build_tiny_model() -> TinyModel:
    import torch
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import (PreTrainedTokenizerFast, Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration,
                              Qwen2_5_VLProcessor, Qwen2VLImageProcessorPil)
    import trl

    class ImageOnlyProcessor(Qwen2_5_VLProcessor):
        def __init__(self, image_processor=None, tokenizer=None, chat_template=None, **kwargs):
            super().__init__(image_processor, tokenizer, None, chat_template=chat_template, **kwargs)

    tok = Tokenizer(models.BPE(unk_token=None, fuse_unk=False, byte_fallback=False))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(PRETOK), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(CORPUS, trainers.BpeTrainer(
        vocab_size=400, special_tokens=SPECIALS, min_frequency=2,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    hf_tok = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>", bos_token=None, unk_token=None,
        model_max_length=32768,
        extra_special_tokens={"image_token": "<|image_pad|>", "video_token": "<|video_pad|>",
                              "vision_bos_token": "<|vision_start|>", "vision_eos_token": "<|vision_end|>"})
    template = (Path(trl.__file__).parent / "chat_templates" / "qwen2_5_vl.jinja").read_text()
    side = 56
    image_processor = Qwen2VLImageProcessorPil(size={"shortest_edge": side * side, "longest_edge": side * side},
                                               patch_size=14, temporal_patch_size=2, merge_size=2)
    processor = ImageOnlyProcessor(image_processor=image_processor, tokenizer=hf_tok, chat_template=template)
    vocab = (len(hf_tok) + 63) // 64 * 64
    cfg = Qwen2_5_VLConfig(
        text_config=dict(vocab_size=vocab, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096,
                         rope_parameters={"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [2, 3, 3]},
                         bos_token_id=None, eos_token_id=2, pad_token_id=0, tie_word_embeddings=True),
        vision_config=dict(depth=1, hidden_size=32, intermediate_size=64, num_heads=2, in_channels=3, patch_size=14,
                           spatial_merge_size=2, temporal_patch_size=2, window_size=112, out_hidden_size=64,
                           fullatt_block_indexes=[0]),
        image_token_id=5, video_token_id=6, vision_start_token_id=3, vision_end_token_id=4, tie_word_embeddings=True)
    torch.manual_seed(0)
    model = Qwen2_5_VLForConditionalGeneration(cfg).eval()
    model.generation_config.eos_token_id = 2
    model.generation_config.pad_token_id = 0
    return TinyModel(model, processor)


TARGET = ("<think>The IR image is dark and flat, a print.</think><answer>['Spoof Face', 'External Spoofing Attacks', "
          "'Presentation Media Attacks', 'Print Attacks', 'Flat Print Attack']</answer>")


def face_images(seed: int, side: int = 56) -> list:
    """Three random RGB images (RGB, depth, IR slots)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    return [Image.fromarray(rng.integers(0, 255, (side, side, 3), dtype=np.uint8)) for _ in range(3)]


def user_prompt(modalities=("rgb", "depth", "ir")) -> list[dict]:
    from pafas_cli.paths.prompt import build_user_turn

    return [{"role": "user", "content": build_user_turn(modalities)}]


def overfit(tiny_model: TinyModel) -> TinyModel:
    """A copy of the tiny model overfitted (a few seconds) to answer TARGET."""
    import copy

    import torch

    from pafas_cli.infer.generate import chat_texts, encode

    model = copy.deepcopy(tiny_model.model).train()
    processor = tiny_model.processor
    prompts = [user_prompt(), user_prompt(("rgb",))]
    texts = [t + TARGET + "<|im_end|>" for t in chat_texts(processor, prompts)]
    batch = encode(processor, texts, [face_images(1), face_images(2)], "cpu")
    labels = batch["input_ids"].clone()
    answer_tokens = len(processor.tokenizer(TARGET + "<|im_end|>")["input_ids"])
    labels[:, :-answer_tokens] = -100
    torch.manual_seed(0)
    opt = torch.optim.AdamW(model.parameters(), lr=5e-3)
    for _ in range(150):
        loss = model(**batch, labels=labels).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    return TinyModel(model.eval(), processor)


def sharpen(tiny_model: TinyModel, std: float = 0.15) -> TinyModel:
    """A copy of the tiny model whose weight matrices are redrawn (seeded) with standard deviation `std`."""
    import copy

    import torch

    model = copy.deepcopy(tiny_model.model)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() == 2:
                p.copy_(torch.randn(p.shape, generator=generator) * std)
    return TinyModel(model.eval(), tiny_model.processor)


PRINT = ("Spoof Face", "External Spoofing Attacks", "Presentation Media Attacks", "Print Attacks", "Flat Print Attack")
REPLAY = ("Spoof Face", "External Spoofing Attacks", "Presentation Media Attacks", "Replay Attacks",
          "Mobile Screen Replay Attack")


def draw_face(live: bool, seed: int, side: int = 96) -> list:
    """RGB, depth and IR images of a synthetic face: a live one is lit and round in depth, a spoof flat and dark."""
    import numpy as np
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    tone = tuple(int(v) for v in rng.integers(150, 230, 3)) if live else tuple(int(v) for v in rng.integers(60, 120, 3))
    rgb = Image.new("RGB", (side, side), (30, 30, 40))
    d = ImageDraw.Draw(rgb)
    d.ellipse((18, 10, side - 18, side - 6), fill=tone)
    d.ellipse((32, 36, 42, 44), fill=(20, 20, 20))
    d.ellipse((side - 42, 36, side - 32, 44), fill=(20, 20, 20))
    d.arc((34, 52, side - 34, 72), 20, 160, fill=(120, 30, 30), width=3)
    yy, xx = np.mgrid[:side, :side]
    r = np.hypot((xx - side / 2) / (side / 2 - 18), (yy - side / 2) / (side / 2 - 8))
    depth = np.where(r < 1, 255 * np.sqrt(np.clip(1 - r**2, 0, 1)), 0) if live else np.where(r < 1, 90, 0)
    ir = np.where(r < 1, 200 if live else 60, 15) + rng.normal(0, 6, (side, side))
    to_l = lambda a: Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "L")  # noqa: E731
    return [rgb, to_l(depth), to_l(ir)]


def write_face(folder: Path, name: str, live: bool, seed: int) -> dict[str, Path]:
    """`name_rgb.png`, `name_depth.png`, `name_ir.png` in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for modality, image in zip(("rgb", "depth", "ir"), draw_face(live, seed)):
        out[modality] = folder / f"{name}_{modality}.png"
        image.save(out[modality])
    return out


def unpinned_model(folder: Path, side: int) -> Path:
    """A model folder without weights whose spec says `side`-px images and whose processor pins no side (it takes
    a range of sizes, as a real Qwen2.5-VL processor does): the side must come from the spec."""
    import json

    from pafas_cli.spec import Spec, write_spec

    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    (folder / "preprocessor_config.json").write_text(json.dumps({"min_pixels": 3136, "max_pixels": 12845056}))
    write_spec(folder, Spec("sft", side, "think"))
    return folder


def build_mini_workspace(root: Path, models: bool = True):
    """A workspace with one real `paths` version (dev A/B, test C, the P2 sets) and two tiny models (unless
    `models` is False)."""
    from pafas_cli.commands import init_model
    from pafas_cli.config import load_recipe
    from pafas_cli.data.images import load_modality
    from pafas_cli.data.sample import FaceSample
    from pafas_cli.paths.build import build_version, load_reasoning
    from pafas_cli.paths.config import PathsConfig
    from pafas_cli.workspace import Workspace

    ws = Workspace(root / "ws")
    samples: dict[str, list] = {"train": [], "dev": [], "test": []}
    plan = {"train": ["A"] * 4, "dev": ["A", "A", "B", "B"] * 2, "test": ["C"] * 8}
    k = 0
    for split, domains in plan.items():
        for j, domain in enumerate(domains):
            live = j % 2 == 0
            files = write_face(root / "faces", f"{split}{j}", live, k)
            attack = ("Real Face",) if live else (PRINT if j % 4 == 1 else REPLAY)
            samples[split].append(FaceSample(f"{split}{j}", int(live), attack, domain, split,
                                             **{m: str(p) for m, p in files.items()}))
            k += 1
    recipe = load_recipe(None, ["paths.n_paths=2", "eval.max_new_tokens=12", "eval.batch_size=8"])
    cfg = PathsConfig(n_paths=2)
    with ws.start("paths", recipe.to_dict(), seed=0) as version:
        build_version(cfg, load_reasoning(cfg), samples["train"], samples["dev"], samples["test"], version.path, 0, load_modality,
                      missing=[("depth",), ("ir",), ("depth", "ir")])
    for seed in (0, 1) if models else ():
        init_model.run(plan_model(load_recipe(None, [f"seed={seed}"]), ws))
    return ws, recipe
