"""Build the contents of one `paths` version from the protocol's samples (no workspace, no printing).

Train samples become the RL set (prompt + label) and the SFT set (augmentation variant, then
shuffling); dev and test samples become eval sets, plus Protocol-2 copies of test with modalities
removed. Everything random is seeded from the recipe seed and the sample id, so a sample's paths do
not depend on which other samples are in the build.
"""

from __future__ import annotations

import random
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from pafas_cli.console import track
from pafas_cli.data.sample import MODALITIES, FaceSample
from pafas_cli.errors import PafasError
from pafas_cli.paths.answer import format_list
from pafas_cli.paths.config import PathsConfig
from pafas_cli.paths.images import ImageStore, Loader
from pafas_cli.paths.pnrps import PathSampler, ReasoningPath
from pafas_cli.paths.prompt import user_text
from pafas_cli.paths.shuffle import swap_sources
from pafas_cli.paths.store import write_table, write_texts
from pafas_cli.paths.taxonomy import Taxonomy, load_taxonomy
from pafas_cli.paths.tree import ReasoningTree, load_tree

# Protocol-2 eval sets: modalities removed from every test sample -> set name.
MISSING_NAMES = {("depth",): "test_missing_depth", ("ir",): "test_missing_ir", ("depth", "ir"): "test_missing_both"}


@dataclass
class BuildStats:
    """What the summary table and the manifest report."""

    rows: dict[str, int] = field(default_factory=dict)
    unique_paths: int = 0
    duplicate_draws: int = 0
    samples_short: int = 0  # samples that yielded fewer than n_paths distinct paths
    steps_histogram: dict[int, int] = field(default_factory=dict)
    explorations_mean: float = 0.0
    think_chars_mean: float = 0.0
    think_words_mean: float = 0.0
    images_written: int = 0
    answers_shuffled: int = 0
    thinks_shuffled: int = 0


@dataclass
class Built:
    stats: BuildStats
    sampler: PathSampler
    paths: list[tuple[int, ReasoningPath | None]]  # per SFT row: (train sample index, its own path)


def load_reasoning(cfg: PathsConfig) -> ReasoningTree:
    """The taxonomy and reasoning tree the recipe names, checked (call before any heavy work)."""
    return load_tree(cfg.tree, load_taxonomy(cfg.taxonomy))


def build_version(cfg: PathsConfig, tree: ReasoningTree, train: Sequence[FaceSample], dev: Sequence[FaceSample],
                  test: Sequence[FaceSample], out: Path, seed: int, loader: Loader,
                  missing: Sequence[tuple[str, ...]] = ()) -> Built:
    """Write images/, rl/, eval/*, sft/, clauses.json and corpus.txt into `out`.

    `missing` lists the modality sets blanked in extra copies of the test set (Protocol 2).
    """
    taxonomy = tree.taxonomy
    for sample in (*train, *dev, *test):
        _check_sample(sample, taxonomy)
    if not train:
        raise PafasError("the protocol gave no training samples; check the data section of the recipe")
    stats = BuildStats()
    images = ImageStore(out, cfg.image_size, loader)
    rel = images.add_all([*train, *dev, *test], "resizing images")
    stats.images_written = images.count

    stats.rows["rl"] = write_table(out, "rl", "rl", _sample_columns(train, rel))
    eval_sets = {"dev": list(dev), "test": list(test)}
    for removed in missing:
        eval_sets[MISSING_NAMES[tuple(removed)]] = [_without(s, tuple(removed)) for s in test]
    for name, samples in eval_sets.items():
        if samples:
            cols = _sample_columns(samples, rel)
            cols["split"] = [s.split for s in samples]
            stats.rows[f"eval/{name}"] = write_table(out, f"eval/{name}", "eval", cols)

    sampler = PathSampler(tree, cfg.alpha, cfg.explore_rate, cfg.verify_rate)
    own = _sample_paths(cfg, train, sampler, seed, stats)
    sft = {"sample": [i for i, _ in own], "path": [], "think": [], "answer_sample": [], "think_sample": []}
    counter: Counter[int] = Counter()
    for i, path in own:
        sft["path"].append(counter[i])
        counter[i] += 1
        sft["think"].append(list(path.clauses) if path else [])
        sft["answer_sample"].append(i)
        sft["think_sample"].append(i)
    if cfg.shuffle != "none":
        sources = swap_sources(sft["sample"], cfg.shuffle_rate, random.Random(f"{seed}:shuffle"))
        if cfg.shuffle == "answer":
            sft["answer_sample"] = [sft["sample"][j] for j in sources]
        else:
            sft["think"] = [sft["think"][j] for j in sources]
            sft["think_sample"] = [sft["sample"][j] for j in sources]
    stats.answers_shuffled = sum(a != s for a, s in zip(sft["answer_sample"], sft["sample"]))
    stats.thinks_shuffled = sum(t != s for t, s in zip(sft["think_sample"], sft["sample"]))
    stats.rows["sft"] = write_table(out, "sft", "sft", sft)

    lengths = [sampler.table.render(t) for t in sft["think"] if t]
    stats.think_chars_mean = statistics.fmean(map(len, lengths)) if lengths else 0.0
    stats.think_words_mean = statistics.fmean(len(t.split()) for t in lengths) if lengths else 0.0
    corpus = sorted({user_text(s.modalities) for samples in eval_sets.values() for s in samples}
                    | {user_text(s.modalities) for s in train})
    corpus += sampler.table.texts + sorted({format_list(s.attack) for s in (*train, *dev, *test)})
    write_texts(out, sampler.table.texts, corpus)
    return Built(stats, sampler, own)


def _sample_paths(cfg: PathsConfig, train: Sequence[FaceSample], sampler: PathSampler, seed: int,
                  stats: BuildStats) -> list[tuple[int, ReasoningPath | None]]:
    """Each training sample's own SFT rows for the augmentation variant."""
    rows: list[tuple[int, ReasoningPath | None]] = []
    for i, sample in enumerate(track(train, f"sampling reasoning paths ({cfg.augmentation})")):
        if cfg.augmentation == "raw":
            rows.append((i, None))
            continue
        if cfg.augmentation == "single":
            paths, duplicates = [sampler.canonical(sample.attack, sample.modalities)], 0
        else:
            rng = random.Random(f"{seed}:paths:{sample.id}")
            paths, duplicates = sampler.distinct(sample.attack, sample.modalities, cfg.n_paths, rng,
                                                 cfg.n_paths * cfg.max_draws_factor)
        stats.duplicate_draws += duplicates
        stats.samples_short += len(paths) < (cfg.n_paths if cfg.augmentation == "path" else 1)
        rows += [(i, p) for p in paths]
    walked = [p for _, p in rows if p is not None]
    stats.unique_paths = len({(i, p.clauses) for i, p in rows if p is not None})
    stats.steps_histogram = dict(sorted(Counter(len(p.steps) for p in walked).items()))
    stats.explorations_mean = statistics.fmean(sum(s.op == "-" for s in p.steps) for p in walked) if walked else 0.0
    return rows


def _sample_columns(samples: Sequence[FaceSample], rel: dict[str, list[str]]) -> dict[str, list]:
    return {
        "id": [s.id for s in samples],
        "label": [s.label for s in samples],
        "attack": [list(s.attack) for s in samples],
        "domain": [s.domain for s in samples],
        "modalities": [list(s.modalities) for s in samples],
        "images": [[p if s.path_of(m) else "images/blank.png" for p, m in zip(rel[s.id], MODALITIES)]
                   for s in samples],
        "solution": [format_list(s.attack) for s in samples],
    }


def _without(sample: FaceSample, removed: tuple[str, ...]) -> FaceSample:
    """A test sample as Protocol 2 shows it: the removed modalities are missing (blank image, no text)."""
    return replace(sample, **{m: None for m in removed})


def _check_sample(sample: FaceSample, taxonomy: Taxonomy) -> None:
    if not taxonomy.is_valid_path(sample.attack):
        raise PafasError(f"sample {sample.id}: attack {list(sample.attack)} is not a top-down path of the taxonomy "
                         f"{taxonomy.source}")
    if taxonomy.decision(sample.attack) != sample.label:
        raise PafasError(f"sample {sample.id}: label {sample.label} disagrees with its attack path "
                         f"{list(sample.attack)}")
    if not sample.modalities:
        raise PafasError(f"sample {sample.id}: has no image at all")
