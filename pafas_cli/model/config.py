"""The `model` recipe section: which model `init-model` builds, and how models are loaded.

`init-model` reads the architecture keys (`preset`, `text`, `vision`, `vocab_size`, `image_size`);
every stage that loads a model reads `dtype`, `device` and `trust_remote_code`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# Images are cut into 14-pixel patches and 2x2 patches are merged into one token.
PATCH_SIZE = 14
MERGE_SIZE = 2
# An image side the model reads without resizing again: a whole number of merged patches.
IMAGE_STEP = PATCH_SIZE * MERGE_SIZE


def check_image_side(side: int, step: int = IMAGE_STEP) -> None:
    """ValueError("image_size: ...") naming the nearest valid sides when `side` is not a multiple of `step`.

    A side the processor cannot take as it is gets resized again to a multiple of `step` (100 -> 84 for
    Qwen2.5-VL), so the model would see other pixels than the version's spec says."""
    if side >= step and side % step == 0:
        return
    below, above = side // step * step, (side // step + 1) * step
    nearest = f"{below} or {above}" if below >= step else f"{above}"
    raise ValueError(f"image_size: must be a multiple of {step} ({nearest}), got {side}")


@dataclass
class TextSizes:
    """Sizes of the tiny text decoder (the `tiny` preset only)."""

    # Width of the decoder (the vision merger projects into it).
    hidden_size: int = 128
    # Width of each MLP block.
    intermediate_size: int = 256
    # Decoder layers.
    layers: int = 2
    # Attention heads; hidden_size / heads is the head size, which must be a multiple of 8 (mrope).
    heads: int = 4
    # Key/value heads (grouped-query attention); must divide `heads`.
    kv_heads: int = 2

    def validate(self) -> None:
        """Raise ValueError("key: message") for a bad value."""
        for name in ("hidden_size", "intermediate_size", "layers", "heads", "kv_heads"):
            if getattr(self, name) < 1:
                raise ValueError(f"text.{name}: must be at least 1, got {getattr(self, name)}")
        if self.hidden_size % self.heads:
            raise ValueError(f"text.heads: must divide text.hidden_size ({self.hidden_size}), got {self.heads}")
        if (self.hidden_size // self.heads) % 8:
            raise ValueError(
                f"text.heads: the head size hidden_size/heads = {self.hidden_size // self.heads} must be a "
                "multiple of 8 (its rotary half is split into time/height/width sections)"
            )
        if self.heads % self.kv_heads:
            raise ValueError(f"text.kv_heads: must divide text.heads ({self.heads}), got {self.kv_heads}")


@dataclass
class VisionSizes:
    """Sizes of the tiny vision encoder (the `tiny` preset only)."""

    # Vision transformer blocks (the last one uses full attention, the others windowed).
    depth: int = 2
    # Width of the vision transformer.
    hidden_size: int = 64
    # Width of each vision MLP block.
    intermediate_size: int = 128
    # Vision attention heads; hidden_size / heads must be a multiple of 4 (2-D rotary embedding).
    heads: int = 2

    def validate(self) -> None:
        """Raise ValueError("key: message") for a bad value."""
        for name in ("depth", "hidden_size", "intermediate_size", "heads"):
            if getattr(self, name) < 1:
                raise ValueError(f"vision.{name}: must be at least 1, got {getattr(self, name)}")
        if self.hidden_size % self.heads or (self.hidden_size // self.heads) % 4:
            raise ValueError(
                f"vision.heads: hidden_size/heads must be a whole multiple of 4; got {self.hidden_size}/{self.heads}"
            )


@dataclass
class ModelConfig:
    # Architecture: `tiny` (sizes from `text`/`vision`) or `qwen2.5-vl-3b` (the real
    # Qwen2.5-VL-3B architecture with random weights, for memory/speed tests on a GPU; ignores `text`/`vision`).
    preset: Literal["tiny", "qwen2.5-vl-3b"] = "tiny"
    # Upper bound on the locally trained BPE vocabulary (a narrow corpus stops earlier).
    vocab_size: int = 4096
    # Square side (pixels) every modality is resized to; (side/28)^2 image tokens per image (56 -> 4).
    # null = the side the paths version was built with (init-model reads it from its spec).
    image_size: int | None = None
    # Text decoder sizes for the tiny preset.
    text: TextSizes = field(default_factory=TextSizes)
    # Vision encoder sizes for the tiny preset.
    vision: VisionSizes = field(default_factory=VisionSizes)
    # Weight dtype when loading: auto = float32 on CPU, bfloat16 on a GPU.
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    # Device when loading: auto (cuda:<LOCAL_RANK> if a GPU is present, else cpu), cpu, cuda, cuda:N.
    device: str = "auto"
    # Allow model code shipped inside a model folder to run (only for folders you trust).
    trust_remote_code: bool = False
    # Train the tokenizer on the pretraining corpus's texts too (drawn with the pretrain.corpus settings if
    # absent), so that `pafas pretrain` can start from this model (docs/pretraining.md).
    corpus: bool = False

    def validate(self) -> None:
        """Raise ValueError("key: message") for a bad value."""
        if self.vocab_size < 263:
            raise ValueError(f"vocab_size: must be at least 263 (7 special tokens + 256 bytes), got {self.vocab_size}")
        if self.image_size is not None:
            check_image_side(self.image_size)
        if self.device != "auto" and self.device != "cpu" and not self.device.startswith("cuda"):
            raise ValueError(f"device: must be auto, cpu, cuda or cuda:N, got {self.device!r}")
        self.text.validate()
        self.vision.validate()
