"""The generic `list` source: MMDG benchmark lists `<D>-{train,val,test}.txt` under any root.

Lines are `rgb depth ir label [attack]` (1 = live) with paths relative to the root, or PADISI's
`name.npz<TAB>label`. The synthetic benchmark is written in exactly this layout, so the same code
reads it back.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from pafas_cli.data.sample import FaceSample
from pafas_cli.data.sources.reading import ListOptions, Problems, candidates, locate_list, read_list
from pafas_cli.data.sources.wmca import per_attack_map

OBTAIN = ("Point --root (data.root) at the folder the list paths are relative to; it must hold "
          "<D>-train.txt, <D>-val.txt and <D>-test.txt (or MMDG-Benchmark/<D>-*.txt), e.g. C-train.txt.")
OBTAIN_SYNTH = ("Generate it with `pafas synth --out DIR` and pass --root DIR, or leave data.root empty to "
                "use (and on first use create) synth:latest in the workspace.")
LIST_NAME = re.compile(r"^([A-Za-z0-9]+)-(train|val|test)\.txt$")


def domains(root: Path, lists: str = "") -> list[str]:
    folders = [root / lists] if lists else [root, root / "MMDG-Benchmark"]
    found = {m.group(1) for folder in folders if folder.is_dir()
             for p in folder.iterdir() if (m := LIST_NAME.match(p.name))}
    return sorted(found)


def read(root: Path, domain: str, splits: Sequence[str], problems: Problems,
         options: ListOptions) -> dict[str, list[FaceSample]]:
    # WMCA's per-attack lists, where they lie next to the lists, type the W spoofs here too.
    evidence = {options.remap_path(rel): (word, "a WMCA per-attack list")
                for rel, word in per_attack_map(root, options.lists).items()}
    out = {}
    for split in splits:
        path = locate_list(root, options, split, candidates(domain, split, options.lists), f"{domain} {split}")
        out[split] = read_list(path, root, domain, split, problems, options, evidence=evidence)
    return out
