"""`Qwen2_5_VLImageOnlyProcessor`: the Qwen2.5-VL processor without its video half.

transformers 5.24's `Qwen2_5_VLProcessor` requires a video processor, and that one needs
torchvision; images alone need only PIL. This subclass drops the `video_processor` argument, so
`from_pretrained` reads only the image processor and the tokenizer from the same portable folder.
Import it lazily: defining the subclass imports transformers.
"""

from __future__ import annotations

from transformers import Qwen2_5_VLProcessor


class Qwen2_5_VLImageOnlyProcessor(Qwen2_5_VLProcessor):
    """Qwen2.5-VL processor for images and text; `from_pretrained` ignores the video entry."""

    def __init__(self, image_processor=None, tokenizer=None, chat_template=None, **kwargs):
        super().__init__(image_processor, tokenizer, None, chat_template=chat_template, **kwargs)
