"""The pretraining corpus: scenes of materials and objects (no faces) through the benchmark's sensor models,
with domain-randomised rigs, each with one text per sensor and ground-truth attributes (docs/pretraining.md).

`generate(out, cfg)` writes a corpus folder, `read_samples(root)` reads its records back,
`version.ensure_corpus(cfg, ws)` gives a workspace version drawn with these settings.
"""

from pafas_cli.data.pretrain.generate import generate, read_info, read_samples

__all__ = ["generate", "read_info", "read_samples"]
