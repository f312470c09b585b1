"""The per-image processor cache: the batches TRL's collator builds are the same tensors with and without it."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from PIL import Image

from pafas_cli.model.image_cache import CachedCalls, ImageCache, caching_images
from pafas_cli.paths.prompt import build_user_turn


def triple(seed: int, side: int = 56) -> list:
    rng = np.random.default_rng(seed)
    return [Image.fromarray(rng.integers(0, 255, (side, side, 3), dtype=np.uint8)) for _ in range(3)]


def sft_rows(n_rows: int, n_faces: int) -> list[dict]:
    """Prompt-completion rows as pafas' SFT set holds them: each face's images repeated over several rows
    (decoded anew for every row, as `datasets` does), each row with its own answer."""
    rows = []
    for i in range(n_rows):
        face = i % n_faces
        rows.append({"prompt": [{"role": "user", "content": build_user_turn(["rgb", "depth", "ir"])}],
                     "completion": [{"role": "assistant", "content": [
                         {"type": "text", "text": f"<think>path {i}</think><answer>['Real Face']</answer>"}]}],
                     "images": [im.copy() for im in triple(face)]})
    return rows


@pytest.fixture
def collator(built):
    from trl.trainer.sft_trainer import DataCollatorForVisionLanguageModeling

    return DataCollatorForVisionLanguageModeling(processor=built.processor, completion_only_loss=True)


def test_trl_collator_batches_are_identical_with_the_cache(built, collator):
    rows = sft_rows(8, 3)
    expected = collator(copy.deepcopy(rows))
    cache = ImageCache(2**30)
    cached = CachedCalls(collator, built.processor, cache)
    first, again = cached(copy.deepcopy(rows)), cached(copy.deepcopy(rows[::-1]))
    reversed_expected = collator(copy.deepcopy(rows[::-1]))
    assert set(first) == set(expected) >= {"input_ids", "attention_mask", "labels", "pixel_values", "image_grid_thw"}
    for key in expected:
        assert torch.equal(first[key], expected[key]), key
        assert torch.equal(again[key], reversed_expected[key]), key
    assert (cache.misses, cache.hits, len(cache)) == (9, 39, 9)  # 3 faces x 3 images processed once
    assert type(built.processor.image_processor).__name__ == "Qwen2VLImageProcessorPil"  # put back after


def test_the_oldest_images_leave_a_full_cache(built):
    processor = built.processor.image_processor
    images = triple(0) + triple(1)
    one = processor([images[0]], return_tensors="pt")["pixel_values"].nbytes
    cache = ImageCache(2 * one)
    expected = processor(images, return_tensors="pt")
    got = cache.process(processor, images, return_tensors="pt")
    assert len(cache) == 2 and cache.bytes == 2 * one
    for key in expected:
        assert torch.equal(got[key], expected[key])
    cache.process(processor, [images[0]], return_tensors="pt")
    assert cache.misses == 7  # the first image had left


def test_same_pixels_are_one_entry_other_arguments_another(built):
    processor = built.processor.image_processor
    cache = ImageCache(2**30)
    a, b = triple(0)[0], triple(0)[0]  # equal content, different objects
    cache.process(processor, [a], return_tensors="pt")
    cache.process(processor, [b], return_tensors="pt")
    assert (cache.misses, cache.hits) == (1, 1)
    cache.process(processor, [a], return_tensors="np")
    assert cache.misses == 2


def test_what_is_not_a_pil_image_goes_to_the_processor(built):
    processor = built.processor.image_processor
    array = np.asarray(triple(0)[0])
    cache = ImageCache(2**30)
    got = cache.process(processor, [array], return_tensors="pt")
    assert torch.equal(got["pixel_values"], processor([array], return_tensors="pt")["pixel_values"])
    assert (cache.misses, cache.hits, len(cache)) == (0, 0, 0)


def test_the_processor_is_put_back_when_the_block_fails(built):
    real = built.processor.image_processor
    with pytest.raises(RuntimeError), caching_images(built.processor, ImageCache(2**20)):
        assert built.processor.image_processor is not real
        raise RuntimeError
    assert built.processor.image_processor is real
