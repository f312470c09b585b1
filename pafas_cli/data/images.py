"""Opening one modality image the way every stage must: RGB as "RGB", depth and IR as 8-bit "L".

Datasets store depth and IR as 8-bit or 16-bit single-channel files (WMCA and PADISI keep 16-bit),
and PADISI packs all channels into one `.npz`; a sample may then name the same `.npz` for all three
modalities. Whatever the storage, callers get one PIL image per modality, scaled to 8 bits, or a
PafasError that names the file.

A 16-bit (or 32-bit integer / float) file in the RGB slot is scaled exactly like depth and IR
(v / 257, float 0-1 x 255) and then repeated into three channels. PIL's own `convert("RGB")` clips
such values at 255, so a typical 16-bit capture came out almost all white; refusing it instead would
reject datasets that store a grey (e.g. NIR-as-colour) channel at 16 bits, while scaling keeps its
relative brightness the same way the other modalities do.

Very large files: PIL's `DecompressionBombWarning` (over `Image.MAX_IMAGE_PIXELS`) becomes one
`warning:` line naming the file, and its `DecompressionBombError` (over twice that) a PafasError.
"""

from __future__ import annotations

import threading
import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, UnidentifiedImageError

from pafas_cli.errors import PafasError

# Modes PIL cannot turn into 8-bit "RGB"/"L" without clipping at 255 (16-bit and 32-bit greyscale, float).
WIDE_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")
# `warnings.catch_warnings` swaps process-wide state: threads decoding images (paths/images.py) take turns.
_WARNINGS_LOCK = threading.Lock()

# PADISI MULTI-SPECTRAL .npz channels (README_FACE.md): 0-2 COLOR in BGR order, 3 NIR, 4 DEPTH.
NPZ_CHANNELS = {"rgb": (2, 1, 0), "ir": (3,), "depth": (4,)}
NPZ_MIN_CHANNELS = 5


def load_modality(path: str | Path, modality: str) -> Image.Image:
    """The image of `modality` ("rgb", "depth" or "ir") stored at `path`, fully decoded."""
    if modality not in NPZ_CHANNELS:
        raise ValueError(f"modality must be rgb, depth or ir, got {modality!r}")
    path = Path(path)
    if not path.is_file():
        raise PafasError(f"{path}: {modality} image not found")
    if path.suffix.lower() == ".npz":
        return _from_npz(path, modality)
    return decode_modality(path, modality, path)


def decode_modality(source: str | Path | BinaryIO, modality: str, name: object) -> Image.Image:
    """`load_modality` for an image file or an open binary stream (e.g. an upload); errors name `name`."""
    try:
        # PIL warns in open() (from the header); only that call is serialised, decoding runs in parallel.
        with _WARNINGS_LOCK, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", Image.DecompressionBombWarning)
            img = Image.open(source)
        with img:
            _report_large(name, img.size, caught)
            img.load()
            return _convert(img, modality)
    except Image.DecompressionBombError as exc:
        raise PafasError(f"{name}: image too large to decode safely ({exc}); shrink the file, or raise PIL's "
                         "Image.MAX_IMAGE_PIXELS if it is a genuine image") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise PafasError(f"{name}: cannot read the {modality} image ({exc})") from None


def fit_square(image: Image.Image, modality: str, side: int) -> Image.Image:
    """The model-input form of one modality: RGB in colour, depth and IR grey, `side` x `side`, bilinear.

    build-paths stores images this way and explain prepares files the same way, so a face explained
    from disk looks to the model exactly like a face of the eval sets.
    """
    image = image.convert("RGB" if modality == "rgb" else "L")
    if image.size != (side, side):
        image = image.resize((side, side), Image.Resampling.BILINEAR)
    return image


def blank_image(side: int) -> Image.Image:
    """The stand-in for a missing modality (the policy recorded in every paths manifest): black."""
    return Image.new("RGB", (side, side))


def _report_large(path: object, size: tuple[int, int], caught: list[warnings.WarningMessage]) -> None:
    """PIL's decompression-bomb warnings as the tool's own one-line warning; other warnings pass on unchanged."""
    large = False
    for item in caught:
        if issubclass(item.category, Image.DecompressionBombWarning):
            large = True
        else:
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno, source=item.source)
    if large:
        from pafas_cli.console import print_warning

        print_warning(f"{path}: very large image ({size[0]}x{size[1]}, over PIL's limit of {Image.MAX_IMAGE_PIXELS:,} "
                      "pixels); it was decoded, but check that it is the intended file (it costs memory and time)")


def _convert(img: Image.Image, modality: str) -> Image.Image:
    if img.mode in WIDE_MODES:
        grey = Image.fromarray(_to_uint8(np.asarray(img), img.mode))
        return grey.convert("RGB") if modality == "rgb" else grey
    if modality == "rgb":
        return img.convert("RGB")
    return img.convert("L")


def _to_uint8(arr: np.ndarray, mode: str) -> np.ndarray:
    """16-bit -> 8-bit by the full 16-bit range (v / 257), so absolute brightness survives; float 0-1 -> x255."""
    arr = arr.astype(np.float64)
    if mode == "F":
        scale = 255.0 if arr.max(initial=0.0) <= 1.0 else 1.0
    else:
        scale = 1 / 257 if mode.startswith("I;16") or arr.max(initial=0.0) > 255 else 1.0
    return np.clip(np.rint(arr * scale), 0, 255).astype(np.uint8)


def _from_npz(path: Path, modality: str) -> Image.Image:
    try:
        with np.load(path) as npz:
            data = np.asarray(npz["data"])
    except (OSError, ValueError, KeyError, EOFError) as exc:
        raise PafasError(f"{path}: cannot read the PADISI .npz (expected an array 'data'; {exc})") from None
    pixels = npz_pixels(data, modality, path)
    return Image.fromarray(pixels, "RGB" if modality == "rgb" else "L")


def npz_pixels(data: np.ndarray, modality: str, name: object) -> np.ndarray:
    """8-bit pixels (H, W, 3 for rgb; H, W otherwise) of one modality of a PADISI 'data' array.

    The release scales every channel 0-1 by its camera's bit depth; values outside [0, 1] mean another
    file and are refused. RGB (stored BGR) and NIR are scaled x255. Depth is not: a 16-bit depth of a face
    at 0.5-1 m is ~0.01 on that scale, two or three grey levels after x255, so it is normalised per face
    (`normalise_depth`), as CASIA-SURF and CeFA ship theirs.
    """
    if data.ndim == 4:
        data = data[0]
    if data.ndim != 3 or data.shape[0] < NPZ_MIN_CHANNELS:
        raise PafasError(f"{name}: expected 'data' of shape (1, 22, H, W) with channels first, got {data.shape}")
    channels = data[list(NPZ_CHANNELS[modality])].astype(np.float64)
    low, high = (float(channels.min()), float(channels.max())) if channels.size else (0.0, 0.0)
    if not (np.isfinite(low) and np.isfinite(high)) or low < -1e-3 or high > 1 + 1e-3:
        raise PafasError(f"{name}: the {modality} channels are not scaled 0-1 (they span {low:.4g} to {high:.4g}); "
                         "expected PADISI's MULTI-SPECTRAL preprocessed release")
    if modality == "depth":
        return normalise_depth(channels[0])
    pixels = np.clip(np.rint(channels * 255.0), 0, 255).astype(np.uint8)
    return np.moveaxis(pixels, 0, -1) if modality == "rgb" else pixels[0]


# Depth percentiles mapped to the ends of the 8-bit range (robust to a few stray pixels).
DEPTH_PERCENTILES = (2.0, 98.0)


def normalise_depth(depth: np.ndarray) -> np.ndarray:
    """A metric or bit-depth-scaled depth map (0 = no measurement) -> 8-bit, normalised per face.

    Valid pixels (> 0) between the 2nd and 98th percentile of the face's own values are stretched over
    1-255, nearer = brighter (the convention of CASIA-SURF, CeFA and WMCA's depth images); pixels without
    a measurement stay 0, and a perfectly flat map becomes mid-grey (128).
    """
    depth = np.asarray(depth, dtype=np.float64)
    out = np.zeros(depth.shape, np.uint8)
    valid = np.isfinite(depth) & (depth > 0)
    if not valid.any():
        return out
    low, high = np.percentile(depth[valid], DEPTH_PERCENTILES)
    if high - low <= 1e-12:
        out[valid] = 128
        return out
    scaled = np.clip((high - depth[valid]) / (high - low), 0.0, 1.0)
    out[valid] = (1 + np.rint(254 * scaled)).astype(np.uint8)
    return out
