"""CASIA-SURF: the challenge kit, CASIA's current distribution, or MMDG's `S-*.txt`.

- Challenge kit (CVPR 2019): `train_list.txt`, `val_private_list.txt` and `test_private_list.txt` (the
  labelled ones; `val_public_list.txt` / `test_public_list.txt` have no labels), possibly spread over
  phase folders (`phase1/`, `phase2/`); lines `color depth ir label`, 1 = real. Validation and test
  frames are anonymised (`Val/0000/000000-color.jpg`).
- CASIA's current distribution: `CASIA_SURF@p1_video_{train,dev,test}.txt` (or `_image_`), two columns
  `<video folder>/color <label>` with **0 = live**, depth and IR next to `color/`.
- MMDG's `S-{train,val,test}.txt` over the cropped release (4 columns, 1 = live), and `pafas prepare` output.

Every CASIA-SURF attack is a print (flat, wrapped or cut; the names do not say which), so every spoof,
anonymised or not, is annotated down to `Print Attacks`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pafas_cli.data.sample import FaceSample
from pafas_cli.data.sources.reading import ListOptions, Problems, candidates, locate_list, read_list

OBTAIN = ("CASIA-SURF is licence-gated: request it from CASIA/CBSR "
          "(https://sites.google.com/qq.com/face-anti-spoofing/dataset-download/casia-surfcvpr2019), then pass "
          "--root /path/to/CASIA-SURF, the folder holding train_list.txt (or MMDG-Benchmark/S-train.txt), or "
          "run `pafas prepare casia-surf` on it first (docs/data.md).")
CHALLENGE_LISTS = {"train": "train_list.txt", "dev": "val_private_list.txt", "test": "test_private_list.txt"}
UNLABELLED = {"dev": "val_public_list.txt", "test": "test_public_list.txt"}
# CASIA's current protocol files name the split "dev" and read 0 = live.
CASIA_WORD = {"train": "train", "dev": "dev", "test": "test"}
CASIA_PREFIX = "CASIA_SURF@"


def list_names(split: str, lists: str) -> list[str]:
    """Where a CASIA-SURF list of `split` may be, in order of preference."""
    names = [CHALLENGE_LISTS[split]] + [f"CASIA_SURF@p1_{kind}_{CASIA_WORD[split]}.txt" for kind in ("video", "image")]
    names = [f"{lists}/{n}" for n in names] if lists else names
    return names + candidates("S", split, lists)


def polarity_of(path: Path) -> str:
    """CASIA's current lists read 0 = live; the challenge and MMDG lists 1 = live."""
    return "0=live" if path.name.startswith(CASIA_PREFIX) else "1=live"


def read(root: Path, domain: str, splits: Sequence[str], problems: Problems,
         options: ListOptions) -> dict[str, list[FaceSample]]:
    out = {}
    for split in splits:
        path = locate_list(root, options, split, list_names(split, options.lists), f"CASIA-SURF {split}",
                           [UNLABELLED[split]] if split in UNLABELLED else [])
        out[split] = read_list(path, root, domain, split, problems, options, polarity=polarity_of(path),
                               spoof_attack="print")
    return out
