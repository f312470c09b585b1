"""Copy three held-out faces (a live face, a print, a replay) from `synth:latest` for the explain step.

Usage: python scripts/demo_faces.py OUT_DIR  (files are named face<k>_rgb.png, face<k>_depth.png, face<k>_ir.png,
the layout `pafas explain DIR` pairs by stem).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from pafas_cli.data.sources import read_source
from pafas_cli.env import configure_network
from pafas_cli.workspace import Workspace

WANTED = ("Real Face", "Flat Print Attack", "Large Screen Replay Attack")


def main(out: Path) -> None:
    configure_network()
    root = Workspace().resolve("synth:latest").path
    samples = read_source("synthetic", root, domain="W", splits=("test",))["test"]
    out.mkdir(parents=True, exist_ok=True)
    for number, wanted in enumerate(WANTED, 1):
        sample = next(s for s in samples if s.attack[-1] == wanted)
        for modality in ("rgb", "depth", "ir"):
            src = Path(sample.path_of(modality))
            shutil.copyfile(src, out / f"face{number}_{modality}{src.suffix}")
        print(f"face{number}: {sample.id} ({wanted})")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
