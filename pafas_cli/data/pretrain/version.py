"""The pretraining corpus as a workspace version (`corpus/vNNN`), and the one way to get one with given settings.

A corpus is data two stages read (the VLM's `pafas pretrain` and the CNN's attribute pretraining), so it is
its own versioned stage, like `synth`: drawn once per setting and found again by `ensure_corpus`.
"""

from __future__ import annotations

import time
from dataclasses import asdict

from pafas_cli.console import console, make_progress
from pafas_cli.data.pretrain.config import CorpusConfig

STAGE = "corpus"


def settings(cfg: CorpusConfig) -> dict:
    """The recipe sections a corpus version records (and is found again by)."""
    return {"pretrain": {"corpus": asdict(cfg)}}


def write_version(cfg: CorpusConfig, ws, workers: int | None = None) -> str:
    """Draw the corpus into a new workspace version; returns its reference (corpus:vNNN)."""
    from pafas_cli.data.pretrain.generate import generate

    with ws.start(STAGE, settings(cfg), seed=cfg.seed) as writer:
        started = time.perf_counter()
        with make_progress() as progress:
            task = progress.add_task("drawing scenes", total=cfg.samples)
            info = generate(writer.path, cfg, workers,
                            progress=lambda done, total: progress.update(task, completed=done, total=total))
        seconds = time.perf_counter() - started
        writer.set_metrics({"samples": cfg.samples, "seconds": round(seconds, 1),
                            "samples_per_second": round(cfg.samples / seconds, 1),
                            "corpus_version": info["corpus_version"],
                            "nearest_benchmark": info["rig_rule"]["nearest_benchmark"]})
    console.print(f"{cfg.samples} scenes in {seconds:.1f} s -> {writer.ref}", highlight=False)
    return writer.ref


def ensure_corpus(cfg: CorpusConfig, ws):
    """The newest complete corpus version drawn with these settings, else a new one (drawn now); `Resolved`."""
    found = ws.find(STAGE, settings(cfg))
    return ws.resolve(f"{STAGE}:{found.version}") if found else ws.resolve(write_version(cfg, ws))
