"""Pretraining the miniature before any FAS label: what `pafas pretrain` reads and measures (docs/pretraining.md).

`rows` turns a corpus version (data/pretrain/) into TRL rows, `leaks` checks its text against the taxonomy,
`vocabulary` measures its overlap with the reasoning tree, `probe` scores a model's vision features on the
Protocol-1 splits.
"""
