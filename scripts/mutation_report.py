"""Per-module mutation score of a `mutmut run` (what `make mutate` prints), from mutants/**/*.py.meta.

score = detected / (mutants - equivalent), where detected = killed + timeout (a mutant that hangs the
tests is caught). Mutants judged equivalent (no test can tell them from the original) are listed with a
reason in scripts/equivalent_mutants.txt. Every other survivor, and every mutant no test ran ("no tests"),
counts against the score and is printed with its diff location. Exit status 1 when a module is under
--min (percent).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

DETECTED = {"killed", "timeout"}
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", 36: "timeout",
          37: "caught by type check", -24: "timeout", 24: "timeout", 152: "timeout", 255: "timeout", None: "not checked"}


def equivalents(path: Path) -> dict[str, str]:
    """mutant name -> reason, from `name  reason` lines (# comments and blank lines skipped)."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, reason = line.strip().partition(" ")
            out[name] = reason.strip()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", default="mutants", type=Path)
    parser.add_argument("--equivalent", default=Path(__file__).with_name("equivalent_mutants.txt"), type=Path)
    parser.add_argument("--min", default=90.0, type=float)
    args = parser.parse_args()
    judged = equivalents(args.equivalent)
    metas = sorted(args.mutants.rglob("*.py.meta"))
    if not metas:
        print(f"no mutmut results under {args.mutants}/: run `make mutate` first", file=sys.stderr)
        return 2
    below, rows, unexplained = [], [], []
    for meta in metas:
        module = meta.relative_to(args.mutants).as_posix().removesuffix(".meta")
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        status = {name: STATUS.get(code, "suspicious") for name, code in codes.items()}
        counts = Counter("equivalent" if name in judged and s == "survived" else s for name, s in status.items())
        detected = sum(counts[s] for s in DETECTED)
        scored = len(codes) - counts["equivalent"]
        score = 100.0 * detected / scored if scored else 100.0
        rows.append((module, detected, scored, counts["equivalent"], counts["survived"], counts["no tests"],
                     counts["not checked"], score))
        unexplained += [f"  {module}: {name} ({s})" for name, s in status.items()
                        if s not in DETECTED and not (name in judged and s == "survived")]
        if score < args.min:
            below.append(module)
    print(f"{'module':32} {'detected':>9} {'scored':>7} {'equiv':>6} {'survived':>9} {'no tests':>9} "
          f"{'unrun':>6} {'score':>7}")
    for module, detected, scored, equivalent, survived, untested, unrun, score in rows:
        print(f"{module:32} {detected:9d} {scored:7d} {equivalent:6d} {survived:9d} {untested:9d} {unrun:6d} "
              f"{score:6.1f}%")
    if unexplained:
        print(f"\n{len(unexplained)} mutants neither detected nor judged equivalent (`mutmut show NAME` shows one):")
        print("\n".join(unexplained))
    stale = sorted(set(judged) - {name for meta in metas for name in json.loads(meta.read_text())["exit_code_by_key"]})
    if stale:
        print(f"\n{len(stale)} names in {args.equivalent.name} match no mutant (the code moved): {', '.join(stale)}")
    if below:
        print(f"\nunder {args.min:.0f}%: {', '.join(below)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
