"""Plan, render and write the synthetic benchmark in the MMDG list layout.

Layout written under `out/`::

    C-train.txt C-val.txt C-test.txt ... W-test.txt   lines `rgb depth ir label attack` (1 = live), CRLF
    C/train/print-wrapped/C00012_{rgb,depth,ir}.png  images; the attack word is also the folder name
    synth.json                                       generator version, seed, size, counts

Everything derives from (seed, domain, sample index), so the same seed gives byte-identical files.
The generator is versioned: once benchmarks use it, any change to what it draws is a new
GENERATOR_VERSION, never an edit of an old one.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import lru_cache, partial
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path

import numpy as np
from PIL import Image

from pafas_cli.data.config import SYNTH_VERSION
from pafas_cli.data.sources.reading import list_name
from pafas_cli.data.synth.domains import DOMAIN_SPECS, DOMAINS, SPLIT_SHARE, SPLITS, Domain, attack_mix
from pafas_cli.data.synth.face import Subject, make_subject
from pafas_cli.data.synth.scenes import draw_setting, render_scene
from pafas_cli.data.synth.sensors import capture

GENERATOR_VERSION = SYNTH_VERSION
INFO_FILE = "synth.json"
# Samples per unit of work handed to a worker process.
CHUNK = 50


@dataclass(frozen=True)
class Item:
    """One planned sample."""

    domain: str
    split: str
    index: int
    slug: str
    wearer: int
    target: int
    medical_glasses: bool

    @property
    def stem(self) -> str:
        return f"{self.domain}/{self.split}/{self.slug}/{self.domain}{self.index:05d}"


def apportion(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Split `total` by weights with the largest-remainder rule (deterministic counts)."""
    norm = sum(weights.values())
    raw = {k: total * w / norm for k, w in weights.items()}
    counts = {k: int(v) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: (counts[k] - raw[k], k))[: total - sum(counts.values())]:
        counts[k] += 1
    return counts


def seeded_rng(seed: int, *keys: int) -> np.random.Generator:
    """A generator of its own for each (seed, keys): what one sample draws never shifts another's."""
    return np.random.default_rng(np.random.SeedSequence([seed, *keys]))


def subjects(domain: Domain, seed: int) -> list[Subject]:
    """The domain's identities, `domain.subjects` per split (split k owns ids k*n .. k*n+n-1)."""
    d = DOMAINS.index(domain.name)
    tones, weights = list(domain.skin), np.array(list(domain.skin.values()))
    out = []
    for i in range(domain.subjects * len(SPLITS)):
        rng = seeded_rng(seed, d, 1_000_000 + i)
        out.append(make_subject(rng, str(rng.choice(tones, p=weights / weights.sum()))))
    return out


def plan(per_domain: int, seed: int) -> list[Item]:
    """Every sample to draw: split sizes, live share and attack mix per domain, deterministic."""
    items = []
    for d, name in enumerate(DOMAINS):
        domain = DOMAIN_SPECS[name]
        sizes = apportion(per_domain, SPLIT_SHARE)
        index = 0
        for k, split in enumerate(SPLITS):
            n = sizes[split]
            n_live = round(n * domain.live_share)
            slugs = ["live"] * n_live
            for slug, count in apportion(n - n_live, attack_mix(domain, split)).items():
                slugs += [slug] * count
            rng = seeded_rng(seed, d, 2_000_000 + k)
            rng.shuffle(slugs)
            pool = np.arange(domain.subjects) + k * domain.subjects
            for slug in slugs:
                wearer, target = rng.choice(pool, 2, replace=False)
                glasses = slug == "live" and rng.random() < domain.medical_glasses
                items.append(Item(name, split, index, slug, int(wearer), int(target), bool(glasses)))
                index += 1
    return items


def render(item: Item, people: list[Subject], seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The stored (rgb, depth, ir) arrays of one planned sample."""
    domain = DOMAIN_SPECS[item.domain]
    rng = seeded_rng(seed, DOMAINS.index(item.domain), item.index)
    setting = draw_setting(rng, domain.size, outdoor=bool(rng.random() < domain.outdoor))
    scene = render_scene(setting, item.slug, people[item.wearer], people[item.target], item.medical_glasses)
    return capture(scene, domain, setting)


def write_item(out: Path, item: Item, arrays: tuple[np.ndarray, np.ndarray, np.ndarray]) -> list[str]:
    """Save the three images; returns their root-relative paths (rgb, depth, ir)."""
    folder = out / item.stem
    folder.parent.mkdir(parents=True, exist_ok=True)
    rels = []
    for modality, arr in zip(("rgb", "depth", "ir"), arrays):
        rel = f"{item.stem}_{modality}.png"
        Image.fromarray(arr).save(out / rel, compress_level=1)
        rels.append(rel)
    return rels


@lru_cache(maxsize=8)
def _people(domain: str, seed: int) -> list[Subject]:
    return subjects(DOMAIN_SPECS[domain], seed)


def _render_chunk(out: Path, seed: int, items: list[Item]) -> list[tuple[Item, list[str]]]:
    """Render and save a chunk of items (runs in a worker process)."""
    return [(item, write_item(out, item, render(item, _people(item.domain, seed), seed))) for item in items]


def draw_chunks(work: Callable[[list], list[tuple]], items: list, workers: int | None = None,
                progress: Callable[[int, int], None] | None = None) -> dict:
    """item -> result, from `work(chunk) -> [(item, result), ...]` run over chunks of CHUNK items.

    Items are independent (each seeds its own generator), so chunks run in parallel worker processes
    (fork); the results do not depend on the number of workers. `progress(done, total)` is called as
    chunks finish.
    """
    chunks = [items[i:i + CHUNK] for i in range(0, len(items), CHUNK)]
    workers = workers or min(4, os.cpu_count() or 1)
    if "fork" not in get_all_start_methods():
        workers = 1  # spawn would re-import the caller's __main__; drawing serially is still correct
    results: dict = {}
    if workers == 1:
        for chunk in chunks:
            results.update(work(chunk))
            if progress:
                progress(len(results), len(items))
    else:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as pool:
            for future in as_completed([pool.submit(work, chunk) for chunk in chunks]):
                results.update(future.result())
                if progress:
                    progress(len(results), len(items))
    return results


def generate(out: Path, per_domain: int, seed: int, workers: int | None = None, progress=None) -> dict:
    """Write the whole benchmark under `out`; returns the counts (also written to synth.json).

    The output does not depend on the number of `workers` (see `draw_chunks`).
    """
    out.mkdir(parents=True, exist_ok=True)
    items = plan(per_domain, seed)
    rels = draw_chunks(partial(_render_chunk, out, seed), items, workers, progress)
    lines: dict[tuple[str, str], list[str]] = {(d, s): [] for d in DOMAINS for s in SPLITS}
    for item in items:
        r = rels[item]
        lines[(item.domain, item.split)].append(f"{r[0]} {r[1]} {r[2]} {int(item.slug == 'live')} {item.slug}")
    for (domain, split), rows in lines.items():
        (out / list_name(domain, split)).write_bytes("".join(r + "\r\n" for r in rows).encode())
    counts = Counter((i.domain, i.split, i.slug) for i in items)
    info = {
        "generator_version": GENERATOR_VERSION, "seed": seed, "per_domain": per_domain,
        "sizes": {d: list(DOMAIN_SPECS[d].size) for d in DOMAINS},
        "counts": [{"domain": d, "split": s, "attack": a, "n": n} for (d, s, a), n in sorted(counts.items())],
    }
    (out / INFO_FILE).write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    return info


def read_info(root: Path) -> dict | None:
    """The synth.json of a benchmark folder, or None."""
    path = root / INFO_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
