"""The image processor's output per image, computed once per distinct image instead of once per row.

An SFT set holds N reasoning paths per face (N = 50 in the quickstart), so TRL's collator runs the image
processor (resize, normalise, cut into patches) on the same three images N times; GRPO repeats each
prompt's images num_generations times in a batch and processes them twice per step (for generation
and for the forward pass). `ImageCache` keeps each image's `pixel_values` rows and `image_grid_thw` row,
keyed by the image's content (mode, size and a hash of its pixels) and the processor's keyword
arguments, and `caching_images(processor, cache)` puts it in front of the processor's image processor
for a block of code: every caller inside (TRL's collator, TRL's generation, `infer/generate.encode`)
gets, for each image, the very tensors the processor computes for it. The processor itself is left
unchanged outside the block (a trainer saving it mid-run writes the real one).

Only processors whose image output is exactly `pixel_values` (rows per image = the product of its grid
row) and `image_grid_thw` are cached (Qwen2-VL / Qwen2.5-VL); anything else goes to the processor as is.
The cache holds at most `max_bytes` of pixel values (least recently used out first).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CACHED_KEYS = {"pixel_values", "image_grid_thw"}


class ImageCache:
    """Per-image processor outputs, least recently used first out beyond `max_bytes`."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self.enabled = True
        self._entries: OrderedDict[bytes, tuple[Any, Any]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def process(self, image_processor: Any, images: Any, **kwargs: Any) -> Any:
        """What `image_processor(images, **kwargs)` returns, each distinct image processed once."""
        from transformers.image_utils import make_flat_list_of_images

        flat = make_flat_list_of_images(images) if self.enabled else []
        keys = [_key(image, kwargs) for image in flat]
        if not keys or any(k is None for k in keys):
            return image_processor(images, **kwargs)
        # This call's entries are kept here, so that a batch larger than the cache still finds its own.
        found = {k: self._get(k) for k in keys if k in self._entries}
        todo = {k: image for k, image in zip(keys, flat) if k not in found}
        if todo:
            fresh = image_processor(list(todo.values()), **kwargs)
            if set(fresh.keys()) != CACHED_KEYS:
                self.enabled = False  # another processor's layout: never cached
                return image_processor(images, **kwargs)
            for k, entry in zip(todo, _split(fresh)):
                found[k] = entry
                self._add(k, entry)
        self.misses += len(todo)
        self.hits += len(keys) - len(todo)
        return _join([found[k] for k in keys])

    def _get(self, key: bytes) -> tuple[Any, Any]:
        self._entries.move_to_end(key)
        return self._entries[key]

    def _add(self, key: bytes, entry: tuple[Any, Any]) -> None:
        self._entries[key] = entry
        self.bytes += entry[0].nbytes
        while self.bytes > self.max_bytes and len(self._entries) > 1:
            _, (pixels, _) = self._entries.popitem(last=False)
            self.bytes -= pixels.nbytes


def _key(image: Any, kwargs: dict) -> bytes | None:
    """Content key of a PIL image under these processor arguments (None: not a PIL image, not cached)."""
    from PIL import Image

    if not isinstance(image, Image.Image):
        return None
    digest = hashlib.blake2b(image.tobytes(), digest_size=16)
    digest.update(f"{image.mode}|{image.size}|{sorted(kwargs.items())!r}".encode())
    return digest.digest()


def _split(batch: Any) -> Iterator[tuple[Any, Any]]:
    """(pixel rows, grid row) of each image of one processor output, as copies (a slice would keep the whole
    batch's tensor alive)."""
    pixels, grids = batch["pixel_values"], batch["image_grid_thw"]
    start = 0
    for i in range(len(grids)):
        rows = int(grids[i].prod())
        yield _copy(pixels[start:start + rows]), _copy(grids[i:i + 1])
        start += rows


def _copy(array: Any) -> Any:
    return array.clone() if hasattr(array, "clone") else array.copy()


def _join(entries: list[tuple[Any, Any]]) -> Any:
    """One processor output (a BatchFeature) from per-image entries, in order."""
    from transformers import BatchFeature

    if hasattr(entries[0][0], "clone"):
        from torch import cat
    else:
        from numpy import concatenate as cat
    return BatchFeature({"pixel_values": cat([p for p, _ in entries]), "image_grid_thw": cat([g for _, g in entries])})


def image_cache(mib: int) -> ImageCache | None:
    """A cache of `mib` MiB, or None for 0 (the recipe keys `sft.image_cache_mib` / `rl.image_cache_mib`)."""
    return ImageCache(mib * 2**20) if mib > 0 else None


class CachedCalls:
    """`fn` called inside `caching_images(processor, cache)`: e.g. a trainer's data collator."""

    def __init__(self, fn: Any, processor: Any, cache: ImageCache):
        self.fn, self.processor, self.cache = fn, processor, cache

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with caching_images(self.processor, self.cache):
            return self.fn(*args, **kwargs)


class _CachedImageProcessor:
    """Stands in for an image processor inside `caching_images`: calls go through the cache, everything
    else (merge_size, fetch_images, ...) to the real one."""

    def __init__(self, real: Any, cache: ImageCache):
        self._real, self._cache = real, cache

    def __call__(self, images: Any = None, **kwargs: Any) -> Any:
        return self._cache.process(self._real, images, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@contextmanager
def caching_images(processor: Any, cache: ImageCache | None) -> Iterator[None]:
    """Inside the block, `processor`'s image processor answers from `cache` (None: no cache)."""
    real = getattr(processor, "image_processor", None)
    if cache is None or real is None or isinstance(real, _CachedImageProcessor):
        yield
        return
    processor.image_processor = _CachedImageProcessor(real, cache)
    try:
        yield
    finally:
        processor.image_processor = real
