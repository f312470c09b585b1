import json

import pytest

from pafas_cli.config import load_recipe
from pafas_cli.console import console
from pafas_cli.errors import PafasError
from pafas_cli.model.loader import MODEL_SUBDIR, load_model
from pafas_cli.model.plan import resolve as plan_model


@pytest.fixture
def paths_version(ws, corpus, monkeypatch):
    """An empty complete 56-px `paths` version whose corpus (read_corpus is stood in for) is the test corpus."""
    import pafas_cli.paths.store as store
    from pafas_cli.spec import Spec, write_spec

    monkeypatch.setattr(store, "read_corpus", lambda root: iter(corpus))
    with ws.start("paths", {}) as out:
        write_spec(out.path, Spec("paths", 56, "think"))
    return out


def test_init_model_writes_a_loadable_version(ws, paths_version):
    from pafas_cli.commands import init_model

    recipe = load_recipe("quickstart/model.yaml")
    with console.capture() as captured:
        folder = init_model.run(plan_model(recipe, ws, paths="paths:latest"))
    assert folder == ws.root / "model" / "v001" / MODEL_SUBDIR
    assert {"config.json", "model.safetensors", "processor_config.json", "tokenizer.json"} <= {
        p.name for p in folder.iterdir()}
    manifest = json.loads((ws.root / "model" / "v001" / "manifest.json").read_text())
    metrics = manifest["metrics"]
    assert manifest["status"] == "complete" and manifest["inputs"][0]["ref"] == "paths:latest"
    assert (metrics["image_tokens_per_image"], metrics["image_tokens_per_sample"]) == (4, 12)
    printed = captured.get()
    assert f"{metrics['parameters']:,}" in printed and "4 / 12" in printed and "model:v001" in printed
    loaded = load_model("model:latest", ws)
    assert sum(p.numel() for p in loaded.model.parameters()) == metrics["parameters"]


def test_init_model_needs_a_paths_version(ws):
    from pafas_cli.commands import init_model

    with pytest.raises(PafasError, match="no complete 'paths' version"):
        init_model.run(plan_model(load_recipe("quickstart/model.yaml"), ws))


def test_the_image_size_is_inherited_from_the_paths_version_and_a_contradiction_refused(ws, paths_version):
    from pafas_cli.commands import init_model
    from pafas_cli.spec import read_spec

    with pytest.raises(PafasError, match=r"model.image_size: the recipe says 112, but paths:latest was made with 56"):
        init_model.run(plan_model(load_recipe("quickstart/model.yaml", ["model.image_size=112"]), ws, paths="paths:latest"))
    assert ws.latest("model") is None
    init_model.run(plan_model(load_recipe("quickstart/model.yaml", ["model.image_size=56"]), ws, paths="paths:latest"))
    spec = read_spec(ws.root / "model" / "v001")
    assert (spec.stage, spec.image_size, spec.answer_format, spec.derived) == ("model", 56, "think", False)
