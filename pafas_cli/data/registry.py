"""The data sources pafas reads, in one table: name, domain letter, title, adapter, prepare step, profile.

Everything that lists sources reads this table: the recipe check (`data.source`, `data.domains`), the
adapters (`data.sources`), the mix warnings (`data.sources.profiles`), `pafas prepare` and the CLI help. It
imports no adapter (loading a recipe stays light): an entry names its modules, imported when used.

Adding a dataset is one adapter module (`pafas_cli/data/sources/<name>.py`: `OBTAIN`, the text shown when
the root is missing, and `read(root, domain, splits, problems, options)`), plus, when its release must be
converted first, a prepare module (`pafas_cli/data/prepare/<name>.py`), and one `register(Source(...))` here
(docs/data.md, "Adding a dataset").
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Profile:
    """What a dataset's lists are known to hold, so a list far off it gets a warning (`profiles.check_mix`)."""

    # The live share of the dataset's MMDG lists (train/val; test is close for all but C).
    live_share: float
    # The attack words the dataset holds (a sample's attack must lie on the path of one of them).
    attacks: tuple[str, ...]
    # Whether the release types its attacks (so mostly untyped spoofs mean the types were lost).
    typed: bool = True


@dataclass(frozen=True)
class Source:
    """One data source."""

    name: str
    # The MMDG domain letter of the dataset ("" = the lists say, e.g. generic list files).
    letter: str
    title: str
    # The adapter: a module with `OBTAIN` and `read(...)` (a dotted path; a bare name is under data.sources).
    adapter: str
    # The module that turns the release as shipped into the list layout (`pafas prepare`); "" = none needed.
    prepare: str = ""
    # The adapter's text when the root is missing, if not its module's `OBTAIN` (two sources share one module).
    obtain: str = "OBTAIN"
    profile: Profile | None = None

    @property
    def is_dataset(self) -> bool:
        """A real dataset (one domain of the MMDG benchmark), not generic lists or the synthetic benchmark."""
        return bool(self.letter)

    def module(self) -> ModuleType:
        return importlib.import_module(_qualified(self.adapter, "pafas_cli.data.sources"))

    def prepare_module(self) -> ModuleType | None:
        return importlib.import_module(_qualified(self.prepare, "pafas_cli.data.prepare")) if self.prepare else None


def _qualified(module: str, package: str) -> str:
    return module if "." in module else f"{package}.{module}"


SOURCES: dict[str, Source] = {}


def register(source: Source) -> Source:
    """Add (or replace) a source; returns it."""
    SOURCES[source.name] = source
    return source


for _source in (
    Source("synthetic", "", "synthetic benchmark", "listfile", obtain="OBTAIN_SYNTH"),
    Source("casia-surf", "S", "CASIA-SURF", "casia_surf", "casia_surf", profile=Profile(0.143, ("print",))),
    Source("cefa", "C", "CASIA-SURF CeFA", "cefa", "cefa",
           profile=Profile(0.25, ("print", "replay", "rigidmask", "flexiblemask"))),
    Source("wmca", "W", "WMCA", "wmca", "wmca",
           profile=Profile(0.21, ("print", "replay", "mask", "glasses", "accessory", "makeup"))),
    Source("padisi", "P", "PADISI-Face (USC)", "padisi", "padisi",
           profile=Profile(0.54, ("print", "replay", "mask", "accessory", "paper-cutout", "makeup", "tattoo"),
                           typed=False)),
    Source("list", "", "list files", "listfile"),
):
    register(_source)


def names() -> tuple[str, ...]:
    return tuple(SOURCES)


def list_sources() -> tuple[str, ...]:
    """The sources read from a root of list files (every source but the generated synthetic benchmark): what a
    `data.domains` entry may name."""
    return tuple(name for name in SOURCES if name != "synthetic")


def preparable() -> tuple[str, ...]:
    """The datasets `pafas prepare` converts."""
    return tuple(name for name, s in SOURCES.items() if s.prepare)


def by_letter(letter: str) -> Source | None:
    """The real dataset of an MMDG domain letter."""
    return next((s for s in SOURCES.values() if s.letter == letter), None)
