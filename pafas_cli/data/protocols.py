"""MMDG protocols over domains, and the paper's ~800-sample stratified subsampling.

`build_splits(cfg, seed, ws)` is what `pafas build-paths` calls: it resolves the domains (the synthetic
benchmark, one list root with several `<D>-*.txt`, several real dataset roots in `data.domains`, or one
real dataset on its own), reads the source domains' train and val lists and the target domains' test
lists, and returns `Splits(train, dev, test)`. Presets (MMDG, CVPR 2024):

- P1 leave one domain out: CPS->W, CPW->S, CSW->P, PSW->C;
- P2 the P1 splits, tested with depth, IR or both missing (the variants are made by build-paths);
- P3 two source domains: CW->PS, PS->CW.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pafas_cli.data.config import MISSING_VARIANTS, DataConfig, parse_split
from pafas_cli.data.sample import FaceSample
from pafas_cli.data.registry import SOURCES
from pafas_cli.data.sources import check_root, list_domains, read_source
from pafas_cli.data.sources.profiles import check_mix
from pafas_cli.data.sources.reading import ListOptions, Problems, count_by
from pafas_cli.errors import PafasError

# How many missing-image lines per split the summary, the manifest and the errors quote.
SHOWN_MISSING = 3


@dataclass
class Splits:
    """The samples of one protocol split, plus what produced them."""

    train: list[FaceSample]
    dev: list[FaceSample]
    test: list[FaceSample]
    protocol: str
    sources: tuple[str, ...]
    targets: tuple[str, ...]
    # Manifest input entries (e.g. the synth version or the dataset roots with list fingerprints).
    inputs: list[dict] = field(default_factory=list)
    # Missing/unreadable images skipped while reading (path and line each).
    skipped: list[str] = field(default_factory=list)
    # P2: modality sets to blank at test time.
    missing_variants: tuple[tuple[str, ...], ...] = ()
    # The same skipped lines per split, and how many entries each split read before subsampling
    # (kept + skipped), for the build summary.
    skipped_by_split: dict[str, list[str]] = field(default_factory=dict)
    read_by_split: dict[str, int] = field(default_factory=dict)
    # Lists far off their dataset's documented live share or attack mix (data/sources/profiles.py).
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        """Counts per split, domain, label and attack (deepest known node), for tables and manifests."""
        rows = []
        for name in ("train", "dev", "test"):
            for (domain, label, attack), n in sorted(count_by(getattr(self, name), "domain", "label", "attack").items()):
                rows.append({"split": name, "domain": domain, "label": label, "attack": attack, "n": n})
        return {
            "protocol": self.protocol, "sources": "".join(self.sources), "targets": "".join(self.targets),
            "train": len(self.train), "dev": len(self.dev), "test": len(self.test),
            "skipped": len(self.skipped), "counts": rows,
            "skipped_by_split": {k: len(v) for k, v in self.skipped_by_split.items()},
            "skipped_first": {k: v[:SHOWN_MISSING] for k, v in self.skipped_by_split.items() if v},
            "missing_variants": ["+".join(v) for v in self.missing_variants],
            "warnings": list(self.warnings),
        }


def stratified_subsample(samples: list[FaceSample], n: int, seed: int) -> list[FaceSample]:
    """`n` samples keeping the share of every (domain, attack) stratum, largest remainder first; seeded.

    Every stratum keeps at least one sample while n allows, so rare attacks are not lost.
    """
    if n <= 0 or n >= len(samples):
        return list(samples)
    strata: dict[tuple, list[FaceSample]] = defaultdict(list)
    for s in samples:
        strata[(s.domain, s.attack)].append(s)
    keys = sorted(strata)
    raw = {k: n * len(strata[k]) / len(samples) for k in keys}
    take = {k: min(len(strata[k]), max(1 if n >= len(keys) else 0, int(raw[k]))) for k in keys}
    # Largest remainder over what each stratum already has: one raised to its one sample is not owed more.
    for k in sorted(keys, key=lambda k: (take[k] - raw[k], k)):
        if sum(take.values()) >= n:
            break
        if take[k] < len(strata[k]):
            take[k] += 1
    while sum(take.values()) > n:
        k = max(keys, key=lambda k: (take[k], k))
        take[k] -= 1
    rng = np.random.default_rng(seed)
    out = []
    for k in keys:
        pool = sorted(strata[k], key=lambda s: s.id)
        picked = rng.choice(len(pool), take[k], replace=False) if take[k] else []
        out += [pool[i] for i in sorted(picked)]
    return out


def training_block(samples: list[FaceSample], n: int, seed: int, block: int) -> list[FaceSample]:
    """Block `block` of `n` training samples: block 0 is `stratified_subsample(samples, n, seed)`, block k the
    same draw from the samples blocks 0..k-1 did not take. Blocks are disjoint and, while the pool lasts, the
    same size and mix: GRPO on block 1 trains on as many labelled faces as SFT saw in block 0, none of them."""
    pool = list(samples)
    for _ in range(block):
        taken = set(stratified_subsample(pool, n, seed))
        pool = [s for s in pool if s not in taken]
    if block and len(pool) < n:
        raise PafasError(f"data.train_block={block}: {len(samples)} training samples hold {block} block(s) of "
                         f"n_train={n} with only {len(pool)} left for this one; lower data.n_train or the block")
    return stratified_subsample(pool, n, seed)


def _list_fingerprint(root: str | None) -> str | None:
    """A digest of a dataset root's list files; None when there is no such folder. `~` is expanded, as the
    readers expand it (a `~/data` root once went unfingerprinted)."""
    folder = Path(root).expanduser() if root else None
    if folder is None or not folder.is_dir():
        return None
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.txt")) + sorted(folder.glob("MMDG-Benchmark/*.txt")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def options_of(cfg: DataConfig, entry: dict | None = None) -> ListOptions:
    """The per-dataset list options of the `data` section, or of one `data.domains` entry."""
    if entry is None:
        keys = ("lists", "train_list", "dev_list", "test_list", "label_polarity", "remap")
        entry = {k: getattr(cfg, k) for k in keys}
    return ListOptions.from_mapping(entry, cfg.prepare.frames)


def resolve_domains(cfg: DataConfig, ws) -> tuple[dict[str, tuple[str, str, ListOptions]], list[dict], bool]:
    """domain -> (source, root, list options), the manifest inputs, and whether this is one dataset on its own."""
    if cfg.domains:
        mapping = {d: (e["source"], str(e["root"]), options_of(cfg, e)) for d, e in cfg.domains.items()}
        inputs = [{"name": f"data:{d}", "source": s, "path": r, "fingerprint": _list_fingerprint(r)}
                  for d, (s, r, _) in sorted(mapping.items())]
        return mapping, inputs, False
    if cfg.source in ("synthetic", "list"):
        root = cfg.root
        inputs: list[dict] = []
        if cfg.source == "synthetic" and not root:
            resolved = ensure_synth(cfg, ws)
            root = str(resolved.path)
            inputs.append(resolved.as_input("synth"))
        elif root:
            inputs.append({"name": "data", "source": cfg.source, "path": root, "fingerprint": _list_fingerprint(root)})
        found = list_domains(check_root(cfg.source, root), cfg.lists)
        if not found:
            raise PafasError(f"data.root {root}: no <D>-train.txt / <D>-val.txt / <D>-test.txt lists found")
        return {d: (cfg.source, root, options_of(cfg)) for d in found}, inputs, False
    letter = SOURCES[cfg.source].letter
    inputs = [{"name": "data", "source": cfg.source, "path": cfg.root, "fingerprint": _list_fingerprint(cfg.root)}]
    return {letter: (cfg.source, cfg.root, options_of(cfg))}, inputs, True


def ensure_synth(cfg: DataConfig, ws):
    """synth:latest when it was drawn with these settings, else a new synth version (generated now)."""
    from pafas_cli.data.synth import read_info

    latest = ws.latest("synth")
    wanted = {"generator_version": cfg.synth.version, "seed": cfg.synth.seed, "per_domain": cfg.synth.per_domain}
    if latest is not None:
        info = read_info(latest.path) or {}
        if all(info.get(k) == v for k, v in wanted.items()):
            return ws.resolve(f"synth:{latest.version}")
    from pafas_cli.data.synth.version import write_version

    return ws.resolve(write_version(cfg, ws))


def build_splits(cfg: DataConfig, seed: int, ws) -> Splits:
    """Train (source domains, subsampled), dev (source-domain validation) and test (target domains)."""
    mapping, inputs, intra = resolve_domains(cfg, ws)
    if intra:
        (letter,) = mapping
        sources = targets = (letter,)
        protocol = "intra"
    else:
        sources, targets = parse_split(cfg.protocol, cfg.split)
        protocol = cfg.protocol
        absent = [d for d in sources + targets if d not in mapping]
        if absent:
            raise PafasError(f"data: {cfg.protocol} {cfg.split} needs domains {', '.join(sources + targets)} but "
                             f"{', '.join(absent)} {'is' if len(absent) == 1 else 'are'} not available "
                             f"(have {', '.join(sorted(mapping)) or 'none'}); add them under data.domains")
    parts: dict[str, list[FaceSample]] = {"train": [], "dev": [], "test": []}
    # One Problems per split, so missing images are counted (and limited) per split.
    problems = {split: Problems(cfg.on_missing) for split in parts}
    warnings: list[str] = []
    for domain in sorted(set(sources) | set(targets)):
        source, root, options = mapping[domain]
        wanted = [s for s, doms in (("train", sources), ("dev", sources), ("test", targets)) if domain in doms]
        for split in wanted:
            got = read_source(source, root, domain, [split], problems[split], options=options)[split]
            parts[split] += got
            if source != "synthetic":
                letter = SOURCES[source].letter or domain
                warnings += check_mix(got, letter, f"{source} {domain} {split} ({problems[split].lists[-1]})")
    if warnings:
        from pafas_cli.console import print_warning

        for line in warnings:
            print_warning(line)
    name = f"{protocol} {''.join(sources)}->{''.join(targets)}"
    skipped = {split: problems[split].skipped for split in parts}
    read = {split: len(parts[split]) + len(skipped[split]) for split in parts}
    check_missing(cfg, skipped, read)
    for split in parts:
        if not parts[split]:
            raise PafasError(_empty_split(split, name, problems[split]))
    return Splits(
        train=training_block(parts["train"], cfg.n_train, seed, cfg.train_block),
        dev=stratified_subsample(parts["dev"], cfg.n_dev, seed + 1),
        test=stratified_subsample(parts["test"], cfg.n_test, seed + 2),
        protocol=protocol, sources=sources, targets=targets, inputs=inputs,
        skipped=[line for split in parts for line in skipped[split]],
        missing_variants=MISSING_VARIANTS if protocol == "P2" else (),
        skipped_by_split=skipped, read_by_split=read, warnings=warnings,
    )


def check_missing(cfg: DataConfig, skipped: dict[str, list[str]], read: dict[str, int]) -> None:
    """`data.on_missing: error` -> fail on any missing image; `skip` -> fail beyond `data.max_missing` of a
    split. Either error names the counts per split and the first lines (list file, line, image path)."""
    if cfg.on_missing == "error":
        over = [split for split in skipped if skipped[split]]
        if over:
            raise PafasError(f"data.on_missing=error: {_counts(over, skipped, read)} missing or unreadable, "
                             f"e.g. {_examples(over, skipped)}; fix data.root or the lists, or set "
                             "data.on_missing=skip to leave such lines out")
        return
    over = [split for split in skipped if skipped[split] and len(skipped[split]) > cfg.max_missing * read[split]]
    if over:
        raise PafasError(f"data: {_counts(over, skipped, read)} missing or unreadable, more than "
                         f"data.max_missing={cfg.max_missing:.0%} of a split, e.g. {_examples(over, skipped)}; "
                         "check data.root and the lists (a wrong root loses most images), or raise "
                         "data.max_missing to skip them")


def _counts(splits: list[str], skipped: dict[str, list[str]], read: dict[str, int]) -> str:
    return ", ".join(f"{len(skipped[s])} of {read[s]} {s} images ({len(skipped[s]) / max(read[s], 1):.0%})"
                     for s in splits)


def _examples(splits: list[str], skipped: dict[str, list[str]]) -> str:
    """The first lines per split, SHOWN_MISSING in all at most, each `list:line: what: path`."""
    per = max(1, SHOWN_MISSING // len(splits))
    return "; ".join(line for s in splits for line in skipped[s][:per])


def _empty_split(split: str, name: str, problems: Problems) -> str:
    """What was looked for when a split came out empty: the list files and an example path."""
    lists = ", ".join(problems.lists) or "no list file"
    if problems.skipped:
        found = (f"every line ({len(problems.skipped)}) was skipped for a missing image, e.g. "
                 f"{problems.skipped[0]}; check data.root (the list paths are relative to it)")
    else:
        found = "no sample lines in it; check that the list is the right one (data.lists)"
    return f"data: the {split} split is empty for {name}: read {lists}: {found}"
