"""Resize each sample's images once into the version folder; rows reference them by relative path.

This is what keeps N reasoning paths per sample from costing N copies of its images.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image

from pafas_cli.console import track
from pafas_cli.data.images import blank_image, fit_square
from pafas_cli.data.sample import MODALITIES, FaceSample
from pafas_cli.errors import PafasError

BLANK = "images/blank.png"
# A sensor image loader: (path, modality) -> PIL image.
Loader = Callable[[str, str], Image.Image]


class ImageStore:
    """Writes `images/<id>_<modality>.png` (RGB stays colour, depth and IR are stored grey) and a blank image."""

    def __init__(self, root: Path, size: int, loader: Loader):
        self.root, self.size, self.loader = root, size, loader
        (root / "images").mkdir(parents=True, exist_ok=True)
        blank_image(size).save(root / BLANK)
        self._done: dict[tuple[str, str], str] = {}

    def add_all(self, samples: Sequence[FaceSample], description: str) -> dict[str, list[str]]:
        """Sample id -> relative image paths (RGB, depth, IR; the blank image for a missing one).

        Decoding, resizing and PNG encoding release the GIL, so a few threads use every core.
        """
        todo = list({(s.id, m): s for s in samples for m in MODALITIES if s.path_of(m)}.items())
        with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
            results = pool.map(lambda item: self._one(item[1], item[0][1]), todo)
            for (key, _), rel in zip(todo, track(results, description, total=len(todo))):
                self._done[key] = rel
        return {s.id: [self._done.get((s.id, m), BLANK) for m in MODALITIES] for s in samples}

    def _one(self, sample: FaceSample, modality: str) -> str:
        source = sample.path_of(modality)
        try:
            image = self.loader(source, modality)
        except (OSError, ValueError) as exc:
            raise PafasError(f"sample {sample.id}: cannot read the {modality} image {source}: {exc}") from None
        image = fit_square(image, modality, self.size)
        rel = f"images/{_safe(sample.id)}_{modality}.png"
        image.save(self.root / rel, compress_level=1)
        return rel

    @property
    def count(self) -> int:
        return len(self._done)


def _safe(sample_id: str) -> str:
    """A file-name-safe, collision-free stem for a sample id."""
    digest = hashlib.sha1(sample_id.encode()).hexdigest()[:8]
    return f"{re.sub(r'[^A-Za-z0-9.-]+', '_', sample_id)[-60:]}-{digest}"
