"""The workspace's records and messages word for word: manifest input entries, references and what they
resolve to, disk-error hints per errno, failed-run manifests and the matching rules of `Workspace.find`."""

from __future__ import annotations

import errno
import json
import os
import re
from pathlib import Path

import pytest

from pafas_cli.errors import PafasError
from pafas_cli.workspace import (Resolved, Workspace, default_root, disk_error, fingerprint_dir,
                                 load_manifest)


def complete(ws: Workspace, stage: str, content: str = "x", inputs=None, recipe=None) -> str:
    with ws.start(stage, recipe or {"seed": 0}, inputs=inputs, seed=0) as run:
        (run.path / "artefact.txt").write_text(content)
    return run.version


def test_default_root_is_the_environment_s_or_workspace(monkeypatch):
    monkeypatch.delenv("PAFAS_WORKSPACE", raising=False)
    assert default_root() == Path("workspace") and Workspace().root == Path("workspace")
    monkeypatch.setenv("PAFAS_WORKSPACE", "/data/ws")
    assert default_root() == Path("/data/ws") and Workspace().root == Path("/data/ws")


def test_input_entries_by_hand(tmp_path):
    """What a later stage's manifest records of each input kind: a version, a folder, a hub id."""
    ws = Workspace(tmp_path)
    complete(ws, "model")
    version = ws.resolve("model:latest")
    assert version.as_input("base") == {"name": "base", "ref": "model:latest", "path": str(tmp_path / "model" / "v001"),
                                        "stage": "model", "version": "v001",
                                        "fingerprint": fingerprint_dir(tmp_path / "model" / "v001"), "hub_id": None}
    hub = ws.resolve("Qwen/Qwen2.5-VL-3B-Instruct", allow_hub=True)
    assert hub.as_input("base") == {"name": "base", "ref": "Qwen/Qwen2.5-VL-3B-Instruct", "path": None, "stage": None,
                                    "version": None, "fingerprint": None, "hub_id": "Qwen/Qwen2.5-VL-3B-Instruct"}
    folder = tmp_path / "weights"
    folder.mkdir()
    (folder / "a.bin").write_bytes(b"1")
    entry = ws.resolve(str(folder)).as_input("w")
    assert (entry["ref"], entry["path"], entry["stage"], entry["version"]) == (str(folder), str(folder), None, None)
    assert re.fullmatch(r"[0-9a-f]{16}", entry["fingerprint"])


def test_outside_inputs_are_fingerprinted_by_names_sizes_and_times(tmp_path):
    """A folder's fingerprint changes with a file's size or name, a single file's with its own; not its bytes."""
    ws = Workspace(tmp_path)
    folder = tmp_path / "model"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "w.bin").write_bytes(b"12")
    single = tmp_path / "w.gguf"
    single.write_bytes(b"12")
    stamp = (1_700_000_000, 1_700_000_000)
    os.utime(folder / "sub" / "w.bin", stamp)
    os.utime(single, stamp)
    before = ws.resolve(str(folder)).fingerprint, ws.resolve(str(single)).fingerprint
    (folder / "sub" / "w.bin").write_bytes(b"34")
    single.write_bytes(b"34")
    os.utime(folder / "sub" / "w.bin", stamp)
    os.utime(single, stamp)
    assert (ws.resolve(str(folder)).fingerprint, ws.resolve(str(single)).fingerprint) == before
    single.write_bytes(b"345")
    os.utime(single, stamp)
    assert ws.resolve(str(single)).fingerprint != before[1]
    (folder / "sub" / "w.bin").rename(folder / "sub" / "v.bin")
    assert ws.resolve(str(folder)).fingerprint != before[0]
    assert len(before[0]) == len(before[1]) == 16


@pytest.mark.parametrize("code, hint", [
    (errno.ENOSPC, "free space there, or point --workspace (PAFAS_WORKSPACE) at a disk with room"),
    (errno.EDQUOT, "free space within the quota, or use a --workspace (PAFAS_WORKSPACE) outside it"),
    (errno.EROFS, "the workspace must be writable: use another --workspace (PAFAS_WORKSPACE)"),
    (errno.EACCES, "give this user access there, or use another --workspace (PAFAS_WORKSPACE)"),
    (errno.EPERM, "give this user access there, or use another --workspace (PAFAS_WORKSPACE)"),
    (errno.EIO, "check the disk and the folder, or use another --workspace (PAFAS_WORKSPACE)"),
])
def test_disk_error_hints_word_for_word(code, hint):
    named = disk_error(OSError(code, os.strerror(code), "/ws/sft/v001/x"), "/ws/sft")
    assert str(named) == f"cannot write /ws/sft/v001/x: {os.strerror(code)}; {hint}"
    unnamed = disk_error(OSError(code, os.strerror(code)), "/ws/sft", "read")
    assert str(unnamed) == f"cannot read /ws/sft: {os.strerror(code)}; {hint}"


def test_disk_error_without_strerror_says_what_it_can():
    assert str(disk_error(OSError("bare"), "/ws")).startswith("cannot write /ws: bare; ")
    assert str(disk_error(OSError(), "/ws")).startswith("cannot write /ws: OSError; ")


def test_stages_lists_known_stages_first_then_others_not_hidden(tmp_path):
    ws = Workspace(tmp_path / "none")
    assert ws.stages() == []
    ws = Workspace(tmp_path)
    for name in ("sft", "paths", "zeta", "alpha", ".trash"):
        (tmp_path / name).mkdir()
    (tmp_path / "notes.txt").write_text("x")
    assert ws.stages() == ["paths", "sft", "alpha", "zeta"]


def test_references_resolve_word_for_word(tmp_path):
    ws = Workspace(tmp_path)
    complete(ws, "model")
    complete(ws, "model")
    latest = ws.resolve("model:latest")
    assert (latest.ref, latest.path, latest.stage, latest.version) == \
        ("model:latest", (tmp_path / "model" / "v002").resolve(), "model", "v002")
    assert ws.resolve("model:").version == "v002"
    assert ws.resolve("v001", stage="model").version == "v001" and ws.resolve("model:2").ref == "model:2"
    bare = ws.resolve("latest", stage="model")
    assert (bare.ref, bare.stage, bare.version) == ("latest", "model", "v002")
    by_path = ws.resolve(str(tmp_path / "model" / "v001"))
    assert (by_path.ref, by_path.path) == (str(tmp_path / "model" / "v001"), (tmp_path / "model" / "v001").resolve())
    with pytest.raises(PafasError, match=re.escape(f"'sft:latest': the workspace {tmp_path} has no complete 'sft' "
                                                   "version yet (run `pafas sft` first, or pass a folder)")):
        ws.resolve("sft:latest")
    for stage, command in (("paths", "build-paths"), ("model", "init-model"), ("synth", "synth"), ("eval", "eval")):
        with pytest.raises(PafasError, match=re.escape(f"(run `pafas {command}` first")):
            Workspace(tmp_path / "empty").resolve(f"{stage}:latest")
    with pytest.raises(PafasError, match=r"^cannot resolve 'nope': no such file, folder or workspace version "
                                         r"\(workspace references look like 'model:latest'\)$"):
        ws.resolve("nope", stage="model")
    with pytest.raises(PafasError, match=r"^cannot resolve 'a/b': no such file, folder or workspace version$"):
        ws.resolve("a/b")
    with pytest.raises(PafasError, match=re.escape(f"'model:v009': no version v009 under {tmp_path / 'model'}")):
        ws.resolve("model:v009")


def test_a_folder_named_like_a_reference_is_the_folder(tmp_path, monkeypatch):
    """`model:v001` names the version unless a file or folder of that name exists here: then it is that path."""
    ws = Workspace(tmp_path / "ws")
    complete(ws, "model")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model:v001").mkdir()
    (tmp_path / "model:v001" / "f").write_text("x")
    got = ws.resolve("model:v001")
    assert got.stage is None and got.path == (tmp_path / "model:v001").resolve()


def test_unfinished_and_corrupt_versions_are_refused_as_inputs(tmp_path):
    ws = Workspace(tmp_path)
    with pytest.raises(RuntimeError):
        with ws.start("sft", {}):
            raise RuntimeError("boom")
    folder = tmp_path / "sft" / "v001.partial"
    with pytest.raises(PafasError, match=rf"^{re.escape(str(folder))} is a failed version; only complete ones can "
                                         r"be used$"):
        ws.resolve(str(folder))
    with pytest.raises(PafasError, match=r"^'sft:v001' is failed, not complete; it cannot be used as an input$"):
        ws.resolve("sft:v001")
    complete(ws, "model")
    manifest = tmp_path / "model" / "v001" / "manifest.json"
    manifest.write_text(json.dumps({"stage": "model", "version": "v001", "status": 3}))
    hint = (f"corrupt manifest: {manifest}: 'status' is a int, not a str; restore the file from a backup or delete "
            f"{tmp_path / 'model' / 'v001'} (the other versions are unaffected)")
    with pytest.raises(PafasError, match="^" + re.escape(f"'model:v001': {hint}") + "$"):
        ws.resolve("model:v001")
    with pytest.raises(PafasError, match="^" + re.escape(f"'{tmp_path / 'model' / 'v001'}': {hint}") + "$"):
        ws.resolve(str(tmp_path / "model" / "v001"))
    with pytest.raises(PafasError, match="^" + re.escape(hint) + "$"):
        load_manifest(tmp_path / "model" / "v001")


def test_get_takes_a_number_or_a_version_name(tmp_path):
    ws = Workspace(tmp_path)
    complete(ws, "eval")
    assert ws.get("eval", "1").version == ws.get("eval", "v001").version == ws.get("eval", "001").version == "v001"
    with pytest.raises(PafasError, match=r"^'eval:V001': no version V001 under "):
        ws.get("eval", "V001")


def test_a_failed_run_records_when_how_long_and_why(tmp_path):
    ws = Workspace(tmp_path)
    with pytest.raises(ValueError):
        with ws.start("rl", {}) as run:
            run.update(fingerprint="stale")
            raise ValueError("bad value")
    manifest = json.loads((tmp_path / "rl" / "v001.partial" / "manifest.json").read_text())
    assert manifest["status"] == "failed" and manifest["error"] == "ValueError: bad value"
    assert manifest["pid"] is None and "fingerprint" not in manifest
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", manifest["finished"])
    assert isinstance(manifest["seconds"], float) and 0 <= manifest["seconds"] < 60


def test_find_matches_sections_lists_and_inputs_by_rule(tmp_path):
    """Lists match element by element, JSON keeps true apart from 1, and an input is
    matched by fingerprint, hub id or (for an input without either) its path; references are resolved, hub
    ids included."""
    ws = Workspace(tmp_path)
    complete(ws, "model", "m")
    hub = ws.resolve("org/model", allow_hub=True)
    plain = Resolved("raw", tmp_path / "raw")
    recipe = {"seed": 0, "sft": {"targets": ["q", "v"], "flag": True, "path": "x"}}
    inputs = [ws.resolve("model:v001").as_input("m"), hub.as_input("h"), plain.as_input("p")]
    version = complete(ws, "sft", inputs=inputs, recipe=recipe)
    assert ws.find("sft", recipe, ["model:v001", "org/model", plain]).version == version
    assert ws.find("sft", {"seed": 0, "sft": {"targets": ["q", "v"], "flag": True, "path": Path("x")}}) is not None
    assert ws.find("sft", {"seed": 0, "sft": {"targets": ["q"], "flag": True, "path": "x"}}) is None
    assert ws.find("sft", {"seed": 0, "sft": {"targets": ["q", "k"], "flag": True, "path": "x"}}) is None
    assert ws.find("sft", {"seed": 0, "sft": {"targets": "qv", "flag": True, "path": "x"}}) is None
    assert ws.find("sft", {"seed": 0, "sft": {"targets": ["q", "v"], "flag": 1, "path": "x"}}) is None
    assert ws.find("sft", recipe, ["other/model"]) is None
    assert ws.find("sft", recipe, [Resolved("raw", tmp_path / "elsewhere")]) is None


def test_find_ignores_unfinished_versions(tmp_path):
    ws = Workspace(tmp_path)
    run = ws.start("sft", {"seed": 0})
    run.update(status="complete")  # a `.partial` that says complete is not a complete version
    assert ws.find("sft", {"seed": 0}) is None


def test_a_new_version_s_manifest_by_hand(tmp_path):
    """What `start` writes before any work: the contract fields, with this process's pid and argv."""
    import platform
    import sys

    ws = Workspace(tmp_path)
    run = ws.start("paths", {"seed": 3, "paths": {"n_paths": 2}}, inputs=[{"name": "data"}], seed=3)
    manifest = json.loads((tmp_path / "paths" / "v001.partial" / "manifest.json").read_text())
    assert {k: manifest[k] for k in ("stage", "version", "status", "finished", "pid", "argv", "recipe", "inputs",
                                     "seed", "metrics")} == \
        {"stage": "paths", "version": "v001", "status": "running", "finished": None, "pid": os.getpid(),
         "argv": sys.argv, "recipe": {"seed": 3, "paths": {"n_paths": 2}}, "inputs": [{"name": "data"}], "seed": 3,
         "metrics": {}}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", manifest["created"])
    assert manifest["packages"]["python"] == platform.python_version() and manifest["packages"]["pafas"] == "0.1.0"
    assert set(manifest["packages"]) == {"python", "pafas", "torch", "transformers", "trl", "peft", "accelerate",
                                         "datasets", "tokenizers"}
    assert run.ref == "paths:v001" and run.manifest == manifest
    assert ws.start("paths", {}).manifest["inputs"] == []


def test_git_revision_names_the_checkout_and_whether_it_is_dirty(tmp_path):
    import subprocess

    from pafas_cli.workspace import git_revision

    repo = Path(__file__).resolve().parents[1]
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if head.returncode != 0:
        pytest.skip("not a git checkout")
    status = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                            capture_output=True, text=True).stdout.splitlines()
    changed = [line[3:] for line in status]
    code = [p for p in changed if not (p.endswith(".md") or p.startswith(("docs/", "bench/results/")))]
    assert git_revision() == head.stdout.strip() + ("-dirty" if code else "")


def test_metrics_and_fields_merge_into_the_manifest(tmp_path):
    ws = Workspace(tmp_path)
    with ws.start("eval", {}) as run:
        run.set_metrics({"auc": 0.5})
        run.set_metrics({"eer": 0.1})
        run.update(note="n", metrics={**run.manifest["metrics"], "hter": 0.2})
        on_disk = json.loads((run.path / "manifest.json").read_text())
        assert on_disk["metrics"] == {"auc": 0.5, "eer": 0.1, "hter": 0.2} and on_disk["note"] == "n"
    final = json.loads((tmp_path / "eval" / "v001" / "manifest.json").read_text())
    assert final["status"] == "complete" and final["fingerprint"] == fingerprint_dir(tmp_path / "eval" / "v001")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", final["finished"]) and final["seconds"] >= 0


def test_write_json_is_pretty_atomic_and_names_the_file_on_a_disk_fault(tmp_path, monkeypatch):
    from pafas_cli.workspace import write_json

    target = tmp_path / "m.json"
    write_json(target, {"a": Path("x"), "b": [1]})
    assert target.read_text() == '{\n  "a": "x",\n  "b": [\n    1\n  ]\n}\n'

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(PafasError, match=rf"^cannot write {re.escape(str(target))}: No space left on device; "):
        write_json(target, {"a": 2})
    assert json.loads(target.read_text())["a"] == "x" and [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_fingerprint_covers_names_and_bytes_but_not_the_manifest_or_checkpoints(tmp_path):
    folder = tmp_path / "v"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.bin").write_bytes(b"a" * (1 << 20) + b"tail")
    base = fingerprint_dir(folder)
    assert re.fullmatch(r"[0-9a-f]{16}", base)
    (folder / "manifest.json").write_text("{}")
    (folder / "checkpoints").mkdir()
    (folder / "checkpoints" / "step-1").write_text("x")
    assert fingerprint_dir(folder) == base
    (folder / "sub" / "a.bin").write_bytes(b"a" * (1 << 20) + b"tall")
    assert fingerprint_dir(folder) != base
    (folder / "sub" / "a.bin").write_bytes(b"a" * (1 << 20) + b"tail")
    (folder / "sub" / "a.bin").rename(folder / "sub" / "b.bin")
    assert fingerprint_dir(folder) != base
    (folder / "sub" / "b.bin").rename(folder / "sub" / "a.bin")
    (folder / "checkpoints.txt").write_text("x")
    assert fingerprint_dir(folder) != base


def test_reserve_continues_after_every_number_seen(tmp_path):
    """After complete, partial and reserved numbers alike, the next free one; gaps are not reused."""
    ws = Workspace(tmp_path)
    (tmp_path / "sft" / "v004").mkdir(parents=True)
    assert ws.reserve("sft") == "v005"
    (tmp_path / "sft" / "v009.partial").mkdir()
    assert ws.reserve("sft") == "v010"
    (tmp_path / "sft" / ".reserved" / "v020").mkdir()
    (tmp_path / "sft" / ".reserved" / "notes").mkdir()
    assert ws.reserve("sft") == "v021"
    (tmp_path / "sft" / ".reserved" / "v022").mkdir()
    os.rmdir(tmp_path / "sft" / ".reserved" / "v020")
    os.rmdir(tmp_path / "sft" / ".reserved" / "v021")
    assert ws.reserve("sft") == "v023"


def test_versions_lists_version_folders_in_order_and_reads_their_state(tmp_path):
    ws = Workspace(tmp_path)
    assert ws.versions("sft") == []
    complete(ws, "sft")
    (tmp_path / "sft" / "v002.partial").mkdir()                              # starting, no manifest yet
    (tmp_path / "sft" / "v003").mkdir()                                      # complete but no manifest
    for junk in ("v01", "notes", "v004x"):
        (tmp_path / "sft" / junk).mkdir()
    (tmp_path / "sft" / "v005").write_text("a file")
    (tmp_path / "sft" / "v1000").mkdir()
    (tmp_path / "sft" / "v1000" / "manifest.json").write_text(json.dumps(
        {"stage": "sft", "version": "v1000", "status": "complete"}))
    listed = ws.versions("sft")
    assert [(v.path.name, v.status) for v in listed] == [("v001", "complete"), ("v002.partial", "interrupted"),
                                                         ("v003", "corrupt"), ("v1000", "complete")]
    assert listed[2].problem == f"{tmp_path / 'sft' / 'v003' / 'manifest.json'}: missing (a complete version always has one)"
    assert [v.version for v in ws.versions("sft", include_partial=False)] == ["v001", "v003", "v1000"]
    assert ws.latest("sft").version == "v1000" and [v.version for v in ws.unfinished("sft")] == ["v002"]


@pytest.mark.parametrize("manifest, problem", [
    ({"version": "v001", "status": "complete"}, "missing key 'stage'"),
    ({"stage": "sft", "status": "complete"}, "missing key 'version'"),
    ({"stage": "sft", "version": 1, "status": "complete"}, "'version' is a int, not a str"),
    ({"stage": "sft", "version": "v001", "status": "done"},
     "unknown status 'done' (one of running, complete, failed, interrupted)"),
    ({"stage": "sft", "version": "v001", "status": "complete", "inputs": {}}, "'inputs' is a dict, not a list"),
    ({"stage": "sft", "version": "v001", "status": "complete", "argv": "pafas sft"}, "'argv' is a str, not a list"),
])
def test_manifest_problems_word_for_word(tmp_path, manifest, problem):
    from pafas_cli.workspace import check_manifest

    assert check_manifest(manifest, Path("m.json")) == f"m.json: {problem}"
    ok = {"stage": "sft", "version": "v001", "status": "complete", "error": None, "metrics": {}}
    assert check_manifest(ok, Path("m.json")) is None


def test_unreadable_manifests_word_for_word(tmp_path):
    from pafas_cli.workspace import read_manifest

    file = tmp_path / "manifest.json"
    assert read_manifest(tmp_path) == ({}, None)
    file.write_text("  \n")
    assert read_manifest(tmp_path)[1] == f"{file}: empty (Expecting value)"
    file.write_text('{"a":\n 1,')
    assert read_manifest(tmp_path)[1] == f"{file}: truncated or invalid JSON at line 2 column 4 " \
                                         "(Expecting property name enclosed in double quotes)"
    file.write_text("[1]")
    assert read_manifest(tmp_path)[1] == f"{file}: a JSON list, not an object"
    file.write_bytes(b'{"a": "\xff"}')
    assert read_manifest(tmp_path)[1].startswith(f"{file}: unreadable (")
    with pytest.raises(PafasError, match=rf"^{re.escape(str(tmp_path / 'x' / 'manifest.json'))}: missing; "
                                         rf"{re.escape(str(tmp_path / 'x'))} is not a workspace version$"):
        load_manifest(tmp_path / "x")


def test_a_partial_version_is_running_only_while_its_process_lives(tmp_path):
    ws = Workspace(tmp_path)
    run = ws.start("rl", {})
    assert ws.versions("rl")[0].status == "running"
    for pid in (str(os.getpid()), None, 2**22 + 12345):
        run.update(pid=pid)
        assert ws.versions("rl")[0].status == "interrupted", pid
    run.update(pid=1)  # alive (init), whoever owns it
    assert ws.versions("rl")[0].status == "running"
    run.update(status="failed")
    assert ws.versions("rl")[0].status == "failed"


def test_probing_a_live_child_leaves_it_running_and_a_reaped_one_reads_as_dead(tmp_path):
    """A `running` partial version whose pid is a live child reads as running, and the probe leaves the child
    running (it resets SIGHUP to the default, which would end it, before saying it is ready); once the child is
    killed and reaped the version reads as interrupted."""
    import subprocess
    import sys

    ws = Workspace(tmp_path)
    run = ws.start("rl", {})
    code = ("import signal, time; signal.signal(signal.SIGHUP, signal.SIG_DFL); print('ready', flush=True); "
            "time.sleep(30)")
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "ready\n"
        run.update(pid=child.pid)
        assert ws.versions("rl")[0].status == "running"
        with pytest.raises(subprocess.TimeoutExpired):
            child.wait(timeout=0.2)
        assert child.poll() is None
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
    assert ws.versions("rl")[0].status == "interrupted"


def test_a_pid_this_user_may_not_signal_is_alive(tmp_path, monkeypatch):
    """`kill(pid, 0)` refused with EPERM: the process exists under another user, so its run is running."""
    ws = Workspace(tmp_path)
    run = ws.start("rl", {})
    run.update(pid=2**22 + 12345)
    assert ws.versions("rl")[0].status == "interrupted"

    def refused(pid, sig):
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "kill", refused)
    assert ws.versions("rl")[0].status == "running"


def test_versions_carry_their_stage_and_a_corrupt_one_no_manifest(tmp_path):
    """Each listed version names the stage it was listed for; a version whose manifest is not valid JSON, or is
    JSON the checks refuse, is listed as corrupt with an empty manifest (never the bad one) and the problem."""
    ws = Workspace(tmp_path)
    for stage in ("paths", "sft"):
        complete(ws, stage)
        complete(ws, stage)
    assert [(v.stage, v.version) for stage in ("paths", "sft") for v in ws.versions(stage)] == \
        [("paths", "v001"), ("paths", "v002"), ("sft", "v001"), ("sft", "v002")]
    (tmp_path / "sft" / "v001" / "manifest.json").write_text('{"stage": "sft", "version"')
    (tmp_path / "sft" / "v002" / "manifest.json").write_text(json.dumps(
        {"stage": "sft", "version": "v002", "status": "done", "metrics": {"auc": 0.9}}))
    listed = ws.versions("sft")
    assert [(v.stage, v.version, v.status, v.manifest) for v in listed] == \
        [("sft", "v001", "corrupt", {}), ("sft", "v002", "corrupt", {})]
    assert listed[0].problem.startswith(f"{tmp_path / 'sft' / 'v001' / 'manifest.json'}: truncated or invalid JSON")
    assert listed[1].problem.endswith("manifest.json: unknown status 'done' (one of running, complete, failed, "
                                      "interrupted)")


def test_interruption_and_disk_faults_in_the_body_are_recorded(tmp_path):
    ws = Workspace(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        with ws.start("sft", {}):
            raise KeyboardInterrupt
    info = ws.versions("sft")[0]
    assert info.status == "interrupted" and info.manifest["error"] == "KeyboardInterrupt: "
    with pytest.raises(PafasError) as caught:
        with ws.start("sft", {}) as run:
            raise PermissionError(errno.EACCES, "Permission denied", str(run.path / "x"))
    assert str(caught.value) == (f"cannot access {run.path / 'x'}: Permission denied; give this user access there, "
                                 f"or use another --workspace (PAFAS_WORKSPACE) (sft:v002 is kept as failed in "
                                 f"{run.path})")
    with pytest.raises(OSError, match="Input/output"):
        with ws.start("sft", {}):
            raise OSError(errno.EIO, "Input/output error")


def test_resuming_marks_the_version_running_again(tmp_path):
    ws = Workspace(tmp_path)
    with pytest.raises(RuntimeError):
        with ws.start("sft", {}):
            raise RuntimeError("x")
    (info,) = ws.unfinished("sft")
    writer = ws.start("sft", {}, resume=info)
    assert (writer.version, writer.path, writer.resumed) == ("v001", info.path, True)
    with writer:
        manifest = json.loads((info.path / "manifest.json").read_text())
        assert (manifest["status"], manifest["pid"]) == ("running", os.getpid())
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", manifest["resumed_at"])
    assert ws.latest("sft").version == "v001"


def test_an_unlistable_workspace_is_one_line_naming_it(tmp_path, monkeypatch):
    ws = Workspace(tmp_path)
    (tmp_path / "sft").mkdir()
    real = Path.iterdir

    def refuse(self):
        if self == tmp_path:
            raise PermissionError(errno.EACCES, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "iterdir", refuse)
    with pytest.raises(PafasError, match=rf"^cannot read {re.escape(str(tmp_path))}: Permission denied; give this user "
                                         r"access there, or use another --workspace \(PAFAS_WORKSPACE\)$"):
        ws.stages()


def test_odd_references_and_foreign_manifests(tmp_path):
    """A second colon belongs to the tag; a folder whose manifest.json names no stage is an outside folder."""
    ws = Workspace(tmp_path)
    with pytest.raises(PafasError, match=rf"^'sft:x:y': no version x:y under {re.escape(str(tmp_path / 'sft'))}$"):
        ws.resolve("sft:x:y")
    folder = tmp_path / "other-tool"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"version": "1.2"}))
    got = ws.resolve(str(folder))
    assert (got.stage, got.version, got.path) == (None, None, folder.resolve())


def test_a_corrupt_unfinished_version_is_not_offered_for_resume(tmp_path):
    ws = Workspace(tmp_path)
    with pytest.raises(RuntimeError):
        with ws.start("sft", {}):
            raise RuntimeError("x")
    with pytest.raises(RuntimeError):
        with ws.start("sft", {}):
            raise RuntimeError("y")
    (tmp_path / "sft" / "v002.partial" / "manifest.json").write_text("{")
    assert [(v.version, v.status) for v in ws.versions("sft")] == [("v001", "failed"), ("v002", "corrupt")]
    assert [v.version for v in ws.unfinished("sft")] == ["v001"]


def test_a_failure_that_cannot_be_recorded_says_how_the_version_will_read(tmp_path, monkeypatch):
    from pafas_cli import workspace as workspace_module

    ws = Workspace(tmp_path)
    run = ws.start("sft", {})

    def full(path, data):
        raise PafasError("cannot write: full")

    monkeypatch.setattr(workspace_module, "write_json", full)
    with pytest.raises(PafasError, match="^" + re.escape(
            f"cannot write: full (sft:v001 stays in {run.path}; its manifest could not be updated either, so it "
            "reads as interrupted)") + "$"):
        with run:
            pass


def _refuse(monkeypatch, where: Path, what: str = "iterdir"):
    """Make Path.iterdir (or os.mkdir) fail with EACCES at `where` only."""
    if what == "iterdir":
        real = Path.iterdir

        def iterdir(self):
            if self == where:
                raise PermissionError(errno.EACCES, "Permission denied")
            return real(self)

        monkeypatch.setattr(Path, "iterdir", iterdir)
    else:
        real_mkdir = os.mkdir

        def mkdir(path, *args, **kwargs):
            if Path(path).parent == where:
                raise PermissionError(errno.EACCES, "Permission denied")
            return real_mkdir(path, *args, **kwargs)

        monkeypatch.setattr(os, "mkdir", mkdir)


HINT = "Permission denied; give this user access there, or use another --workspace (PAFAS_WORKSPACE)"


def test_unreadable_stage_folders_are_one_line_naming_them(tmp_path, monkeypatch):
    ws = Workspace(tmp_path)
    complete(ws, "sft")
    _refuse(monkeypatch, tmp_path / "sft")
    with pytest.raises(PafasError, match="^" + re.escape(f"cannot read {tmp_path / 'sft'}: {HINT}") + "$"):
        ws.versions("sft")


def test_a_refused_reservation_is_one_line_naming_the_folder(tmp_path, monkeypatch):
    ws = Workspace(tmp_path)
    reserved = tmp_path / "sft" / ".reserved"
    reserved.mkdir(parents=True)
    _refuse(monkeypatch, reserved)
    message = f"cannot reserve a version number in {reserved}: {HINT}"
    with pytest.raises(PafasError, match="^" + re.escape(message) + "$"):
        ws.reserve("sft")
    monkeypatch.undo()
    _refuse(monkeypatch, reserved, "mkdir")
    with pytest.raises(PafasError, match="^" + re.escape(message) + "$"):
        ws.reserve("sft")


def test_a_version_that_cannot_be_created_leaves_no_staging_folder(tmp_path, monkeypatch):
    from pafas_cli import workspace as workspace_module

    ws = Workspace(tmp_path)

    def refused(path, data):
        raise OSError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(workspace_module, "write_json", refused)
    staging = tmp_path / "sft" / ".v001.partial.new"
    with pytest.raises(PafasError, match="^" + re.escape(f"cannot create {staging / 'manifest.json'}: {HINT}") + "$"):
        ws.start("sft", {})
    assert not staging.exists() and not (tmp_path / "sft" / "v001.partial").exists()

    def full(path, data):
        (path.parent / "half").write_text("x")
        raise PafasError("cannot write: full")

    monkeypatch.setattr(workspace_module, "write_json", full)
    with pytest.raises(PafasError, match="^cannot write: full$"):
        ws.start("sft", {})
    assert [p.name for p in (tmp_path / "sft").iterdir()] == [".reserved"]


def test_a_running_unfinished_version_is_not_offered_for_resume(tmp_path):
    ws = Workspace(tmp_path)
    ws.start("sft", {})
    assert ws.unfinished("sft") == [] and ws.versions("sft")[0].status == "running"


def _fake_git(tmp_path, monkeypatch, status: bytes, head: bytes = b"abc1234\n"):
    """A `git` on PATH that prints `head` for rev-parse and `status` for status."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "head").write_bytes(head)
    (bin_dir / "status").write_bytes(status)
    script = bin_dir / "git"
    script.write_text(f'#!/bin/sh\ncase "$*" in *rev-parse*) cat {bin_dir / "head"};; *) cat {bin_dir / "status"};; esac\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")


def test_the_git_revision_says_dirty_only_with_local_changes_whatever_the_file_names(tmp_path, monkeypatch):
    from pafas_cli.workspace import git_revision

    _fake_git(tmp_path, monkeypatch, b"")
    assert git_revision() == "abc1234"
    _fake_git(tmp_path, monkeypatch, b" M caf\xe9.py\n")  # a Latin-1 file name: not UTF-8
    assert git_revision() == "abc1234-dirty"


def test_prose_and_recorded_results_do_not_make_a_checkout_dirty(tmp_path):
    """The reproduction rewrites docs/results.md and appends to bench/results/ while it runs; its later cells
    were once all attributed to a "-dirty" commit although no code had changed."""
    import subprocess

    from pafas_cli.workspace import git_revision

    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    for name in ("docs/results.md", "bench/results/cells.jsonl", "README.md", "pafas_cli/stage.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("v1\n")
    git("init", "-q")
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    clean = git_revision(tmp_path)
    assert clean and not clean.endswith("-dirty")
    for name in ("docs/results.md", "bench/results/cells.jsonl", "README.md"):
        (tmp_path / name).write_text("v2\n")
    assert git_revision(tmp_path) == clean
    (tmp_path / "pafas_cli" / "stage.py").write_text("v2\n")
    assert git_revision(tmp_path) == clean + "-dirty"
