"""An uploaded file -> the model-input image of one modality, or an ApiError that says what is wrong.

The checks run in this order, each with its own status and code, so a client can tell its faults apart:

    415 unsupported_media_type  the part declares a content type that is no image (text/plain, ...)
    400 empty_file              zero bytes
    400 not_an_image            no image format PIL reads (the header)
    413 image_too_large         more pixels than the server decodes (checked from the header, before decoding)
    400 unreadable_image        the header is fine but the pixels are not (a truncated or corrupt file)
    422 implausible_image       decodes, but cannot be a face crop (too small, too elongated)

Decoding and the face checks are the ones `pafas explain` applies to files (`data.images.decode_modality`,
`infer.explain_io.prepare_image`), so a face posted to the server reaches the model exactly as the same
file given to explain does.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Any

from pafas_cli.errors import PafasError

# Declared part types accepted besides image/*: what curl and browsers send for an unknown extension.
GENERIC_TYPES = ("application/octet-stream", "")


class ApiError(Exception):
    """A client-visible error: HTTP status, a stable code, a one-line message, and the form field if any."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"status": self.status, "code": self.code, "message": self.message, "field": self.field}}


@dataclass(frozen=True)
class Upload:
    """One file part of the request."""

    field: str  # rgb, depth or ir
    data: bytes
    filename: str | None = None
    content_type: str | None = None

    @property
    def where(self) -> str:
        return f"{self.field} ({self.filename!r})" if self.filename else self.field


def read_upload(upload: Upload, side: int, max_pixels: int) -> Any:
    """The checked image of `upload` at `side` x `side` (RGB), as the model reads it; or an ApiError."""
    from PIL import Image, UnidentifiedImageError

    from pafas_cli.data.images import decode_modality
    from pafas_cli.infer.explain_io import prepare_image

    declared = (upload.content_type or "").split(";")[0].strip().lower()
    if declared not in GENERIC_TYPES and not declared.startswith("image/"):
        raise ApiError(415, "unsupported_media_type", f"{upload.where}: the part's content type is {declared}, "
                       "not an image; send the image file itself (e.g. curl -F rgb=@face.png)", upload.field)
    if not upload.data:
        raise ApiError(400, "empty_file", f"{upload.where}: the file is empty (0 bytes)", upload.field)
    limit = f"this server decodes at most {max_pixels / 1e6:g} megapixels (--max-megapixels); send a face crop"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the pixel limit below decides
            with Image.open(io.BytesIO(upload.data)) as header:
                width, height = header.size
    except Image.DecompressionBombError as exc:  # far over PIL's own limit, so over ours too
        raise ApiError(413, "image_too_large", f"{upload.where}: {exc}; {limit}", upload.field) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ApiError(400, "not_an_image", f"{upload.where}: not an image (PNG, JPEG, BMP, TIFF or WebP "
                       f"expected; {len(upload.data)} bytes starting {upload.data[:8]!r})", upload.field) from None
    if width * height > max_pixels:
        raise ApiError(413, "image_too_large", f"{upload.where}: {width}x{height} pixels; {limit}", upload.field)
    try:
        image = decode_modality(io.BytesIO(upload.data), upload.field, upload.where)
    except PafasError as exc:
        raise ApiError(400, "unreadable_image", f"{exc} (is the file complete?)", upload.field) from None
    try:
        return prepare_image(image, upload.where, upload.field, side)
    except PafasError as exc:
        raise ApiError(422, "implausible_image", str(exc), upload.field) from None
