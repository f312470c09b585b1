"""Plan, render and write the pretraining corpus; read it back.

Layout written under `out/`::

    samples.jsonl                  one record per scene (index order): id, split (train | val), kind, overlay,
                                   images (rgb, depth, ir; relative paths), text, attributes, facts, measures, rig
    corpus.json                    generator version, seed, counts, attribute names, the rig rule and how near
                                   the corpus came to each benchmark domain
    <kind>/K000012_{rgb,depth,ir}.png

Not the benchmark's list layout (`rgb depth ir label attack` lines): its label column is live/spoof, which a
corpus scene has not got, and a placeholder label would let `data.source=list` read these objects as faces.
Images are stored at the rig's size (64-112 px a side, like the benchmark's) in 8 bits: a 16-bit capture is
scaled by v / 257 as `data.images.load_modality` decodes the benchmark's 16-bit files, so every reader (TRL's
PIL decoding included) sees what a benchmark image of that rig would look like.
Everything derives from (seed, scene index), so the same settings give byte-identical files.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import numpy as np

from pafas_cli.data.pretrain.captions import caption
from pafas_cli.data.pretrain.config import CORPUS_VERSION, CorpusConfig
from pafas_cli.data.pretrain.objects import KINDS, OVERLAYS, build
from pafas_cli.data.pretrain.rig import KEYS, STAGING, benchmark_distances, draw_rig, record
from pafas_cli.data.pretrain.truth import NAMES, attributes, measure
from pafas_cli.data.synth.generate import apportion, draw_chunks, seeded_rng, write_item
from pafas_cli.data.synth.scenes import draw_setting
from pafas_cli.data.synth.sensors import capture
from pafas_cli.errors import PafasError

INFO_FILE = "corpus.json"
SAMPLES_FILE = "samples.jsonl"
# Keys of seeded_rng(seed, ...): the plan, and each scene.
PLAN_KEY, SCENE_KEY = 0, 1


@dataclass(frozen=True)
class Planned:
    """One scene to draw."""

    index: int
    kind: str
    overlay: str | None
    split: str

    @property
    def id(self) -> str:
        return f"K{self.index:06d}"

    @property
    def stem(self) -> str:
        return f"{self.kind}/{self.id}"


def plan(samples: int, seed: int, val_share: float) -> list[Planned]:
    """Every scene: kinds in the shares of `objects.KINDS` (shuffled), overlays on skin, the first `val_share` held out."""
    kinds = [kind for kind, n in apportion(samples, KINDS).items() for _ in range(n)]
    rng = seeded_rng(seed, PLAN_KEY)
    rng.shuffle(kinds)
    n_val = max(1, round(samples * val_share))
    names, cumulative = list(OVERLAYS), np.cumsum(list(OVERLAYS.values()))
    items = []
    for i, kind in enumerate(kinds):
        draw = rng.random()
        overlay = names[int(np.searchsorted(cumulative, draw, side="right"))] if draw < cumulative[-1] else None
        items.append(Planned(i, kind, overlay if kind == "skin" else None, "val" if i < n_val else "train"))
    return items


def render(item: Planned, seed: int, margin: float) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], dict]:
    """The stored (rgb, depth, ir) arrays of one scene and its record (without image paths)."""
    rng = seeded_rng(seed, SCENE_KEY, item.index)
    rig = draw_rig(rng, margin)
    setting = draw_setting(rng, rig.size, bool(rig.outdoor), STAGING)
    scene, facts = build(setting, item.kind, item.overlay)
    arrays = capture(scene, rig, setting)
    measures = measure(scene, arrays[1], arrays[2])
    names = attributes(item.kind, item.overlay, measures)
    text = caption(item.kind, item.overlay, facts, names, measures, rig, rng)
    return arrays, {"id": item.id, "split": item.split, "kind": item.kind, "overlay": item.overlay, "text": text,
                    "attributes": names, "facts": facts, "measures": measures, "rig": record(rig),
                    "benchmark_distance": {d: round(v, 4) for d, v in benchmark_distances(rig).items()}}


def _render_chunk(out: Path, seed: int, margin: float, items: list[Planned]) -> list[tuple[Planned, dict]]:
    """Render and save a chunk of scenes (runs in a worker process)."""
    done = []
    for item in items:
        arrays, rec = render(item, seed, margin)
        stored = tuple(a if a.dtype == np.uint8 else np.rint(a / 257).astype(np.uint8) for a in arrays)
        done.append((item, {**rec, "images": write_item(out, item, stored)}))
    return done


def generate(out: Path, cfg: CorpusConfig, workers: int | None = None, progress=None) -> dict:
    """Write the corpus under `out`; returns its info (also written to corpus.json).

    The output does not depend on the number of `workers` (see `synth.generate.draw_chunks`).
    """
    out.mkdir(parents=True, exist_ok=True)
    items = plan(cfg.samples, cfg.seed, cfg.val_share)
    records = draw_chunks(partial(_render_chunk, out, cfg.seed, cfg.margin), items, workers, progress)
    ordered = [records[item] for item in items]
    with (out / SAMPLES_FILE).open("w", encoding="utf-8") as fh:
        for rec in ordered:
            fh.write(json.dumps(rec, sort_keys=True) + "\n")
    counts = Counter((r["kind"], r["overlay"] or "", r["split"]) for r in ordered)
    info = {
        "corpus_version": CORPUS_VERSION, **asdict(cfg),
        "counts": [{"kind": k, "overlay": o or None, "split": s, "n": n} for (k, o, s), n in sorted(counts.items())],
        "attributes": list(NAMES),
        "rig_rule": {"keys": list(KEYS), "margin": cfg.margin,
                     "nearest_benchmark": {d: min(r["benchmark_distance"][d] for r in ordered)
                                           for d in ordered[0]["benchmark_distance"]}},
    }
    (out / INFO_FILE).write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    return info


def read_info(root: Path) -> dict | None:
    """The corpus.json of a corpus folder, or None."""
    path = Path(root) / INFO_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def read_samples(root: str | Path, split: str | None = None) -> list[dict]:
    """The records of a corpus folder (all, or one split), with `images` as absolute paths (rgb, depth, ir)."""
    root = Path(root)
    path = root / SAMPLES_FILE
    if not path.is_file():
        raise PafasError(f"{root}: not a pretraining corpus (no {SAMPLES_FILE}); draw one with "
                         "data.pretrain.version.write_version")
    base = str(root.resolve())
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if split is None or rec["split"] == split:
                rec["images"] = [f"{base}/{p}" for p in rec["images"]]
                out.append(rec)
    return out
