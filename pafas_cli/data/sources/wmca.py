"""WMCA: lists of extracted frames (MMDG's `W-{train,val,test}.txt`, `WMCA-Image/R_CDIT/<name>/{color,depth,ir}/...`,
or `pafas prepare wmca` output, which extracts them from the HDF5 release).

Folder names are BATL's `client_session_presenter_type_pai`: type 0 is bona fide, and the type and PAI
ids give the attack (`data/attacks.py`, WMCA_TYPES: prints, replays, rigid / flexible / paper masks, fake
heads, funny eyeglasses, wigs). Per-attack lists (`WMCA_test_{fakehead,flexiblemask,glasses,papermask,print,
replay,rigidmask}.txt`, as in Flex-Modal-FAS's FlexModal_Protocols) and a fifth list column take precedence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from pafas_cli.data.sample import FaceSample
from pafas_cli.data.sources.reading import ListOptions, Problems, candidates, locate_list, read_list, read_rows

OBTAIN = ("WMCA is licence-gated: request it from the Idiap Research Institute (https://www.idiap.ch/dataset/wmca), "
          "then run `pafas prepare wmca --root /path/to/WMCA --out DIR` (docs/data.md) and pass --root DIR, or pass "
          "the folder holding MMDG's W-train.txt (or MMDG-Benchmark/W-train.txt) and WMCA-Image/.")
PER_ATTACK = re.compile(r"^WMCA_\w*?_?([a-z]+)\.txt$", re.IGNORECASE)
SPLIT_WORDS = {"train", "val", "test", "dev"}


def per_attack_map(root: Path, lists: str) -> dict[str, str]:
    """rgb path -> attack word, from every `WMCA_*_<attack>.txt` list under the root's list folders."""
    folders = [root / lists] if lists else [root, root / "FlexModal_Protocols", root / "MMDG-Benchmark"]
    mapping: dict[str, str] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("WMCA_*.txt")):
            m = PER_ATTACK.match(path.name)
            if not m or m.group(1).lower() in SPLIT_WORDS:
                continue
            for _, fields in read_rows(path):
                if len(fields) >= 4 and fields[3] == "0":
                    mapping[fields[0]] = m.group(1).lower()
    return mapping


def read(root: Path, domain: str, splits: Sequence[str], problems: Problems,
         options: ListOptions) -> dict[str, list[FaceSample]]:
    attacks = per_attack_map(root, options.lists)
    evidence = {options.remap_path(rel): (word, "a WMCA per-attack list") for rel, word in attacks.items()}
    out = {}
    for split in splits:
        path = locate_list(root, options, split, candidates("W", split, options.lists), f"WMCA {split}")
        out[split] = read_list(path, root, domain, split, problems, options, evidence=evidence)
    return out
