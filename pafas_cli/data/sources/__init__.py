"""Data sources by name: one adapter per dataset release, plus generic lists and the synthetic benchmark.

`read_source("casia-surf", root, splits=("train",), problems=Problems("skip"))` returns
`{"train": [FaceSample, ...]}`. Split names are the toolkit's: `train`, `dev` (the release's validation
list) and `test`. Each adapter knows where its release keeps the lists (phase folders included, and the
MMDG benchmark's `<D>-{train,val,test}.txt` copies, which `pafas prepare` also writes), and a missing root
says where to get the data. `options` (`reading.ListOptions`) carries the per-dataset `data` keys: one list
per split, the label polarity, path-prefix remaps.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pafas_cli.data.registry import SOURCES, Source
from pafas_cli.data.sample import FaceSample
from pafas_cli.data.sources.reading import SPLITS, ListOptions, Problems
from pafas_cli.errors import PafasError


def get_source(name: str) -> Source:
    if name not in SOURCES:
        raise PafasError(f"data.source: unknown source '{name}' (known: {', '.join(SOURCES)})")
    return SOURCES[name]


def read_source(name: str, root: str | Path, domain: str = "", splits: Sequence[str] = SPLITS,
                problems: Problems | None = None, lists: str = "",
                options: ListOptions | None = None) -> dict[str, list[FaceSample]]:
    """Samples per requested split from one dataset root (domain defaults to the dataset's letter).

    `options` carries the per-dataset `data` keys (lists, per-split lists, label polarity, remap); `lists`
    alone is the short form of `ListOptions(lists=...)`.
    """
    source = get_source(name)
    root = check_root(name, root)
    domain = domain or source.letter
    if not domain:
        raise PafasError(f"source '{name}' needs a domain name (the D of its D-train.txt lists)")
    return source.module().read(root.resolve(), domain, tuple(splits), problems or Problems(),
                                options or ListOptions(lists))


def check_root(name: str, root: str | Path) -> Path:
    """The dataset root as a Path, or a PafasError saying where to get the data and how to pass --root."""
    source = get_source(name)
    obtain = getattr(source.module(), source.obtain)
    if not str(root):
        raise PafasError(f"data.root is empty: {source.title} needs its dataset folder. {obtain}")
    path = Path(root).expanduser()
    if not path.is_dir():
        raise PafasError(f"dataset root {path} does not exist. {obtain}")
    return path


def list_domains(root: str | Path, lists: str = "") -> list[str]:
    """Domains a `list`/`synthetic` root holds: the D of every `D-train.txt`, `D-val.txt` or `D-test.txt`."""
    from pafas_cli.data.sources import listfile

    return listfile.domains(Path(root).expanduser(), lists)
