"""The missing-modality bypass, checked on a trained model as an attacker would try it over HTTP.

Starts `pafas serve` on 127.0.0.1 twice and sends every spoof face of a held-out test set (the paths version's
stored images) once with all three images and once each with IR, depth or both left out:

  1. as served by default: every incomplete request must be refused (422 `modality_missing`), none decided;
  2. with `--allow-missing depth,ir`: every incomplete request must be decided at the threshold of its own
     condition, read here from the Protocol-2 eval's metrics.json (`conditions`), never at the full-triple
     dev threshold, and the answer must name the condition.

    python bench/check_bypass.py --workspace workspace/demo --model rl:latest --eval eval:latest

The eval must be a Protocol-2 eval of the same model (`pafas build-paths --set data.protocol=P2` for the dev and
test copies without depth / IR, then `pafas eval --model rl:latest --paths paths:latest --protocol P2`). Exits 1
when any check fails; prints a table of what each condition got.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from pafas_cli.env import configure_network

configure_network(False)

from bench_serve import start_server, stop_server  # noqa: E402  (bench/ is on sys.path)

# condition -> the modalities left out of the request (serve's names for them)
CONDITIONS = {"full": (), "missing_ir": ("ir",), "missing_depth": ("depth",), "missing_both": ("depth", "ir")}


def spoof_faces(paths_root: Path, set_name: str, limit: int) -> list[dict[str, Path]]:
    """Spoof faces (label 0) of one eval table of a paths version: modality -> stored image file."""
    from datasets import load_from_disk

    table = load_from_disk(str(paths_root / "eval" / set_name))
    faces = []
    for row in table:
        if row["label"] == 0:
            faces.append({m: paths_root / p for m, p in zip(row["modalities"], row["images"])})
    return faces[:limit] if limit else faces


def send_all(url: str, faces: list[dict[str, Path]]) -> dict[str, list]:
    """condition -> one Reply per face, the condition's modalities left out of the form."""
    from pafas_cli.serve.client import Client

    client = Client(url, timeout=300)
    try:
        return {c: [client.liveness({m: f for m, f in face.items() if m not in gone}) for face in faces]
                for c, gone in CONDITIONS.items()}
    finally:
        client.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--workspace", type=Path, default=Path("workspace/demo"))
    parser.add_argument("--model", default="rl:latest")
    parser.add_argument("--eval", default="eval:latest", help="a Protocol-2 eval of --model")
    parser.add_argument("--set", default="test", help="the eval table whose spoof faces are sent")
    parser.add_argument("--faces", type=int, default=0, help="at most this many spoof faces (0 = all)")
    args = parser.parse_args()

    from pafas_cli.workspace import Workspace

    ws = Workspace(args.workspace)
    model = ws.resolve(args.model, stage="rl")
    metrics = json.loads((ws.resolve(args.eval, stage="eval").path / "metrics.json").read_text())
    name = f"{model.stage}:{model.version}"
    scored = metrics["models"].get(name)
    if scored is None or not scored.get("conditions"):
        raise SystemExit(f"{args.eval} has no Protocol-2 thresholds for {name} (`pafas eval --protocol P2`)")
    thresholds = {"full": scored["dev_threshold"],
                  **{c: v["dev_threshold"] for c, v in scored["conditions"].items()}}
    faces = spoof_faces(Path(metrics["paths"]["path"]), args.set, args.faces)
    paths = f"{metrics['paths']['stage']}:{metrics['paths']['version']}"
    print(f"{len(faces)} spoof faces of {paths} {args.set}; model {name}; thresholds from "
          f"{args.eval}: " + ", ".join(f"{c} {t:.4f}" for c, t in thresholds.items()))

    failures = []
    runs = {}
    for label, extra in (("default", []), ("--allow-missing depth,ir", ["--allow-missing", "depth,ir"])):
        proc, url = start_server(ws.root, args.model, extra)
        try:
            runs[label] = send_all(url, faces)
        finally:
            stop_server(proc)

    print("\n| served | condition | answered | refused 422 | decided live | at its condition's threshold |")
    print("|---|---|---|---|---|---|")
    for label, by_condition in runs.items():
        for condition, replies in by_condition.items():
            ok = [r for r in replies if r.status == 200]
            refused = [r for r in replies if r.status == 422 and r.json["error"]["code"] == "modality_missing"]
            live = sum(r.json["decision"] == "live" for r in ok)
            at_own = sum(r.json["condition"] == condition and
                         abs(r.json["threshold"]["value"] - thresholds[condition]) < 1e-9 for r in ok)
            print(f"| {label} | {condition} | {len(ok)} | {len(refused)} | {live} | {at_own} |")
            other = Counter(r.status for r in replies if r.status not in (200, 422))
            if other:
                failures.append(f"{label} {condition}: unexpected statuses {dict(other)}")
            must_refuse = label == "default" and condition != "full"
            if must_refuse and len(refused) != len(faces):
                failures.append(f"{label} {condition}: {len(faces) - len(refused)} of {len(faces)} not refused")
            if not must_refuse and at_own != len(faces):
                failures.append(f"{label} {condition}: {len(faces) - at_own} of {len(faces)} not decided at the "
                                f"{condition} threshold")
    print()
    for line in failures:
        print("FAIL:", line)
    print("all checks passed" if not failures else f"{len(failures)} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
