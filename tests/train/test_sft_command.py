"""`pafas sft` end to end on the tiny workspace: one process, two processes (gloo), and kill + resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pafas_cli.config import load_recipe
from runs import kill_at_checkpoint, logs, manifest, pafas, sets, steps_logged
from pafas_cli.train.plan import resolve_sft

TINY = ["sft.batch_size=4", "sft.warmup_steps=0", "sft.logging_steps=2"]


@pytest.mark.slow
def test_sft_writes_a_complete_version(workspace):
    from pafas_cli.commands import sft

    sft.run(resolve_sft(load_recipe(None, [*TINY, "sft.max_steps=4", "sft.save_steps=2"]), workspace))
    version = workspace.root / "sft" / "v001"
    meta = manifest(version)
    assert meta["status"] == "complete" and meta["metrics"]["steps"] == 4
    assert {"loss_start", "loss_end"} <= set(meta["metrics"])
    assert [i["name"] for i in meta["inputs"]] == ["paths", "model"]
    assert (version / "model" / "model.safetensors").is_file() and (version / "loss.png").is_file()
    assert json.loads((version / "model" / "processor_config.json").read_text())["processor_class"] == \
        "Qwen2_5_VLProcessor"
    assert not (version / "checkpoints").exists(), "checkpoints are dropped once the model is saved"
    from pafas_cli.model.loader import load_model

    before = load_model("model:latest", workspace).model.state_dict()
    after = load_model("sft:latest", workspace).model.state_dict()
    assert before.keys() == after.keys()
    assert any(not before[k].equal(after[k]) for k in before), "the saved model is the trained one"


@pytest.mark.slow
def test_the_image_cache_changes_no_loss(workspace):
    """Each distinct image processed once (sft.image_cache_mib) feeds the model the same tensors: the same
    losses and gradient norms, to the last bit, as processing every row's images."""
    from pafas_cli.commands import sft

    for mib in (0, 64):
        recipe = load_recipe(None, [*TINY, "sft.max_steps=6", "sft.save_steps=0", "sft.logging_steps=1",
                                    f"sft.image_cache_mib={mib}"])
        sft.run(resolve_sft(recipe, workspace))
    without, cached = (logs(workspace.root / "sft" / v) for v in ("v001", "v002"))
    assert manifest(workspace.root / "sft" / "v002")["recipe"]["sft"]["image_cache_mib"] == 64
    assert len(without) == 6
    assert [(r["loss"], r["grad_norm"]) for r in cached] == [(r["loss"], r["grad_norm"]) for r in without]


@pytest.mark.slow
def test_two_processes_train_once_and_save_once(workspace):
    proc = pafas(workspace, "sft", *sets(*TINY, "sft.batch_size=2", "sft.max_steps=4", "sft.save_steps=0"),
                 "--num-processes", "2")
    out, _ = proc.communicate(timeout=240)
    assert proc.returncode == 0, out
    versions = sorted(p.name for p in (workspace.root / "sft").iterdir() if not p.name.startswith("."))
    assert versions == ["v001"], out
    meta = manifest(workspace.root / "sft" / "v001")
    assert meta["world_size"] == 2 and meta["ranks_finished"] == [0, 1]
    assert meta["status"] == "complete" and meta["metrics"]["steps"] == 4
    assert out.count("saved sft:v001") == 1


@pytest.mark.slow
@pytest.mark.fault
def test_killed_run_resumes_from_its_checkpoint_to_the_same_final_step(workspace):
    args = sets(*TINY, "sft.max_steps=30", "sft.save_steps=6", "sft.logging_steps=1")
    kill_at_checkpoint(workspace, "sft", args, 6)

    resumed = pafas(workspace, "sft", *args, "--resume", "auto")
    out, _ = resumed.communicate(timeout=240)
    assert resumed.returncode == 0, out
    assert "resuming sft:v001" in out
    version = workspace.root / "sft" / "v001"
    meta = manifest(version)
    start = int(Path(meta["resumed_from"]).name.split("-")[1])
    assert start >= 6 and meta["metrics"]["steps"] == 30
    steps = steps_logged(version)
    assert steps == sorted(set(steps)) and steps[-1] == 30, "each step logged once, none after a restart at 0"
    assert sorted(p.name for p in (workspace.root / "sft").iterdir() if not p.name.startswith(".")) == ["v001"]


@pytest.mark.slow
@pytest.mark.fault
def test_a_diverging_run_fails_and_is_never_latest(workspace):
    """A learning rate that blows the weights up: the run stops with a clear error, nothing is published."""
    from pafas_cli.commands import sft
    from pafas_cli.errors import PafasError

    recipe = load_recipe(None, [*TINY, "sft.max_steps=6", "sft.save_steps=0", "sft.logging_steps=1",
                                "sft.learning_rate=1e30", "sft.max_grad_norm=0"])
    with pytest.raises(PafasError, match="NaN|nan|inf"):
        sft.run(resolve_sft(recipe, workspace))
    assert workspace.latest("sft") is None
    [partial] = [p for p in (workspace.root / "sft").iterdir() if p.name.endswith(".partial")]
    assert manifest(partial)["status"] == "failed"
