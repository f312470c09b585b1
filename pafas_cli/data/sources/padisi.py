"""PADISI-Face (USC) MULTI-SPECTRAL release: one `ID_<transaction>_<trial>_<trial_name>.npz` per sample,
array 'data' (1, 22, 320, 256), channels scaled 0-1 by camera bit depth; labels in the repository's
`padisi_USC_FACE_ground_truth.csv` (`ground_truth` m00000 = bona fide, m5<PAI code><species> = attack).

MMDG's lists `P-{train,val,test}.txt` hold `<trial_id>.npz<TAB>label` with 1 = live: the trial id is found
in the release's file names (`ID_..._<trial_id>_....npz`, anywhere under the root), and when the ground
truth file lies under the root every label is checked against it (a contradiction stops the build: the
polarity guard) and the PAI code gives the attack where the README documents it (code 06 = makeup; the
others are described only in the README's Table 1, an image, so they stay `Spoof Face`). Lists with the
release's boolean labels (True = attack) read too. `pafas prepare padisi` turns the release into PNG
triples; `data.images.load_modality` reads a `.npz` directly (COLOR 0-2 BGR, NIR 3, DEPTH 4).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from pafas_cli.data.sample import FaceSample
from pafas_cli.data.sources.reading import ListOptions, Problems, candidates, locate_list, read_list
from pafas_cli.errors import PafasError

OBTAIN = ("PADISI-Face needs a signed data-sharing agreement (https://github.com/vimal-isi-edu/PADISI_USC_Dataset, "
          "README_FACE.md); unzip the MULTI-SPECTRAL .npz files, copy the repository's data/face_partitions/ next "
          "to them, then run `pafas prepare padisi` (docs/data.md), or pass --root, the folder holding the .npz "
          "files and P-train.txt (or MMDG-Benchmark/P-train.txt).")
NPZ_NAME = re.compile(r"^ID_([0-9A-Za-z]+)_([0-9A-Za-z]+)_(.+)\.npz$")
GROUND_TRUTH = "padisi_USC_FACE_ground_truth.csv"
BONA_FIDE = "m00000"
# PAI codes (the two digits after "m5") the README names: 06 = makeup.
PAI_CODES = {"06": "makeup"}


def trial_of(name: str) -> str:
    """The trial id of a release file name (`ID_<transaction>_<trial>_<name>.npz`) or of `<trial>.npz`."""
    m = NPZ_NAME.match(Path(name).name)
    return m.group(2) if m else Path(name).stem


def npz_index(root: Path) -> dict[str, str]:
    """trial id -> root-relative path of every release `.npz` under the root."""
    return {trial_of(p.name): p.relative_to(root).as_posix() for p in sorted(root.rglob("ID_*.npz"))}


def find_ground_truth(root: Path) -> Path | None:
    """The release's ground-truth CSV anywhere under the root (`padisi_USC_FACE_ground_truth.csv`, or any
    `*ground_truth.csv`), or None."""
    found = sorted(root.rglob(GROUND_TRUTH)) or sorted(root.rglob("*ground_truth.csv"))
    return found[0] if found else None


def read_ground_truth(path: Path) -> dict[str, str]:
    """trial id -> ground-truth code (m00000, m50602, ...)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise PafasError(f"{path}: cannot read the PADISI ground truth ({exc})") from None
    if rows and not {"trial_id", "ground_truth"} <= set(rows[0]):
        raise PafasError(f"{path}: expected the columns trial_id and ground_truth (PADISI's "
                         f"{GROUND_TRUTH}), got {', '.join(rows[0])}")
    return {row["trial_id"].strip(): row["ground_truth"].strip() for row in rows}


def pai_attack(code: str) -> str:
    """The attack word of a ground-truth code: live for m00000, the documented PAI codes, else spoof."""
    if code == BONA_FIDE:
        return "live"
    return PAI_CODES.get(code[2:4], "spoof") if re.match(r"^m5\d{4}$", code) else "spoof"


class GroundTruthEvidence(Mapping):
    """The `evidence` of a PADISI list: list path (trial id) -> (attack word, "ground truth FILE (code)")."""

    def __init__(self, codes: dict[str, str], source: Path):
        self.codes, self.source = codes, source

    def __getitem__(self, rel: str) -> tuple[str, str]:
        code = self.codes[trial_of(rel)]
        return pai_attack(code), f"the ground truth {self.source.name} ({code})"

    def __iter__(self) -> Iterator[str]:
        return iter(self.codes)

    def __len__(self) -> int:
        return len(self.codes)


def read(root: Path, domain: str, splits: Sequence[str], problems: Problems,
         options: ListOptions) -> dict[str, list[FaceSample]]:
    index: dict[str, str] | None = None

    def resolve(rel: str) -> str | None:
        nonlocal index
        if (root / rel).is_file():
            return rel
        if index is None:
            index = npz_index(root)
        return index.get(trial_of(rel))

    truth = find_ground_truth(root)
    evidence = GroundTruthEvidence(read_ground_truth(truth), truth) if truth else None
    out = {}
    for split in splits:
        path = locate_list(root, options, split, candidates("P", split, options.lists), f"PADISI {split}")
        out[split] = read_list(path, root, domain, split, problems, options, evidence=evidence, resolve=resolve)
    return out
