"""`--resume` decisions: which unfinished version and checkpoint, and the message that says so."""

import json

import pytest

from pafas_cli.errors import PafasError
from pafas_cli.train.resume import last_checkpoint, plan_resume
from pafas_cli.workspace import Workspace

RECIPE = {"seed": 0, "sft": {"max_steps": 30}}


def interrupted_version(ws: Workspace, recipe: dict, checkpoints=(), complete_last=True):
    """A version left behind by a killed run, with checkpoint folders (the last one possibly cut short)."""
    writer = ws.start("sft", recipe, seed=0)
    for i, step in enumerate(checkpoints):
        folder = writer.path / "checkpoints" / f"checkpoint-{step}"
        folder.mkdir(parents=True)
        if complete_last or i < len(checkpoints) - 1:
            (folder / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    writer.update(pid=None)  # the process is gone: status reads "interrupted"
    return writer.path


def test_auto_without_unfinished_runs_starts_fresh_and_says_so(tmp_path):
    plan = plan_resume(Workspace(tmp_path), "sft", "auto", RECIPE)
    assert plan.version is None and plan.checkpoint is None
    assert "starting a new run from step 0 (no unfinished run)" in plan.message


def test_auto_resumes_the_last_complete_checkpoint(tmp_path):
    ws = Workspace(tmp_path)
    path = interrupted_version(ws, RECIPE, checkpoints=(6, 12, 18), complete_last=False)
    plan = plan_resume(ws, "sft", "auto", RECIPE)
    assert plan.version.path == path and plan.checkpoint.name == "checkpoint-12" and plan.step == 12
    assert "resuming sft:v001 (interrupted) from step 12" in plan.message


def test_auto_explains_why_it_does_not_resume(tmp_path):
    ws = Workspace(tmp_path)
    interrupted_version(ws, RECIPE)
    interrupted_version(ws, {"seed": 0, "sft": {"max_steps": 99}}, checkpoints=(5,))
    plan = plan_resume(ws, "sft", "auto", RECIPE)
    assert plan.version is None
    assert "v002 (interrupted) was started with a different recipe (sft)" in plan.message
    assert "v001 (interrupted) has no checkpoint" in plan.message


def test_path_to_a_checkpoint_reopens_its_version(tmp_path):
    ws = Workspace(tmp_path)
    path = interrupted_version(ws, {"seed": 0, "sft": {"max_steps": 99}}, checkpoints=(5, 10))
    plan = plan_resume(ws, "sft", str(path / "checkpoints" / "checkpoint-5"), RECIPE)
    assert plan.version.path == path and plan.step == 5
    assert last_checkpoint(path).name == "checkpoint-10"


def test_never_and_bad_paths(tmp_path):
    ws = Workspace(tmp_path)
    path = interrupted_version(ws, RECIPE)
    assert plan_resume(ws, "sft", "never", RECIPE).version is None
    with pytest.raises(PafasError, match="no such checkpoint or version folder"):
        plan_resume(ws, "sft", str(tmp_path / "nope"), RECIPE)
    with pytest.raises(PafasError, match="has no checkpoint to resume from"):
        plan_resume(ws, "sft", str(path), RECIPE)
