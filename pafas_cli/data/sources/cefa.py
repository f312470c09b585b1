"""CASIA-SURF CeFA in its three shapes: MMDG's lists, the challenge kit, CASIA's current distribution.

- MMDG `C-{train,val,test}.txt` (`CeFA/CeFA-Race/AF/AF-000/1_000_1_1_1/profile/0001.jpg ...`, 1 = live),
  and `pafas prepare` output.
- Challenge kit (CVPR 2020), protocol files `4@k_train.txt` (`<profile frame> <label>`), `4@k_dev_ref.txt`
  (`<video folder> <label>`) and the test list (`4@k_test_res.txt`, `<video folder>` without a label), 1 = real,
  possibly in phase folders; `data.lists` = "4@2" picks protocol 4.2 (default 4@1). Dev and test folders are
  anonymised (`dev/003062`), so their labels come only from the list: a test list without labels over
  anonymised folders cannot be used (give a labelled one with data.test_list).
- CASIA's current distribution: `CASIA_CeFA@p4.1_video_{train,dev,test}.txt` (`data.lists` = "p2.1", ... picks
  the protocol; default p4.1), two columns `<video folder>/color <label>` with **0 = live**.

Video folders give evenly spaced frames (`data.prepare.frames`, 3); depth and IR replace `profile`/`color`
by `depth`/`ir`. Attack types come from the folder names (Race_ID_Device_Session_PAI: PAI 2/3 print, 4
replay; CeFA-Mask or Mask/3D-Mask rigid, Silicone-Mask silicone) and, for anonymised folders, from the
protocol: protocol 4 trains and validates on screen replays and tests on cloth prints, protocol 2.1 the
other way round from 2.2 (liuajian/CASIA-FAS-Dataset CASIA_CeFA/readme.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from pafas_cli.data.sample import FaceSample
from pafas_cli.data.sources.reading import ListOptions, Problems, candidates, locate_list, read_list

OBTAIN = ("CeFA is licence-gated: request it from CASIA (see https://github.com/liuajian/CASIA-FAS-Dataset), then "
          "pass --root /path/to/CeFA, the folder holding C-train.txt (MMDG) or the 4@1_train.txt protocol files, "
          "or run `pafas prepare cefa` on it first (docs/data.md).")
CHALLENGE = {"train": ["train"], "dev": ["dev_ref"], "test": ["test_ref", "test_res"]}
CHALLENGE_UNLABELLED = {"dev": "dev_res"}
CASIA_WORD = {"train": "train", "dev": "dev", "test": "test"}
CHALLENGE_PROTOCOL = re.compile(r"^4@\d$")
CASIA_PROTOCOL = re.compile(r"^p\d(\.\d)?$")
# The attack every spoof of a split is, by protocol (readme: p2.1 Cloth & Cloth-Screen, p2.2 Screen &
# Screen-Cloth, p4.x <race>@Screen - <others>@Cloth; cloth = a print on cloth, screen = a replay).
PROTOCOL_SPOOFS = {
    "4": {"train": "replay", "dev": "replay", "test": "print"},
    "2.1": {"train": "print", "dev": "print", "test": "replay"},
    "2.2": {"train": "replay", "dev": "replay", "test": "print"},
}


def list_names(split: str, lists: str) -> tuple[list[str], list[str], str]:
    """(list names to look for in order, unlabelled names, protocol) for `split` and `data.lists`."""
    if CHALLENGE_PROTOCOL.match(lists):
        return [f"{lists}_{n}.txt" for n in CHALLENGE[split]], _unlabelled(split, lists), "4"
    if CASIA_PROTOCOL.match(lists):
        return [f"CASIA_CeFA@{lists}_{kind}_{CASIA_WORD[split]}.txt" for kind in ("video", "image")], [], lists[1:]
    names = candidates("C", split, lists)
    plain = [] if lists else ([f"4@1_{n}.txt" for n in CHALLENGE[split]]
                              + [f"CASIA_CeFA@p4.1_{kind}_{CASIA_WORD[split]}.txt" for kind in ("video", "image")])
    return names + plain, [] if lists else _unlabelled(split, "4@1"), ""


def _unlabelled(split: str, prefix: str) -> list[str]:
    return [f"{prefix}_{CHALLENGE_UNLABELLED[split]}.txt"] if split in CHALLENGE_UNLABELLED else []


def protocol_of(path: Path, given: str) -> str:
    """The CeFA protocol a list belongs to ("4", "2.1", ...; "" for MMDG lists)."""
    if given:
        return given
    if re.match(r"^4@\d_", path.name):
        return "4"
    if m := re.match(r"^CASIA_CeFA@p(\d(?:\.\d)?)_", path.name):
        return m.group(1)
    return ""


def role_of(path: Path, split: str) -> str:
    """Which split of its protocol a list is (from its name: `4@1_dev_ref.txt` is dev even when it serves as
    the test split), so anonymised spoofs take the attack of the videos the list really holds."""
    if m := re.match(r"^(?:4@\d|CASIA_CeFA@p[\d.]+_(?:video|image))_(train|dev|test)", path.name):
        return m.group(1)
    return split


def read(root: Path, domain: str, splits: Sequence[str], problems: Problems,
         options: ListOptions) -> dict[str, list[FaceSample]]:
    out = {}
    for split in splits:
        names, unlabelled, protocol = list_names(split, options.lists)
        path = locate_list(root, options, split, names, f"CeFA {split}", unlabelled)
        protocol = protocol_of(path, protocol)
        spoofs = PROTOCOL_SPOOFS.get(protocol) or PROTOCOL_SPOOFS.get(protocol.split(".")[0], {})
        polarity = "0=live" if path.name.startswith("CASIA_CeFA@") else "1=live"
        out[split] = read_list(path, root, domain, split, problems, options, polarity=polarity,
                               spoof_attack=spoofs.get(role_of(path, split)))
    return out

