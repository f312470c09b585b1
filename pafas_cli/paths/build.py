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
from pafas_cli.data.config import MISSING_VARIANTS, P2_DEV_SETS, P2_TEST_SETS
from pafas_cli.data.sample import MODALITIES, FaceSample
from pafas_cli.errors import PafasError
from pafas_cli.paths.answer import format_list
from pafas_cli.paths.config import PathsConfig
from pafas_cli.paths.images import BLANK, ImageStore, Loader
from pafas_cli.paths.pnrps import PathSampler, ReasoningPath
from pafas_cli.paths.prompt import user_text
from pafas_cli.paths.shuffle import swap_sources
from pafas_cli.paths.store import write_table, write_texts
from pafas_cli.paths.taxonomy import Taxonomy, load_taxonomy
from pafas_cli.paths.tree import ReasoningTree, load_tree


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
    rows_blanked: int = 0  # SFT rows with modalities blanked by paths.modality_dropout
    answers_shuffled: int = 0
    thinks_shuffled: int = 0
    # Shuffling moves values between rows, so some rows still end up with their own sample's label path or
    # at least its live/spoof branch: the shares of SFT rows whose answer is their image's label path / branch.
    answer_own_label: float = 0.0
    answer_own_branch: float = 0.0
    # Shortcuts the reasoning text offers, measured over the SFT rows (see `path_statistics`).
    length_shortcut_auc: float | None = None
    think_words_live: float = 0.0
    think_words_spoof: float = 0.0
    distinct_step_sequences_live: float | None = None
    distinct_step_sequences_spoof: float | None = None
    exploration_by_level: dict[str, dict[int, float]] = field(default_factory=dict)


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

    `missing` lists the modality sets blanked in extra copies of the test and the dev set (Protocol 2).
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
        eval_sets[P2_DEV_SETS[tuple(removed)]] = [_without(s, tuple(removed)) for s in dev]
        eval_sets[P2_TEST_SETS[tuple(removed)]] = [_without(s, tuple(removed)) for s in test]
    for name, samples in eval_sets.items():
        if samples:
            cols = _sample_columns(samples, rel)
            cols["split"] = [s.split for s in samples]
            stats.rows[f"eval/{name}"] = write_table(out, f"eval/{name}", "eval", cols)

    sampler = PathSampler(tree, cfg.alpha, cfg.explore_rate, cfg.verify_rate, cfg.live_descend_rate)
    rows = _sample_paths(cfg, train, sampler, seed, stats)
    own = [(i, path) for i, path, _ in rows]
    sft = {"sample": [i for i, _ in own], "path": [], "think": [], "answer_sample": [], "think_sample": [],
           "blanked": [list(b) for _, _, b in rows]}
    stats.rows_blanked = sum(bool(b) for _, _, b in rows)
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
    if sft["sample"]:
        stats.answer_own_label = statistics.fmean(train[a].attack == train[s].attack
                                                  for a, s in zip(sft["answer_sample"], sft["sample"]))
        stats.answer_own_branch = statistics.fmean(train[a].label == train[s].label
                                                   for a, s in zip(sft["answer_sample"], sft["sample"]))
    stats.rows["sft"] = write_table(out, "sft", "sft", sft)

    texts = [(sampler.table.render(t), train[i].label) for t, i in zip(sft["think"], sft["think_sample"]) if t]
    path_statistics(stats, texts, own, train, taxonomy)
    corpus = sorted({user_text(s.modalities) for samples in eval_sets.values() for s in samples}
                    | {user_text(s.modalities) for s in train})
    corpus += sampler.table.texts + sorted({format_list(s.attack) for s in (*train, *dev, *test)})
    write_texts(out, sampler.table.texts, corpus)
    _write_spec(cfg, tree, out)
    return Built(stats, sampler, own)


def _write_spec(cfg: PathsConfig, tree: ReasoningTree, out: Path) -> None:
    """The version's spec, with copies of the taxonomy and tree it was built from (read back by later stages)."""
    import shutil

    from pafas_cli.spec import TAXONOMY_COPY, TREE_COPY, Spec, answer_format, write_spec

    for source, copy in ((tree.taxonomy.source, TAXONOMY_COPY), (tree.source, TREE_COPY)):
        if Path(source).is_file():  # a tree built in memory (tests) has no file to keep
            shutil.copyfile(source, out / copy)
    write_spec(out, Spec("paths", cfg.image_size, answer_format(cfg.augmentation), details={
        "augmentation": cfg.augmentation, "n_paths": cfg.n_paths, "shuffle": cfg.shuffle,
        "shuffle_rate": cfg.shuffle_rate, "modality_dropout": cfg.modality_dropout}))


def _sample_paths(cfg: PathsConfig, train: Sequence[FaceSample], sampler: PathSampler, seed: int,
                  stats: BuildStats) -> list[tuple[int, ReasoningPath | None, tuple[str, ...]]]:
    """Each training sample's own SFT rows for the augmentation variant: (sample, path, blanked modalities)."""
    rows: list[tuple[int, ReasoningPath | None, tuple[str, ...]]] = []
    for i, sample in enumerate(track(train, f"sampling reasoning paths ({cfg.augmentation})")):
        if cfg.augmentation == "raw":
            rows.append((i, None, ()))
            continue
        wanted = cfg.n_paths if cfg.augmentation == "path" else 1
        plan = _dropout_plan(sample, wanted, cfg.modality_dropout, random.Random(f"{seed}:dropout:{sample.id}"))
        got = 0
        for blanked, count in plan.items():
            modalities = tuple(m for m in sample.modalities if m not in blanked)
            if cfg.augmentation == "single":
                paths, duplicates = [sampler.canonical(sample.attack, modalities)], 0
            else:
                rng = random.Random(f"{seed}:paths:{sample.id}" + (f":{'+'.join(blanked)}" if blanked else ""))
                paths, duplicates = sampler.distinct(sample.attack, modalities, count, rng,
                                                     count * cfg.max_draws_factor)
            stats.duplicate_draws += duplicates
            got += len(paths)
            rows += [(i, p, blanked) for p in paths]
        stats.samples_short += got < wanted
    walked = [p for _, p, _ in rows if p is not None]
    stats.unique_paths = len({(i, p.clauses) for i, p, _ in rows if p is not None})
    stats.steps_histogram = dict(sorted(Counter(len(p.steps) for p in walked).items()))
    stats.explorations_mean = statistics.fmean(sum(s.op == "-" for s in p.steps) for p in walked) if walked else 0.0
    return rows


def _dropout_plan(sample: FaceSample, n: int, rate: float, rng: random.Random) -> dict[tuple[str, ...], int]:
    """How many of a sample's `n` rows keep every modality (key ()) and how many lose each Protocol-2 set.

    Only modalities the sample has can be blanked, and RGB never is, so every row keeps an image to read.
    """
    plan: Counter[tuple[str, ...]] = Counter()
    options = [d for d in MISSING_VARIANTS if set(d) <= set(sample.modalities) and set(sample.modalities) - set(d)]
    for _ in range(n):
        plan[rng.choice(options) if options and rng.random() < rate else ()] += 1
    return dict(sorted(plan.items()))


def path_statistics(stats: BuildStats, texts: Sequence[tuple[str, int]],
                    own: Sequence[tuple[int, ReasoningPath | None]], train: Sequence[FaceSample],
                    taxonomy: Taxonomy) -> None:
    """Measure at build time the shortcuts a model could take instead of reading the images.

    `texts` are the SFT rows' reasoning texts with the label of the sample each reasoning was written
    for. The length-only classifier's AUC (either direction: a shortcut is a shortcut whichever class is
    longer) is 0.5 when word counts say nothing about the label and 1.0 when they separate it. Distinct
    step sequences per sample show whether live samples get as varied walks as spoof ones, and the
    exploration rate per level whether wrong branches are raised at every depth.
    """
    from pafas_cli.metrics import auc

    words = [len(t.split()) for t, _ in texts]
    labels = [label for _, label in texts]
    stats.think_chars_mean = statistics.fmean(len(t) for t, _ in texts) if texts else 0.0
    stats.think_words_mean = statistics.fmean(words) if words else 0.0
    by_class = {c: [w for w, label in zip(words, labels) if label == c] for c in (0, 1)}
    stats.think_words_live = statistics.fmean(by_class[1]) if by_class[1] else 0.0
    stats.think_words_spoof = statistics.fmean(by_class[0]) if by_class[0] else 0.0
    if by_class[0] and by_class[1]:
        separation = auc(labels, words)
        stats.length_shortcut_auc = round(max(separation, 1 - separation), 4)
    sequences: dict[int, set] = {}
    for i, path in own:
        if path is not None:
            sequences.setdefault(i, set()).add(path.steps)
    for label, key in ((1, "distinct_step_sequences_live"), (0, "distinct_step_sequences_spoof")):
        counts = [len(v) for i, v in sequences.items() if train[i].label == label]
        setattr(stats, key, round(statistics.fmean(counts), 2) if counts else None)
    stats.exploration_by_level = _exploration_by_level(own, train, taxonomy)


def _exploration_by_level(own: Sequence[tuple[int, ReasoningPath | None]], train: Sequence[FaceSample],
                          taxonomy: Taxonomy) -> dict[str, dict[int, float]]:
    """Per class ('live', 'spoof') and taxonomy level: the share of paths that raise and rule out a wrong class
    at that level. A spoof path counts at the levels its label reaches (a wrong sibling there); a live path
    at every level of the attack subtree (its hypotheses)."""
    reached: dict[str, Counter] = {"live": Counter(), "spoof": Counter()}
    explored: dict[str, Counter] = {"live": Counter(), "spoof": Counter()}
    for i, path in own:
        if path is None:
            continue
        kind = "live" if train[i].label == 1 else "spoof"
        levels = range(1, (taxonomy.depth if kind == "live" else len(train[i].attack)) + 1)
        reached[kind].update(levels)
        explored[kind].update({taxonomy.level(s.node) for s in path.steps if s.op == "-"})
    return {kind: {level: round(explored[kind][level] / n, 3) for level, n in sorted(reached[kind].items())}
            for kind in reached if reached[kind]}


def _sample_columns(samples: Sequence[FaceSample], rel: dict[str, list[str]]) -> dict[str, list]:
    return {
        "id": [s.id for s in samples],
        "label": [s.label for s in samples],
        "attack": [list(s.attack) for s in samples],
        "domain": [s.domain for s in samples],
        "modalities": [list(s.modalities) for s in samples],
        "images": [[p if s.path_of(m) else BLANK for p, m in zip(rel[s.id], MODALITIES)]
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
