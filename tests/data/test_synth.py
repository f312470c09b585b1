from collections import Counter
from pathlib import Path

import pytest

from pafas_cli.data.attacks import ATTACKS
from pafas_cli.data.sources import list_domains, read_source
from pafas_cli.data.synth import generate, read_info
from pafas_cli.data.synth.domains import DOMAIN_SPECS
from pafas_cli.data.synth.generate import plan
from pafas_cli.data.synth.report import auc, separability_report
from pafas_cli.paths.taxonomy import default_taxonomy


def test_every_synthetic_attack_is_a_taxonomy_leaf():
    taxonomy = default_taxonomy()
    slugs = {slug for d in DOMAIN_SPECS.values() for mix in d.attacks.values() for slug in mix} | {"live"}
    for slug in slugs:
        path = ATTACKS[slug]
        assert taxonomy.is_valid_path(path) and taxonomy.is_leaf(path[-1]), slug


def test_plan_follows_the_real_attack_mix():
    items = plan(200, seed=0)
    by = Counter((i.domain, i.split, i.slug) for i in items)
    only_w = {"fakehead", "glasses"}
    assert all(d == "W" for (d, _, a) in by if a in only_w)
    assert all(s == "test" for (d, s, a) in by if d == "C" and a in ("rigidmask", "flexiblemask"))
    assert {a for (d, _, a) in by if d == "S"} == {"live", "print-flat", "print-wrapped", "print-cut"}
    assert {a for (d, _, a) in by if d == "P"} >= {"makeup", "tattoo", "paper-cutout"}
    assert sum(by.values()) == 800
    train_subjects = {i.wearer for i in items if i.domain == "C" and i.split == "train"}
    test_subjects = {i.wearer for i in items if i.domain == "C" and i.split == "test"}
    assert not train_subjects & test_subjects


def test_auc():
    import numpy as np

    assert auc(np.array([1, 1, 0, 0]), np.array([3.0, 2.0, 1.0, 0.0])) == 1.0
    assert auc(np.array([1, 0]), np.array([1.0, 1.0])) == 0.5


@pytest.mark.slow
def test_read_back_through_the_list_loader(synth_root: Path):
    info = read_info(synth_root)
    expected = Counter()
    for c in info["counts"]:
        expected[(c["domain"], int(c["attack"] == "live"))] += c["n"]
    got = Counter()
    assert list_domains(synth_root) == ["C", "P", "S", "W"]
    for domain in list_domains(synth_root):
        for samples in read_source("synthetic", synth_root, domain).values():
            got.update((s.domain, s.label) for s in samples)
    assert got == expected and sum(got.values()) == 160
    report = separability_report([s for d in "CPSW" for v in read_source("list", synth_root, d).values() for s in v])
    assert set(report) == {"C", "P", "S", "W"}


@pytest.mark.slow
def test_same_seed_gives_byte_identical_files(tmp_path: Path):
    a, b = tmp_path / "a", tmp_path / "b"
    generate(a, per_domain=20, seed=5, workers=1)
    generate(b, per_domain=20, seed=5, workers=2)
    lists = sorted(p.name for p in a.glob("*.txt"))
    assert len(lists) == 12
    for name in lists:
        assert (a / name).read_bytes() == (b / name).read_bytes()
    images = sorted(p.relative_to(a) for p in a.rglob("*.png"))
    assert images and all((a / p).read_bytes() == (b / p).read_bytes() for p in images)
    generate(c := tmp_path / "c", per_domain=20, seed=6, workers=1)
    assert (c / "W-test.txt").read_bytes() != (a / "W-test.txt").read_bytes() or any(
        (c / p).read_bytes() != (a / p).read_bytes() for p in images[:5])
