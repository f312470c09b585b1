"""Helpers that build tiny datasets laid out exactly like the real releases (a few 8x8 images each)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def image(path: Path, mode: str = "RGB", value: int = 128, size: int = 8) -> str:
    """Write a small image (8-bit RGB/L or 16-bit "I;16") and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode == "I;16":
        Image.fromarray(np.full((size, size), value, np.uint16)).save(path)
    else:
        Image.new(mode, (size, size), value if mode == "L" else (value, value, value)).save(path)
    return str(path)


def triple(root: Path, folder: str, names=("color", "depth", "ir"), frame: str = "0001.jpg",
           depth_mode: str = "L") -> list[str]:
    """rgb/depth/ir files of one frame under root/folder/{color,depth,ir}/frame; returns relative paths."""
    rels = [f"{folder}/{n}/{frame}" for n in names]
    image(root / rels[0])
    image(root / rels[1], depth_mode, 40000 if depth_mode == "I;16" else 90)
    image(root / rels[2], "L", 70)
    return rels


def write_list(path: Path, rows: list[str], crlf: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes("".join(r + ("\r\n" if crlf else "\n") for r in rows).encode())
    return path


