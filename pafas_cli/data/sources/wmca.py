"""WMCA: MMDG's extracted-JPEG lists `W-{train,val,test}.txt` (`WMCA-Image/R_CDIT/<name>/{color,depth,ir}/...`).

Folder names are BATL's `client_session_presenter_type_pai` (type 0 = bona fide), which gives live vs
spoof but not the instrument. The attack type comes from per-attack lists where present
(`WMCA_test_{fakehead,flexiblemask,glasses,papermask,print,replay,rigidmask}.txt`, as in
Flex-Modal-FAS's FlexModal_Protocols) or from a fifth list column; otherwise spoofs stay `Spoof Face`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from pafas_cli.data.sample import FaceSample
from pafas_cli.data.sources.listfile import candidates, require_list
from pafas_cli.data.sources.reading import Problems, read_mmdg_list, read_rows

OBTAIN = ("WMCA is licence-gated: request it from the Idiap Research Institute (https://www.idiap.ch/dataset/wmca), "
          "extract frames as in the MMDG benchmark, then pass --root /path/to/data, the folder holding "
          "W-train.txt (or MMDG-Benchmark/W-train.txt) and WMCA-Image/.")
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


def read(root: Path, domain: str, splits: Sequence[str], problems: Problems, lists: str) -> dict[str, list[FaceSample]]:
    attacks = per_attack_map(root, lists)
    out = {}
    for split in splits:
        path = require_list(root, candidates("W", split, lists), f"WMCA {split}")
        out[split] = read_mmdg_list(path, root, domain, split, problems, attacks)
    return out
