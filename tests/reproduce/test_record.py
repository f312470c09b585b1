"""The cells file: append-only JSON lines, what counts as the record of a cell, staleness by git ancestry."""

import shutil
import subprocess

import pytest

from pafas_cli.errors import PafasError
from pafas_cli.reproduce.record import (Commits, append_cell, latest_records, read_cells, record_key,
                                        record_stale)


def rec(cell="p1-W-s0-full_rl", steps=100, auc=50.0, commit="abc1234"):
    return {"cell": cell, "settings": {"sft_steps": steps}, "data": {"synth": {"seed": 0}}, "commit": commit,
            "stages": [{"key": "model", "commit": commit}], "sets": {"test": {"auc": auc}}}


def test_appended_records_read_back_in_order(tmp_path):
    path = tmp_path / "results" / "cells.jsonl"
    assert read_cells(path) == []
    append_cell(path, rec(auc=1.0))
    append_cell(path, rec(auc=2.0))
    assert [r["sets"]["test"]["auc"] for r in read_cells(path)] == [1.0, 2.0]
    assert path.read_text().count("\n") == 2


def test_the_last_record_of_a_key_wins_and_the_commit_is_not_part_of_the_key():
    first, second, other = rec(auc=1.0, commit="aaa"), rec(auc=2.0, commit="bbb"), rec(steps=200)
    latest = latest_records([first, second, other])
    assert len(latest) == 2
    assert latest[record_key(first["cell"], first["settings"], first["data"])]["sets"]["test"]["auc"] == 2.0


def test_a_line_cut_short_by_a_crash_is_left_out_and_dropped_by_the_next_append(tmp_path):
    path = tmp_path / "cells.jsonl"
    append_cell(path, rec(auc=1.0))
    with open(path, "a") as fh:
        fh.write('{"cell": "p1-W-s0-raw_sft", "sett')  # killed while appending
    assert len(read_cells(path)) == 1
    append_cell(path, rec(auc=3.0))
    assert [r["sets"]["test"]["auc"] for r in read_cells(path)] == [1.0, 3.0]


def test_a_corrupt_line_in_the_middle_is_an_error_naming_it(tmp_path):
    path = tmp_path / "cells.jsonl"
    path.write_text('{"cell": 1, "settings": {}, "sets": {}}\nnot json\n{"cell": 2, "settings": {}, "sets": {}}\n')
    with pytest.raises(PafasError, match=r"cells.jsonl:2: not a JSON line"):
        read_cells(path)
    path.write_text('{"cell": 1}\n')
    with pytest.raises(PafasError, match=r"cells.jsonl:1: not a cell record"):
        read_cells(path)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_stale_means_measured_at_a_commit_without_valid_since(tmp_path):
    def git(*args):
        return subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t", *args],
                              check=True, capture_output=True, text=True).stdout.strip()

    git("init", "-q")
    for name in ("before", "fix", "after"):
        (tmp_path / name).write_text(name)
        git("add", name)
        git("commit", "-q", "-m", name)
    before, fix, after = git("rev-list", "--reverse", "HEAD").split()
    commits = Commits(fix[:7], repo=tmp_path)
    assert commits.fresh(after[:7]) is True and commits.fresh(fix[:7] + "-dirty") is True
    assert commits.fresh(before[:7]) is False and commits.stale(before[:7])
    assert commits.fresh("0123456") is None and commits.fresh(None) is None  # git cannot tell: not stale
    assert Commits(None, repo=tmp_path).fresh(before) is True
    assert record_stale(rec(commit=after[:7]), commits) is False
    old_stage = rec(commit=after[:7])
    old_stage["stages"][0]["commit"] = before[:7]  # built on a version made before the fix
    assert record_stale(old_stage, commits) is True


def _append_many(path, barrier, worker, count):
    barrier.wait()
    for i in range(count):
        append_cell(path, {**rec(cell=f"w{worker}-{i}"), "pad": "x" * 200_000})


def test_processes_sharing_the_cells_file_lose_no_record(tmp_path):
    """The parallel script runs several reproductions on one file: released together by one barrier, four
    writers of 200 kB records (many write calls each) must leave every record whole."""
    import multiprocessing

    path = tmp_path / "cells.jsonl"
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(4)
    workers = [ctx.Process(target=_append_many, args=(path, barrier, w, 15)) for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(60)
    assert [p.exitcode for p in workers] == [0] * 4
    cells = sorted(r["cell"] for r in read_cells(path))
    assert cells == sorted(f"w{w}-{i}" for w in range(4) for i in range(15))
