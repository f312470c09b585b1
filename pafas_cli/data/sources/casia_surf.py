"""CASIA-SURF: the challenge lists (`train_list.txt`, `val_private_list.txt`, `test_private_list.txt`)
or MMDG's `S-*.txt` over the cropped release; lines `color depth ir label` (1 = real), CRLF.

All CASIA-SURF attacks are prints (flat, wrapped, cut); the folders do not say which, so attacks are
annotated down to `Print Attacks`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pafas_cli.data.sample import FaceSample
from pafas_cli.data.sources.listfile import candidates, require_list
from pafas_cli.data.sources.reading import Problems, read_mmdg_list

OBTAIN = ("CASIA-SURF is licence-gated: request it from CASIA/CBSR "
          "(https://sites.google.com/qq.com/face-anti-spoofing/dataset-download/casia-surfcvpr2019), then pass "
          "--root /path/to/CASIA-SURF, the folder holding train_list.txt (or MMDG-Benchmark/S-train.txt).")
CHALLENGE_LISTS = {"train": "train_list.txt", "dev": "val_private_list.txt", "test": "test_private_list.txt"}


def read(root: Path, domain: str, splits: Sequence[str], problems: Problems, lists: str) -> dict[str, list[FaceSample]]:
    out = {}
    for split in splits:
        names = ([f"{lists}/{CHALLENGE_LISTS[split]}"] if lists else [CHALLENGE_LISTS[split]])
        path = require_list(root, names + candidates("S", split, lists), f"CASIA-SURF {split}")
        out[split] = read_mmdg_list(path, root, domain, split, problems)
    return out
