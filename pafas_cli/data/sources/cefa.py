"""CASIA-SURF CeFA: MMDG's lists `C-{train,val,test}.txt`, or the challenge protocol files
`4@k_{train,dev_ref,test_res}.txt` (`data.lists` = "4@2" picks protocol 4.2; default 4@1).

Challenge files: train lines `<profile frame> <label>`; dev lines `<video folder> <label>`, frames taken
from `<folder>/profile/`; test lines `<video folder>` with no label, which then comes from the folder name
(Race_ID_Device_Session_PAI, PAI 1 = real). Depth and IR paths replace `profile` with `depth` / `ir`.
Label 1 = real. Attack types come from the folder names: PAI 2/3 prints, 4 screen replay, CeFA-Mask
3D-Mask (3D-printed, rigid) and Silicone-Mask.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pafas_cli.data.sample import LIVE, SPOOF, FaceSample
from pafas_cli.data.sources.listfile import candidates, require_list
from pafas_cli.data.sources.reading import (
    Problems, attack_from_path, build_sample, find_list, inside_root, named_attack, parse_label, read_mmdg_list,
    read_rows,
)
from pafas_cli.errors import PafasError

OBTAIN = ("CeFA is licence-gated: request it from CASIA (see https://github.com/liuajian/CASIA-FAS-Dataset), then "
          "pass --root /path/to/CeFA, the folder holding C-train.txt (MMDG) or the 4@1_train.txt protocol files.")
CHALLENGE = {"train": "train", "dev": "dev_ref", "test": "test_res"}
# Frames taken per video from a dev/test folder (MMDG samples about 3 frames per video).
FRAMES_PER_VIDEO = 3
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")


def read(root: Path, domain: str, splits: Sequence[str], problems: Problems, lists: str) -> dict[str, list[FaceSample]]:
    prefix = lists if lists.startswith("4@") else "4@1"
    out = {}
    for split in splits:
        mmdg = find_list(root, candidates("C", split, "" if lists.startswith("4@") else lists))
        if mmdg is not None and not lists.startswith("4@"):
            out[split] = read_mmdg_list(mmdg, root, domain, split, problems)
            continue
        name = f"{prefix}_{CHALLENGE[split]}.txt"
        path = require_list(root, [name], f"CeFA {split}")
        out[split] = _read_challenge(path, root, domain, split, problems)
    return out


def _read_challenge(path: Path, root: Path, domain: str, split: str, problems: Problems) -> list[FaceSample]:
    samples = []
    problems.read_list(path)
    for number, fields in read_rows(path):
        where = f"{path}:{number}"
        target = fields[0]
        if len(fields) > 2:
            raise PafasError(f"{where}: expected '<path> [label]', got {len(fields)} columns")
        frames = [target] if _is_image(target) else _video_frames(root, target, where, problems)
        for frame in frames:
            label = parse_label(fields[1], where) if len(fields) == 2 else _label_from_name(frame, where)
            rels = [frame] + [_swap_profile(frame, m, where) for m in ("depth", "ir")]
            sample = build_sample(root, rels, label, attack_from_path(frame, label, where), domain, split,
                                  where, problems)
            if sample is not None:
                samples.append(sample)
    return samples


def _is_image(rel: str) -> bool:
    return rel.lower().endswith(IMAGE_SUFFIXES)


def _swap_profile(rel: str, modality: str, where: str) -> str:
    parts = rel.replace("\\", "/").split("/")
    if "profile" not in parts:
        raise PafasError(f"{where}: '{rel}' has no 'profile' folder to derive the {modality} path from")
    parts[len(parts) - 1 - parts[::-1].index("profile")] = modality
    return "/".join(parts)


def _video_frames(root: Path, folder: str, where: str, problems: Problems) -> list[str]:
    """Up to FRAMES_PER_VIDEO evenly spaced frames of `<folder>/profile/`, as root-relative paths."""
    profile = inside_root(root, f"{folder.rstrip('/')}/profile", where)
    frames = sorted(p.name for p in profile.iterdir() if _is_image(p.name)) if profile.is_dir() else []
    if not frames:
        problems.report(where, f"no frames in {profile}")
        return []
    step = max(1, len(frames) // FRAMES_PER_VIDEO)
    return [f"{folder.rstrip('/')}/profile/{name}" for name in frames[step // 2::step][:FRAMES_PER_VIDEO]]


def _label_from_name(rel: str, where: str) -> int:
    """A test line without a label: the folder name decides (PAI 1 = real; CeFA-Mask = attack)."""
    found = named_attack(rel)
    if found is None:
        raise PafasError(f"{where}: no label column and the folder name of '{rel}' does not say live or spoof; "
                         "use a labelled list (e.g. MMDG's C-test.txt)")
    return LIVE if found == "live" else SPOOF
