"""Adding a data source is one adapter module and one registry entry: a fake dataset, registered in this test
alone, validates in a recipe, reads through `read_source`, gets its profile warnings and is used by a protocol
split, with no other file touched."""

from __future__ import annotations

import sys
from dataclasses import replace

import pytest

from data_layouts import triple, write_list
from pafas_cli.config import load_recipe
from pafas_cli.data import registry
from pafas_cli.data.protocols import build_splits
from pafas_cli.data.sources import read_source
from pafas_cli.data.sources.profiles import check_mix
from pafas_cli.errors import PafasError

ADAPTER = '''
"""A fake dataset: list files named fake_<split>.txt (rgb depth ir label) under its root."""
from pafas_cli.data.sources.reading import locate_list, read_list

OBTAIN = "The fake set lives in the test's temporary folder; pass --root there."


def read(root, domain, splits, problems, options):
    names = {"train": "fake_train.txt", "dev": "fake_val.txt", "test": "fake_test.txt"}
    return {s: read_list(root / names[s], root, domain, s, problems, options) for s in splits}
'''


@pytest.fixture
def fake_source(tmp_path, monkeypatch):
    package = tmp_path / "adapters" / "fakeadapters"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "fakeset.py").write_text(ADAPTER)
    monkeypatch.syspath_prepend(str(tmp_path / "adapters"))
    source = registry.Source("fakeset", "F", "Fake Set", "fakeadapters.fakeset",
                             profile=registry.Profile(0.5, ("print",)))
    monkeypatch.setitem(registry.SOURCES, source.name, source)  # what register() does, undone after the test
    root = tmp_path / "fake"
    for split, n in (("train", 6), ("val", 4), ("test", 4)):
        rows = []
        for i in range(n):
            rgb, depth, ir = triple(root, f"{split}/{i}", frame="0.png")
            rows.append(f"{rgb} {depth} {ir} {i % 2}")
        write_list(root / f"fake_{split}.txt", rows)
    yield source, root
    for name in ("fakeadapters.fakeset", "fakeadapters"):
        sys.modules.pop(name, None)


def test_a_source_added_through_the_registry_alone_is_read_everywhere(fake_source):
    source, root = fake_source
    recipe = load_recipe(None, ["data.source=fakeset", f"data.root={root}"])
    assert "fakeset" in registry.list_sources()
    built = build_splits(recipe.data, 0, None)  # one dataset on its own: its own train / val / test lists
    assert (built.protocol, len(built.train), len(built.dev), len(built.test)) == ("intra", 6, 4, 4)
    assert built.inputs[0]["source"] == "fakeset"
    splits = read_source("fakeset", root)
    assert {k: len(v) for k, v in splits.items()} == {"train": 6, "dev": 4, "test": 4}
    assert {s.domain for s in splits["train"]} == {"F"}  # the registry's letter
    lopsided = [replace(s, label=1) for s in splits["train"] * 5]
    assert any("Fake Set's lists hold about 50% live faces" in w for w in check_mix(lopsided, "F", "train"))
    with pytest.raises(PafasError, match="The fake set lives in the test's temporary folder"):
        read_source("fakeset", root / "missing")


def test_an_unregistered_source_is_refused_naming_the_known_ones():
    with pytest.raises(PafasError, match=r"data.source: unknown source 'fakeset' \(one of synthetic, casia-surf"):
        load_recipe(None, ["data.source=fakeset"])
