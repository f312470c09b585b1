"""A tiny model + processor built once per session from a small FAS-like corpus, saved as an HF folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

CORPUS = [
    "RGB image: Depth image: IR image: Is this face live or a spoof? Answer in <think></think><answer></answer>.",
    "RGB image: Depth image: is unavailable. IR image: Is this face live or a spoof?",
    "<think>The RGB image shows natural skin texture and soft shading. The depth map has the curved shape of "
    "a real face. The IR image shows warm skin with a natural glow.</think><answer>['Real Face']</answer>",
    "<think>The RGB image shows a moire pattern and sharp paper edges. The depth map is flat with no nose "
    "relief. The IR image is dark and uniform, like printed paper.</think><answer>['Spoof Face', "
    "'External Spoofing Attacks', 'Presentation Media Attacks', 'Print Attacks', 'Flat Print Attack']</answer>",
    "<think>The RGB image shows screen glare. The depth map is flat. The IR image has no skin reflectance, "
    "so it is a replay.</think><answer>['Spoof Face', 'External Spoofing Attacks', 'Presentation Media "
    "Attacks', 'Replay Attacks']</answer>",
] * 30

# The user turn of one sample: three modalities, each introduced by its name, then the question.
THREE_IMAGE_TURN = [
    {"type": "text", "text": "RGB image:"}, {"type": "image"},
    {"type": "text", "text": "Depth image:"}, {"type": "image"},
    {"type": "text", "text": "IR image:"}, {"type": "image"},
    {"type": "text", "text": "Is this face live or a spoof?"},
]


@dataclass
class Built:
    """The in-memory tiny model and processor, and the folder they were saved to."""

    model: Any
    processor: Any
    folder: Path


def _face_images() -> list:
    """Three square images (RGB, depth, IR) of different sizes, like unresized inputs."""
    from PIL import Image

    return [Image.new("RGB", (56 + 28 * i, 56 + 28 * i), (60, 80 + i * 40, 120 - i * 30)) for i in range(3)]


def _batch_for(processor: Any) -> Any:
    """Tokenized one-sample batch for the three-image prompt, ready for the assistant turn."""
    messages = [{"role": "user", "content": THREE_IMAGE_TURN}]
    text = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    return processor(text=[text], images=[_face_images()], return_tensors="pt")


@pytest.fixture(scope="session")
def corpus() -> list[str]:
    return list(CORPUS)


@pytest.fixture(scope="session")
def batch_for():
    """`batch_for(processor)`: the three-image prompt, tokenized with its images."""
    return _batch_for


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    from pafas_cli.model.config import ModelConfig
    from pafas_cli.model.processor import build_processor, save_portable
    from pafas_cli.model.tiny import build_model
    from pafas_cli.model.tokenizer import train_tokenizer

    cfg = ModelConfig()
    tokenizer = train_tokenizer(CORPUS, cfg.vocab_size)
    processor = build_processor(tokenizer, 56)
    model = build_model(cfg, tokenizer, seed=0)
    folder = tmp_path_factory.mktemp("tiny") / "model"
    model.save_pretrained(folder)
    save_portable(processor, folder)
    return Built(model, processor, folder)


@pytest.fixture
def ws(tmp_path: Path):
    from pafas_cli.workspace import Workspace

    return Workspace(tmp_path / "ws")
