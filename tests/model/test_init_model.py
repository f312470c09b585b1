import json

import pytest

from pafas_cli.config import load_recipe
from pafas_cli.console import console
from pafas_cli.errors import PafasError
from pafas_cli.model.loader import MODEL_SUBDIR, load_model


@pytest.fixture
def paths_version(ws, corpus, monkeypatch):
    """An empty complete `paths` version whose corpus (read_corpus is stood in for) is the test corpus."""
    import pafas_cli.paths.store as store

    monkeypatch.setattr(store, "read_corpus", lambda root: iter(corpus))
    with ws.start("paths", {}) as out:
        pass
    return out


def test_init_model_writes_a_loadable_version(ws, paths_version):
    from pafas_cli.commands import init_model

    recipe = load_recipe("quickstart/model.yaml")
    with console.capture() as captured:
        folder = init_model.run(recipe, ws, paths="paths:latest")
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
        init_model.run(load_recipe("quickstart/model.yaml"), ws)
