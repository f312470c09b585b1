"""PADISI-Face (USC) MULTI-SPECTRAL release: one `.npz` per sample, array 'data' (1, 22, 320, 256).

MMDG's lists `P-{train,val,test}.txt` hold `name.npz<TAB>label` with 1 = live; lists that carry the
release's boolean labels (True = attack) are converted too. The .npz stands for all three modalities;
`data.images.load_modality` takes COLOR (0-2, BGR), NIR (3) and DEPTH (4) out of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pafas_cli.data.sample import FaceSample
from pafas_cli.data.sources.listfile import candidates, require_list
from pafas_cli.data.sources.reading import Problems, read_mmdg_list

OBTAIN = ("PADISI-Face needs a signed data-sharing agreement (https://github.com/vimal-isi-edu/PADISI_USC_Dataset, "
          "README_FACE.md); unzip the MULTI-SPECTRAL .npz files and pass --root, the folder the list "
          "names are relative to, holding P-train.txt (or MMDG-Benchmark/P-train.txt).")


def read(root: Path, domain: str, splits: Sequence[str], problems: Problems, lists: str) -> dict[str, list[FaceSample]]:
    out = {}
    for split in splits:
        path = require_list(root, candidates("P", split, lists), f"PADISI {split}")
        out[split] = read_mmdg_list(path, root, domain, split, problems)
    return out
