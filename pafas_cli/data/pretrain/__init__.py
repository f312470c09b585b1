"""The pretraining corpus: scenes of materials and objects (no faces) through the benchmark's sensor models,
with domain-randomised rigs, each with one text per sensor and ground-truth attributes (docs/pretraining.md).

`generate.generate(out, cfg)` writes a corpus folder, `generate.read_samples(root)` reads its records back,
`version.ensure_corpus(cfg, ws)` gives a workspace version drawn with these settings. The package itself imports
nothing: its `config` is a recipe section, read without numpy.
"""
