"""The Qwen2.5-VL processor: fixed square image size, TRL's chat template, a folder both worlds load.

Three traps of transformers 5.24 shape this module (feasibility.md §1.3-1.4):

- `Qwen2_5_VLProcessor` needs a video processor, which needs torchvision. Without torchvision we
  load `Qwen2_5_VLImageOnlyProcessor`; with it, plain `AutoProcessor`.
- `AutoProcessor` on a folder whose `processor_class` it does not know silently returns the bare
  tokenizer. So `save_portable` always writes the standard class name (and a `video_processor`
  entry), whatever class saved the folder; trainers re-save under their runtime class name, so
  call it after every save.
- The chat template is read from the installed TRL's `qwen2_5_vl.jinja`: TRL recognises its own
  template byte for byte (e.g. to swap in the `{% generation %}` copy for its assistant-only loss).

Every image is resized to one square size (min = max pixels), so each image becomes the same
number of tokens: (side / 28)^2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pafas_cli.errors import PafasError
from pafas_cli.model.config import MERGE_SIZE, PATCH_SIZE

STANDARD_CLASS = "Qwen2_5_VLProcessor"
IMAGE_ONLY_CLASS = "Qwen2_5_VLImageOnlyProcessor"
VIDEO_PROCESSOR_TYPE = "Qwen2VLVideoProcessor"
# Files that may name the processor class (written by `save_pretrained` of different versions).
CLASS_FILES = ("processor_config.json", "preprocessor_config.json", "tokenizer_config.json")
# What to do about a damaged file of a model folder (the message names the file).
REMEDY = ("restore the file from a copy, or re-create the folder (`pafas init-model` for a model version, "
          "or re-run the stage that wrote it)")


def chat_template() -> str:
    """TRL's Qwen2.5-VL chat template (identical to Qwen's), read from the installed package (not imported)."""
    from importlib.util import find_spec

    spec = find_spec("trl")
    if spec is None or not spec.submodule_search_locations:
        raise PafasError("TRL is not installed; pafas needs its chat_templates/qwen2_5_vl.jinja (pip install trl)")
    package = Path(list(spec.submodule_search_locations)[0])
    return (package / "chat_templates" / "qwen2_5_vl.jinja").read_text(encoding="utf-8")


def build_processor(tokenizer: Any, image_size: int) -> Any:
    """An image-only Qwen2.5-VL processor around `tokenizer` that turns any image into a `image_size`² square."""
    from transformers import Qwen2VLImageProcessorPil

    from pafas_cli.model.image_only import Qwen2_5_VLImageOnlyProcessor

    pixels = image_size * image_size
    image_processor = Qwen2VLImageProcessorPil(
        size={"shortest_edge": pixels, "longest_edge": pixels},
        patch_size=PATCH_SIZE,
        temporal_patch_size=2,
        merge_size=MERGE_SIZE,
    )
    return Qwen2_5_VLImageOnlyProcessor(image_processor=image_processor, tokenizer=tokenizer,
                                        chat_template=chat_template())


def image_tokens(processor: Any, side: int) -> int:
    """Tokens one `side`² image becomes, measured by running the processor's image half."""
    from PIL import Image

    image_processor = processor.image_processor
    grid = image_processor(images=[Image.new("RGB", (side, side))], return_tensors="np")["image_grid_thw"]
    return int(grid.prod()) // (image_processor.merge_size ** 2)


def save_portable(processor: Any, folder: str | Path) -> None:
    """Save `processor` so that `AutoProcessor` (with torchvision) and `load_processor` (without) both load it."""
    folder = Path(folder)
    processor.save_pretrained(folder)
    for name in CLASS_FILES:
        path = folder / name
        if not path.is_file():
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        if name == "processor_config.json":
            data["processor_class"] = STANDARD_CLASS
            data.setdefault("video_processor", _video_entry(processor.image_processor))
        elif "processor_class" in data:
            data["processor_class"] = STANDARD_CLASS
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _video_entry(image_processor: Any) -> dict:
    """The `video_processor` section `AutoProcessor` needs (class defaults for the rest); no video is ever fed."""
    return {
        "video_processor_type": VIDEO_PROCESSOR_TYPE,
        "patch_size": image_processor.patch_size,
        "temporal_patch_size": image_processor.temporal_patch_size,
        "merge_size": image_processor.merge_size,
        "image_mean": list(image_processor.image_mean),
        "image_std": list(image_processor.image_std),
    }


def load_processor(folder: str | Path, trust_remote_code: bool = False) -> Any:
    """The processor saved in `folder`: `AutoProcessor` where torchvision exists, else the image-only class.

    Raises PafasError when the folder holds no processor or only a tokenizer would come back.
    """
    from transformers import AutoProcessor
    from transformers.utils import is_torchvision_available

    folder = Path(folder)
    declared = _declared_class(folder)
    if declared is None:
        raise PafasError(
            f"{folder}: no processor files here (expected processor_config.json or preprocessor_config.json "
            "next to tokenizer_config.json); save one with pafas_cli.model.processor.save_portable"
        )
    try:
        # A folder saved by the image-only class itself (a trainer save not yet made portable) has no video entry.
        if declared == IMAGE_ONLY_CLASS or (declared == STANDARD_CLASS and not is_torchvision_available()):
            from pafas_cli.model.image_only import Qwen2_5_VLImageOnlyProcessor

            processor = Qwen2_5_VLImageOnlyProcessor.from_pretrained(folder)
        else:
            processor = AutoProcessor.from_pretrained(folder, trust_remote_code=trust_remote_code)
    except (OSError, ValueError) as exc:
        hint = "" if is_torchvision_available() else " (torchvision is not installed: video processors need it)"
        raise PafasError(f"{folder}: cannot load the {declared} processor{hint}: {exc}") from None
    if getattr(processor, "image_processor", None) is None or getattr(processor, "tokenizer", None) is None:
        raise PafasError(
            f"{folder}: the processor loaded as {type(processor).__name__}, not a vision-language processor "
            f"(processor_class {declared!r} in its config files is not one transformers knows)"
        )
    return processor


def pinned_side(folder: str | Path) -> int | None:
    """The square side a saved image processor resizes every image to (its min = max pixels), read from the
    folder's JSON without loading transformers; None when it is not pinned (a hub model's range) or unsaid."""
    folder = Path(folder)
    if (folder / "processor_config.json").is_file():
        config = read_json(folder / "processor_config.json")
        config = config.get("image_processor") if isinstance(config, dict) else None
    elif (folder / "preprocessor_config.json").is_file():
        config = read_json(folder / "preprocessor_config.json")
    else:
        return None
    if not isinstance(config, dict):
        return None
    size = config.get("size") if isinstance(config.get("size"), dict) else {}
    low = size.get("shortest_edge", config.get("min_pixels"))
    high = size.get("longest_edge", config.get("max_pixels"))
    if not isinstance(low, int) or low != high:
        return None
    side = round(low ** 0.5)
    return side if side * side == low else None


def read_json(path: Path, remedy: str = REMEDY) -> Any:
    """A model folder's JSON file, or a PafasError naming it (unreadable, not UTF-8, invalid JSON) and `remedy`."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        what = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8 text"
        where = f" at line {exc.lineno}, column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise PafasError(f"{path}: not valid JSON ({what}{where}); {remedy}") from None
    except OSError as exc:
        raise PafasError(f"{path}: cannot be read ({exc.strerror or exc}); {remedy}") from None


def _declared_class(folder: Path) -> str | None:
    """The processor class the folder's config files name (None when it holds no processor)."""
    if not ((folder / "processor_config.json").is_file() or (folder / "preprocessor_config.json").is_file()):
        return None
    for name in CLASS_FILES:
        path = folder / name
        if path.is_file():
            data = read_json(path)
            if not isinstance(data, dict):
                raise PafasError(f"{path}: expected a JSON object, got {type(data).__name__}; {REMEDY}")
            declared = data.get("processor_class")
            if declared:
                return str(declared)
    return "unknown"
