"""The cells file: one JSON line per finished cell, appended and never rewritten; the report is made from it.

A record holds what the report needs and nothing heavy (no models, no paths), so the file can be committed
(`bench/results/cells.jsonl`):

    cell, regime, table, row, split, seed
                                      which table entry (a record without `regime` is the first round's:
                                      scratch, before regimes existed; `regime_of`)
    settings                          `Grid.cell_settings`: lengths, overrides, the variant, the reward mix,
                                      the eval sets, a digest of the base recipes' values
    data                              the benchmark it was measured on (the synthetic generator's settings,
                                      or a digest of the lists of a folder given with --synth)
    commit                            the git revision that measured it ("-dirty": with local changes)
    finished, cores, model_parameters
    processes, load_1min              how many reproduction processes shared the machine (PAFAS_REPRODUCE_PROCESSES,
                                      1 when unset) and its 1-minute load average when the cell finished
    stages                            each stage output behind it: key, version, created, commit, threads (the
                                      count its manifest's recipe records), and seconds (the cost; timed:
                                      "runner" = around the stage call, "manifest" = the version's own `seconds`
                                      when no call was timed)
    sets                              the headline metrics per eval set, in %
    rl_curve                          {name: [start, end]} of the GRPO run behind it, rewards and
                                      frac_reward_zero_std (null without one)
    rl_select                         the step the dev reward chose: step, steps trained, dev_reward [start,
                                      chosen], stopped (null without selection)
    probe                             the pretrain version's perception probe on the cell's split (pretrained,
                                      scratch AUC; null without pretraining)

A cell is done when a record has its name, settings and data (never the commit: a rerun at a later commit
skips it) and was measured at a commit that contains the grid's `valid_since`; a later line with the same
key supersedes an earlier one. Only a last line cut short by a crash (no newline) is ever removed, by the
next append.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pafas_cli.errors import PafasError
from pafas_cli.workspace import disk_error

REPO = Path(__file__).resolve().parents[2]


def read_cells(path: Path) -> list[dict]:
    """Every record of the file, in order. A last line cut short (a crash while appending) is left out; any
    other line that is not a JSON object is an error naming the file and line."""
    path = Path(path)
    if not path.is_file():
        return []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise PafasError(f"{path}: cannot read the cells file ({exc})") from None
    records = []
    last = max((i for i, line in enumerate(lines) if line.strip()), default=-1)
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            if i == last:
                break
            raise PafasError(f"{path}:{i + 1}: not a JSON line ({exc.msg}); fix or delete that line") from None
        if not isinstance(record, dict) or not {"cell", "settings", "sets"} <= set(record):
            raise PafasError(f"{path}:{i + 1}: not a cell record (needs cell, settings, sets)")
        records.append(record)
    return records


def append_cell(path: Path, record: Mapping[str, Any]) -> None:
    """Append one record as one line (flushed to disk). A last line cut short (a crash while appending; it
    has no newline) is dropped first, the only time anything already in the file changes. Runs on one machine
    may share the file (bench/reproduce_parallel.sh): an exclusive lock keeps one writer's half-written line
    from being taken for a crashed one by another."""
    path = Path(path)
    line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            fh.seek(0)
            data = fh.read()
            if data and not data.endswith(b"\n"):
                fh.truncate(data.rfind(b"\n") + 1)
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise disk_error(exc, path) from exc


def regime_of(record: Mapping) -> str:
    """The regime a record was measured in; the first round's records (before regimes) are scratch."""
    return str(record.get("regime") or "scratch")


def record_key(name: str, settings: Any, data: Any) -> str:
    """What identifies a measurement: the cell, its settings and its data (not the commit)."""
    return json.dumps([name, settings, data], sort_keys=True, default=str)


def latest_records(records: Iterable[Mapping]) -> dict[str, Mapping]:
    """key -> the last record with that key."""
    out: dict[str, Mapping] = {}
    for r in records:
        out[record_key(r["cell"], r["settings"], r.get("data"))] = r
    return out


class Commits:
    """Whether a commit contains the grid's `valid_since` (git ancestry, asked once per commit)."""

    def __init__(self, valid_since: str | None, repo: Path = REPO):
        self.valid_since, self.repo = valid_since, repo
        self._known: dict[str, bool | None] = {}

    def fresh(self, commit: str | None) -> bool | None:
        """True / False, or None when git cannot tell (no commit recorded, no git, a commit not here)."""
        if not self.valid_since:
            return True
        if not commit:
            return None
        commit = commit.removesuffix("-dirty")
        if commit not in self._known:
            self._known[commit] = self._ask(commit)
        return self._known[commit]

    def stale(self, commit: str | None) -> bool:
        return self.fresh(commit) is False

    def _ask(self, commit: str) -> bool | None:
        try:
            done = subprocess.run(["git", "-C", str(self.repo), "merge-base", "--is-ancestor", str(self.valid_since),
                                   commit], capture_output=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return {0: True, 1: False}.get(done.returncode)


def record_stale(record: Mapping, commits: Commits) -> bool:
    """Measured (or built on a stage version made) at a commit that does not contain `valid_since`."""
    made = [record.get("commit")] + [st.get("commit") for st in record.get("stages") or [] if isinstance(st, dict)]
    return any(commits.stale(c) for c in made)
