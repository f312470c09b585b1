"""A corpus as a workspace version: drawn once per setting, found again, recorded in its manifest."""

from __future__ import annotations

from dataclasses import replace

from pafas_cli.data.pretrain.generate import read_samples
from pafas_cli.data.pretrain.config import CorpusConfig
from pafas_cli.data.pretrain.version import ensure_corpus
from pafas_cli.workspace import Workspace


def test_the_same_settings_find_the_version_drawn_before_and_new_ones_draw_another(tmp_path):
    ws = Workspace(tmp_path)
    cfg = CorpusConfig(samples=20, seed=1)
    first = ensure_corpus(cfg, ws)
    assert first.stage == "corpus" and len(read_samples(first.path)) == 20
    metrics = ws.latest("corpus").manifest["metrics"]
    assert metrics["samples"] == 20 and metrics["samples_per_second"] > 0
    assert set(metrics["nearest_benchmark"]) == {"C", "P", "S", "W"}
    assert ensure_corpus(cfg, ws).version == first.version
    other = ensure_corpus(replace(cfg, seed=2), ws)
    assert other.version != first.version and ws.resolve("corpus:latest").version == other.version
