"""`pafas pretrain` end to end, as a user runs it: a start whose tokenizer covers the corpus, the pretrained
version with its probe, and sft starting from it. Small settings (40 faces per domain, 120 scenes, 6 steps)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
SMALL = ["--set", "data.synth.per_domain=40", "--set", "pretrain.corpus.samples=120"]
PRETRAIN = [*SMALL, "--set", "pretrain.max_steps=6", "--set", "pretrain.logging_steps=2", "--set",
            "pretrain.save_steps=0", "--set", "pretrain.probe.n_train=20", "--set", "pretrain.cnn.epochs=1"]


def pafas(ws: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PAFAS_WORKSPACE": str(ws), "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "pafas_cli", *args], capture_output=True, text=True, env=env,
                          timeout=900)


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    ws = tmp_path_factory.mktemp("pretrain-ws")
    for args in (["build-paths", *SMALL, "--set", "data.n_train=40", "--set", "paths.n_paths=2"],
                 ["init-model"],                                            # model:v001: FAS text only
                 ["init-model", *SMALL, "--set", "model.corpus=true"]):     # model:v002: the corpus too
        done = pafas(ws, *args)
        assert done.returncode == 0, done.stdout + done.stderr
    refused = pafas(ws, "pretrain", *PRETRAIN, "--set", "pretrain.model=model:v001")
    done = pafas(ws, "pretrain", *PRETRAIN, "--set", "pretrain.model=model:v002")
    assert done.returncode == 0, done.stdout + done.stderr
    return ws, refused


def test_a_start_whose_tokenizer_never_saw_the_corpus_is_refused_before_any_work(pretrained):
    ws, refused = pretrained
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "model:v001's tokenizer was trained on the FAS reasoning corpus only" in refused.stderr
    assert "pafas init-model --set model.corpus=true" in refused.stderr
    assert [p.name for p in (ws / "pretrain").iterdir() if p.name.startswith("v")] == ["v001"]


def test_the_corpus_trained_tokenizer_spells_the_corpus_in_fewer_tokens(pretrained):
    from transformers import AutoTokenizer

    from pafas_cli.pretrain.rows import corpus_texts

    ws, _ = pretrained
    corpus = next((ws / "corpus").glob("v001"))
    texts = list(corpus_texts(corpus))[:50]
    lengths = {}
    for version in ("v001", "v002"):
        tokenizer = AutoTokenizer.from_pretrained(ws / "model" / version / "model")
        lengths[version] = sum(len(tokenizer(t)["input_ids"]) for t in texts) / len(texts)
    assert lengths["v002"] < 0.7 * lengths["v001"], lengths


def test_the_version_records_both_probes_and_each_is_the_model_it_names(pretrained):
    """The recorded AUCs are recomputed from the models on disk: the start (scratch) and the saved pretrained
    weights, so a probe of the wrong model, or of weights that were not saved, fails here."""
    from pafas_cli.config import load_recipe
    from pafas_cli.model.loader import load_model
    from pafas_cli.pretrain.probe import probe, probe_sets
    from pafas_cli.workspace import Workspace

    ws, _ = pretrained
    version = ws / "pretrain" / "v001"
    metrics = json.loads((version / "metrics.json").read_text())
    assert set(metrics["probe"]) == {"C", "P", "S", "W"} and metrics["start"] == "model:v002"
    for split, got in metrics["probe"].items():
        assert set(got) == {"pretrained_auc", "scratch_auc"} and all(0 <= v <= 1 for v in got.values()), split
    manifest = json.loads((version / "manifest.json").read_text())
    assert {i["name"] for i in manifest["inputs"]} == {"model", "corpus"}
    assert manifest["metrics"]["probe_W_scratch"] == metrics["probe"]["W"]["scratch_auc"]
    spec = json.loads((version / "spec.json").read_text())
    assert (spec["stage"], spec["image_size"], spec["details"]["corpus"]) == ("pretrain", 56, "corpus:v001")
    assert (version / "cnn_trunk.pt").stat().st_size > 0 and metrics["cnn"]["val_loss"] > 0

    workspace = Workspace(ws)
    recipe = load_recipe("quickstart/pretrain.yaml", PRETRAIN[1::2])
    sets = probe_sets(workspace, 0, 20, ("C", "P", "S", "W"), recipe.data)
    for ref, key in (("model:v002", "scratch_auc"), ("pretrain:v001", "pretrained_auc")):
        loaded = load_model(ref, workspace)
        again = probe(loaded.model, loaded.processor, sets, 0, 64, 56)
        assert again == {split: got[key] for split, got in metrics["probe"].items()}, ref


def test_sft_grpo_and_the_cnn_start_from_the_pretrained_version(pretrained):
    ws, _ = pretrained
    done = pafas(ws, "sft", "--set", "sft.model=pretrain:latest", "--set", "sft.max_steps=2", "--set",
                 "sft.save_steps=0", "--set", "sft.logging_steps=1")
    assert done.returncode == 0, done.stdout + done.stderr
    spec = json.loads((ws / "sft" / "v001" / "spec.json").read_text())
    assert spec["base"] == str((ws / "pretrain" / "v001").resolve()) and spec["image_size"] == 56
    done = pafas(ws, "rl", *(x for k in ("rl.model=sft:latest", "rl.batch_size=4", "rl.num_generations=2",
                                         "rl.max_completion_length=8", "rl.max_steps=1", "rl.save_steps=0",
                                         "rl.beta=0.0") for x in ("--set", k)))
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads((ws / "rl" / "v001" / "spec.json").read_text())["base"] == str((ws / "sft" / "v001").resolve())
    done = pafas(ws, "baseline", "--set", "baseline.init=pretrain:latest", "--set", "baseline.epochs=1")
    assert done.returncode == 0, done.stdout + done.stderr
    manifest = json.loads(next((ws / "baseline").glob("v001/manifest.json")).read_text())
    assert [i["ref"] for i in manifest["inputs"] if i["name"] == "init"] == ["pretrain:latest"]
