"""The `data` recipe section: which source, where it lives, which protocol split, how much to train on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pafas_cli.data import registry

# The generator version this code draws (pafas_cli.data.synth.generate.GENERATOR_VERSION); kept here so
# that loading a recipe does not import numpy.
SYNTH_VERSION = 1
# Keys a `data.domains` entry may hold (the per-dataset subset of the `data` section).
DOMAIN_KEYS = {"source", "root", "lists", "train_list", "dev_list", "test_list", "label_polarity", "remap"}
LABEL_POLARITIES = ("auto", "1=live", "0=live")
# The MMDG protocol presets (source domains -> target domains).
PRESETS: dict[str, tuple[str, ...]] = {
    "P1": ("CPS->W", "CPW->S", "CSW->P", "PSW->C"),
    "P2": ("CPS->W", "CPW->S", "CSW->P", "PSW->C"),
    "P3": ("CW->PS", "PS->CW"),
}
# Protocol 2: the modalities blanked at test time -> the condition's name. Each condition has a copy of the test
# set (`test_<condition>`, reported) and of the dev set (`dev_<condition>`, whose EER threshold is the one
# calibrated for that condition: eval's `conditions`, `pafas serve --allow-missing`).
P2_CONDITIONS: dict[tuple[str, ...], str] = {
    ("depth",): "missing_depth", ("ir",): "missing_ir", ("depth", "ir"): "missing_both"}
P2_TEST_SETS: dict[tuple[str, ...], str] = {k: f"test_{v}" for k, v in P2_CONDITIONS.items()}
P2_DEV_SETS: dict[tuple[str, ...], str] = {k: f"dev_{v}" for k, v in P2_CONDITIONS.items()}
MISSING_VARIANTS: tuple[tuple[str, ...], ...] = tuple(P2_CONDITIONS)


@dataclass
class SynthConfig:
    # Triples generated per domain (C, P, S, W); ~1,000 matches the benchmark size.
    per_domain: int = 1000
    # Seed of the benchmark itself (independent of the training seed, so every run sees the same data).
    seed: int = 0
    # Generator version; only the current one can draw new data (older versions stay in the workspace).
    version: int = SYNTH_VERSION

    def validate(self) -> None:
        if self.per_domain < 20:
            raise ValueError(f"per_domain: at least 20 samples per domain, got {self.per_domain}")
        if self.version != SYNTH_VERSION:
            raise ValueError(f"version: this pafas draws generator version {SYNTH_VERSION}, "
                             f"got {self.version}; use an existing synth:vNNN folder as data.root instead")


@dataclass
class PrepareConfig:
    """`pafas prepare`: how a release as shipped becomes the list layout (docs/data.md, "pafas prepare")."""

    # Frames kept per video: up to this many, evenly spaced (the centres of equal segments); MMDG keeps 3.
    frames: int = 3
    # PADISI without MMDG lists: which of the release's 3-fold partition files (part0/1/2) gives the splits.
    padisi_fold: int = 0

    def validate(self) -> None:
        if not 1 <= self.frames <= 1000:
            raise ValueError(f"frames: frames kept per video, 1 to 1000, got {self.frames}")
        if self.padisi_fold not in (0, 1, 2):
            raise ValueError(f"padisi_fold: PADISI ships partitions part0, part1 and part2; got {self.padisi_fold}")


@dataclass
class DataConfig:
    # Source: synthetic, casia-surf, cefa, wmca, padisi, or list (MMDG lists <D>-{train,val,test}.txt).
    source: str = "synthetic"
    # Dataset root (for synthetic: a `pafas synth --out` folder; empty = synth:latest in the workspace).
    root: str = ""
    # Where the source's list files are, relative to the root (empty = the release's own places);
    # for cefa "4@2" picks challenge protocol 4.2.
    lists: str = ""
    # One list file per split (relative to the root, or absolute), for releases whose lists sit in phase
    # folders or carry other names, e.g. data.test_list=phase2/test_private_list.txt; empty = search.
    train_list: str = ""
    dev_list: str = ""
    test_list: str = ""
    # Which label value means live in the lists: "auto" = the format's own (1 for the challenge and MMDG
    # lists, 0 for CASIA's CASIA_*@p* lists, PADISI from its ground truth), or "1=live" / "0=live".
    label_polarity: Literal["auto", "1=live", "0=live"] = "auto"
    # Path prefixes to rewrite in list lines written on another machine, old -> new (new relative to
    # the root), e.g. {"/home/me/CASIA-SURF/": ""}; the longest matching prefix wins.
    remap: dict = field(default_factory=dict)
    # Real multi-dataset setups: domain letter -> {source, root, and optionally lists, train_list, dev_list,
    # test_list, label_polarity, remap}, e.g. {C: {source: cefa, root: /d/CeFA}}.
    domains: dict = field(default_factory=dict)
    # MMDG protocol: P1 leave-one-domain-out, P2 = P1 splits tested with missing modalities, P3 two-to-two.
    # A single real dataset without `domains` uses its own train/val/test lists (intra-dataset).
    protocol: Literal["P1", "P2", "P3"] = "P1"
    # The split within the protocol: "CPS->W" (or just the target "W") for P1/P2; "CW->PS" or "PS->CW" for P3.
    split: str = "CPS->W"
    # Labelled training samples kept (paper: ~800), stratified by domain and attack type, seeded; 0 = all.
    n_train: int = 800
    # Which block of n_train training samples: 0 = the stratified subsample above; k = as many again, drawn the
    # same way from the source faces blocks 0..k-1 did not take (disjoint from them: GRPO on labelled faces SFT
    # never saw, the reproduction's held-back row). Needs n_train > 0.
    train_block: int = 0
    # Cap on dev (source-domain validation) and test samples, stratified the same way; 0 = all.
    n_dev: int = 0
    n_test: int = 0
    # A missing or unreadable image: "skip" the line (counted, the first paths shown in the build summary),
    # "stop" at the first with its path and line, or "error": read every list, then fail with the count
    # and the first paths per split.
    on_missing: Literal["skip", "stop", "error"] = "skip"
    # With "skip": the largest share of a split's lines that may be skipped (0-1); more is an error naming
    # the count and the first paths (a wrong root or list usually loses far more than this).
    max_missing: float = 0.05
    # The synthetic benchmark drawn when source is synthetic and root is empty.
    synth: SynthConfig = field(default_factory=SynthConfig)
    # `pafas prepare` settings (frames per video, PADISI fold).
    prepare: PrepareConfig = field(default_factory=PrepareConfig)

    def validate(self) -> None:
        """Raise ValueError("key: message") for a bad value."""
        if self.source not in registry.SOURCES:
            raise ValueError(f"source: unknown source '{self.source}' (one of {', '.join(registry.names())})")
        for key in ("n_train", "n_dev", "n_test"):
            if getattr(self, key) < 0:
                raise ValueError(f"{key}: must be >= 0 (0 = all), got {getattr(self, key)}")
        if self.train_block < 0 or (self.train_block and not self.n_train):
            raise ValueError(f"train_block: a block number >= 0, and blocks above 0 need n_train > 0 (every training "
                             f"face is in block 0 otherwise); got train_block {self.train_block}, n_train "
                             f"{self.n_train}")
        if not 0.0 <= self.max_missing <= 1.0:
            raise ValueError(f"max_missing: a fraction of a split's lines between 0 and 1 "
                             f"(e.g. 0.05 = 5%), got {self.max_missing}")
        try:
            parse_split(self.protocol, self.split)
        except ValueError as exc:
            raise ValueError(f"split: {exc}") from None
        check_remap(self.remap, "remap")
        for letter, entry in self.domains.items():
            if not isinstance(entry, dict) or "source" not in entry or "root" not in entry:
                raise ValueError(f"domains.{letter}: expected a mapping with 'source' and 'root' (and optional "
                                 f"{', '.join(sorted(DOMAIN_KEYS - {'source', 'root'}))})")
            unknown = set(entry) - DOMAIN_KEYS
            if unknown:
                raise ValueError(f"domains.{letter}: unknown key '{sorted(unknown)[0]}' "
                                 f"(allowed: {', '.join(sorted(DOMAIN_KEYS))})")
            if entry["source"] not in registry.list_sources():
                raise ValueError(f"domains.{letter}.source: '{entry['source']}' is not a dataset source "
                                 f"({', '.join(registry.list_sources())})")
            if entry.get("label_polarity", "auto") not in LABEL_POLARITIES:
                raise ValueError(f"domains.{letter}.label_polarity: one of {', '.join(LABEL_POLARITIES)}, "
                                 f"got {entry['label_polarity']!r}")
            check_remap(entry.get("remap", {}), f"domains.{letter}.remap")
        for name, section in (("synth", self.synth), ("prepare", self.prepare)):
            try:
                section.validate()
            except ValueError as exc:
                raise ValueError(f"{name}.{exc}") from None


def check_remap(remap: object, key: str) -> None:
    """A remap is a mapping of old path prefix -> new prefix, both strings, the old one non-empty."""
    if not isinstance(remap, dict):
        raise ValueError(f"{key}: expected a mapping old prefix -> new prefix, got {remap!r}")
    for old, new in remap.items():
        if not isinstance(old, str) or not old or not isinstance(new, str):
            raise ValueError(f"{key}: '{old}' -> {new!r}: both prefixes must be text and the old one non-empty "
                             "(quote them in YAML)")


def parse_split(protocol: str, split: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """("CPS->W" | "W", protocol) -> (source domains, target domains), checked against the presets."""
    text = split.replace(" ", "").replace("→", "->")
    presets = PRESETS[protocol]
    if "->" not in text:
        matches = [p for p in presets if p.split("->")[1] == text]
        if not matches:
            raise ValueError(f"'{split}' is not a target of {protocol} (splits: {', '.join(presets)})")
        text = matches[0]
    if text not in presets:
        raise ValueError(f"'{split}' is not a {protocol} split (splits: {', '.join(presets)})")
    sources, targets = text.split("->")
    return tuple(sources), tuple(targets)
