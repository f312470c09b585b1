"""A tiny workspace for training tests: a `paths` version and a tiny `model` version, built in ~2 s.

Images are bright for live faces and dark for spoofs, so a few training steps visibly learn something.
Written through the public store / model APIs, so the trainers read exactly what `build-paths` and
`init-model` produce.
"""

from __future__ import annotations

from pathlib import Path

LIVE = ["Real Face"]
PRINT = ["Spoof Face", "External Spoofing Attacks", "Presentation Media Attacks", "Print Attacks",
         "Flat Print Attack"]
CLAUSES = ["The RGB image shows a face.", "The depth map is curved.", "The depth map is flat.",
           "The IR image is bright.", "The IR image is dark."]
MODALITIES = ["rgb", "depth", "ir"]


def build_paths_version(ws, n_samples: int = 24, n_paths: int = 2, size: int = 56) -> Path:
    from PIL import Image

    from pafas_cli.paths.store import write_table, write_texts

    with ws.start("paths", {"test": True}, seed=0) as version:
        root = version.path
        (root / "images").mkdir()
        rl = {k: [] for k in ("id", "label", "attack", "domain", "modalities", "images", "solution")}
        for i in range(n_samples):
            live = i % 2 == 0
            images = []
            for m in MODALITIES:
                rel = f"images/s{i:03d}_{m}.png"
                level = 200 + (i * 7) % 50 if live else 20 + (i * 7) % 50
                Image.new("RGB", (size, size), (level, level, level)).save(root / rel)
                images.append(rel)
            attack = LIVE if live else PRINT
            rl["id"].append(f"s{i:03d}")
            rl["label"].append(int(live))
            rl["attack"].append(attack)
            rl["domain"].append("A")
            rl["modalities"].append(MODALITIES)
            rl["images"].append(images)
            rl["solution"].append(str(attack))
        write_table(root, "rl", "rl", rl)
        sft = {k: [] for k in ("sample", "path", "think", "answer_sample", "think_sample", "blanked")}
        for i in range(n_samples):
            for p in range(n_paths):
                sft["sample"].append(i)
                sft["path"].append(p)
                sft["think"].append([0, 1, 3] if i % 2 == 0 else [0, 2, 4])
                sft["answer_sample"].append(i)
                sft["think_sample"].append(i)
                sft["blanked"].append([])
        write_table(root, "sft", "sft", sft)
        write_texts(root, CLAUSES, CLAUSES)
    return ws.root / "paths" / version.version


def build_model_version(ws, corpus: list[str]) -> Path:
    """A tiny Qwen2.5-VL (64 hidden, 1 layer) with a tokenizer trained on `corpus`, as `model/vNNN/model/`."""
    from pafas_cli.model.config import ModelConfig, TextSizes, VisionSizes
    from pafas_cli.model.processor import build_processor, save_portable
    from pafas_cli.model.tiny import build_model
    from pafas_cli.model.tokenizer import train_tokenizer

    cfg = ModelConfig(text=TextSizes(hidden_size=64, intermediate_size=128, layers=1, heads=4, kv_heads=2),
                      vision=VisionSizes(depth=1, hidden_size=32, intermediate_size=64, heads=2))
    tokenizer = train_tokenizer(corpus * 4, vocab_size=600)
    processor = build_processor(tokenizer, 56)
    model = build_model(cfg, tokenizer, seed=0)
    with ws.start("model", {"test": True}, seed=0) as version:
        model.save_pretrained(version.path / "model")
        save_portable(processor, version.path / "model")
    return ws.root / "model" / version.version


def build_workspace(root: Path):
    from pafas_cli.paths.store import read_corpus
    from pafas_cli.workspace import Workspace

    ws = Workspace(root)
    paths = build_paths_version(ws)
    build_model_version(ws, list(read_corpus(paths)))
    return ws


def two_face_batch(root: Path, answer: str = ""):
    """(model, processor, batch): a tiny workspace built under `root`, its model, and a left-padded batch of two
    faces (three modalities, RGB alone), each prompt followed by `answer`."""
    from PIL import Image

    from pafas_cli.infer.generate import chat_texts, encode
    from pafas_cli.model.loader import load_model
    from pafas_cli.paths.prompt import build_user_turn
    from pafas_cli.workspace import Workspace

    build_workspace(root)
    loaded = load_model("model:latest", Workspace(root))
    prompts = [[{"role": "user", "content": build_user_turn(m)}] for m in (MODALITIES, ["rgb"])]
    images = [[Image.new("RGB", (56, 56), (40 * i + 10 * j, 90, 200)) for j in range(3)] for i in range(2)]
    texts = [chat + answer for chat in chat_texts(loaded.processor, prompts)]
    return loaded.model, loaded.processor, encode(loaded.processor, texts, images, "cpu")
