"""The corpus on disk: layout, shares, determinism, and images that show what their records say."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pafas_cli.data.pretrain.generate import generate, read_info, read_samples
from pafas_cli.data.pretrain.config import CorpusConfig
from pafas_cli.data.pretrain.generate import plan
from pafas_cli.data.pretrain.objects import KINDS
from pafas_cli.data.pretrain.rig import SIDE
from pafas_cli.data.pretrain.truth import NAMES
from pafas_cli.errors import PafasError


def test_the_plan_follows_the_kind_shares_and_holds_out_the_val_share():
    items = plan(1000, seed=3, val_share=0.05)
    kinds = Counter(i.kind for i in items)
    assert sum(kinds.values()) == 1000
    for kind, share in KINDS.items():
        assert abs(kinds[kind] - 1000 * share / sum(KINDS.values())) <= 1
    assert sum(i.split == "val" for i in items) == 50
    assert {i.overlay for i in items if i.kind != "skin"} == {None}
    assert {i.overlay for i in items if i.kind == "skin"} == {None, "ink", "pigment", "paper-patch"}
    assert len({i.id for i in items}) == 1000


def test_every_scene_has_three_8_bit_images_of_one_size_a_text_and_known_attributes(corpus_root):
    records = read_samples(corpus_root)
    assert [r["id"] for r in records] == sorted(r["id"] for r in records)
    for r in records:
        sizes = set()
        for path, mode in zip(r["images"], ("RGB", "L", "L")):
            with Image.open(path) as image:
                assert image.mode == mode
                sizes.add(image.size)
        (w, h), = sizes
        assert [h, w] == r["rig"]["size"] and SIDE[0] <= h <= SIDE[1]
        assert r["text"] and set(r["attributes"]) <= set(NAMES)
    info = read_info(corpus_root)
    assert sum(c["n"] for c in info["counts"]) == len(records) and info["attributes"] == list(NAMES)
    assert {c["kind"] for c in info["counts"]} == set(KINDS)


def _centre(path: str) -> np.ndarray:
    a = np.asarray(Image.open(path), np.float64)
    h, w = a.shape[:2]
    return a[h // 3: 2 * h // 3, w // 3: 2 * w // 3]


def test_screens_are_darker_in_ir_than_paper_and_skin_and_show_more_depth_dropouts(corpus_root):
    """What the attributes say is in the pixels: screens emit no NIR and their glass loses depth."""
    records = read_samples(corpus_root)
    ir = {k: np.median([_centre(r["images"][2]).mean() for r in records if r["kind"] == k]) for k in
          ("phone", "monitor", "paper", "skin")}
    assert max(ir["phone"], ir["monitor"]) < min(ir["paper"], ir["skin"])
    holes = {k: np.mean([(_centre(r["images"][1]) == 0).mean() for r in records if r["kind"] == k])
             for k in ("monitor", "wood")}
    assert holes["monitor"] > holes["wood"]


def test_the_same_settings_give_byte_identical_files_whatever_the_workers(tmp_path):
    cfg = CorpusConfig(samples=24, seed=5)
    generate(tmp_path / "a", cfg, workers=1)
    generate(tmp_path / "b", cfg, workers=2)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert len(files) == 24 * 3 + 2
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)
    generate(tmp_path / "c", CorpusConfig(samples=24, seed=6), workers=1)
    assert (tmp_path / "c" / "samples.jsonl").read_bytes() != (tmp_path / "a" / "samples.jsonl").read_bytes()


def test_a_folder_without_a_corpus_is_one_clear_error(tmp_path):
    with pytest.raises(PafasError, match="not a pretraining corpus"):
        read_samples(tmp_path)


def test_the_val_split_is_read_alone(corpus_root):
    val = read_samples(corpus_root, "val")
    assert val and {r["split"] for r in val} == {"val"}
    assert len(val) + len(read_samples(corpus_root, "train")) == len(read_samples(corpus_root))
    stored = json.loads((Path(corpus_root) / "samples.jsonl").read_text().splitlines()[0])["images"]
    assert not any(Path(p).is_absolute() for p in stored)
