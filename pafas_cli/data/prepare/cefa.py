"""`pafas prepare cefa`: the CeFA challenge kit, CASIA's current CeFA distribution, or MMDG's C lists.

Reads the lists through the `cefa` adapter (`data/sources/cefa.py`: phase folders, protocol 4@k or p4.1
files, 0 = live for CASIA's current lists, attack types from folder names or the protocol), groups the
frames by video and keeps `data.prepare.frames` of them, evenly spaced; video-folder lines (anonymised
`dev/003062`) give that many frames of the folder. CeFA's frames are CASIA's face crops, written as they are.
"""

from __future__ import annotations

from pathlib import Path

from pafas_cli.data.config import DataConfig
from pafas_cli.data.prepare.casia_surf import RULES as SURF_RULES
from pafas_cli.data.prepare.casia_surf import plan_lists
from pafas_cli.data.prepare.core import Video, load_files
from pafas_cli.data.sources.reading import ListOptions, Problems

RULES = {**SURF_RULES, "frames": SURF_RULES["frames"] + "; a video-folder line gives that many frames of the "
                                                        "folder's RGB (`profile`/`color`) frames"}
load = load_files


def plan(root: Path, cfg: DataConfig, options: ListOptions, problems: dict[str, Problems]) -> tuple[list[Video], dict]:
    return plan_lists("cefa", root, cfg, options, problems)
