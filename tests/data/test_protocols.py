from pathlib import Path

import pytest

from pafas_cli.config import load_recipe
from pafas_cli.data.config import DataConfig
from pafas_cli.data.config import parse_split
from pafas_cli.data.protocols import build_splits, stratified_subsample
from pafas_cli.data.sample import FaceSample
from pafas_cli.errors import PafasError
from pafas_cli.workspace import Workspace


def fake(i: int, domain: str, attack: str) -> FaceSample:
    label = 1 if attack == "Real Face" else 0
    path = ("Real Face",) if label else ("Spoof Face", attack)
    return FaceSample(id=f"{domain}/{i}", label=label, attack=path, domain=domain, split="train")


def test_parse_split_presets():
    assert parse_split("P1", "CPS->W") == (("C", "P", "S"), ("W",))
    assert parse_split("P1", "C") == (("P", "S", "W"), ("C",))
    assert parse_split("P3", "CW→PS") == (("C", "W"), ("P", "S"))
    with pytest.raises(ValueError, match="P3 split"):
        parse_split("P3", "CPS->W")


def test_recipe_validation_names_the_key():
    with pytest.raises(PafasError, match="data.split"):
        load_recipe(None, ["data.protocol=P3", "data.split=W"])
    with pytest.raises(PafasError, match="data.domains.C"):
        load_recipe(None, ["data.domains={C: {source: cefa}}"])
    with pytest.raises(PafasError, match="data.synth.per_domain"):
        load_recipe(None, ["data.synth.per_domain=3"])


def test_stratified_subsample_keeps_shares_and_rare_strata():
    pool = ([fake(i, "C", "Real Face") for i in range(500)] + [fake(i, "C", "Print") for i in range(1000, 2400)]
            + [fake(i, "P", "Makeup") for i in range(3000, 3010)] + [fake(4000, "P", "Tattoo")])
    picked = stratified_subsample(pool, 200, seed=3)
    assert len(picked) == 200 and len({s.id for s in picked}) == 200
    kinds = {s.attack[-1]: sum(1 for p in picked if p.attack[-1] == s.attack[-1]) for s in picked}
    assert kinds["Tattoo"] == 1 and kinds["Makeup"] == 1
    assert abs(kinds["Real Face"] - 200 * 500 / 1911) <= 1
    assert stratified_subsample(pool, 200, seed=3) == picked
    assert stratified_subsample(pool, 200, seed=4) != picked
    assert stratified_subsample(pool, 0, seed=3) == pool


@pytest.mark.slow
def test_p1_cps_to_w_holds_out_w_only_attacks(synth_root: Path, tmp_path: Path):
    cfg = DataConfig(source="synthetic", root=str(synth_root), protocol="P1", split="CPS->W", n_train=30)
    splits = build_splits(cfg, seed=0, ws=Workspace(tmp_path))
    assert {s.domain for s in splits.train} == {"C", "P", "S"} == {s.domain for s in splits.dev}
    assert {s.domain for s in splits.test} == {"W"}
    assert len(splits.train) == 30
    train_leaves = {s.attack[-1] for s in splits.train}
    assert not {"Fake Head Attack", "Funny Eyeglasses Attack"} & train_leaves
    assert {"Fake Head Attack", "Funny Eyeglasses Attack"} <= {s.attack[-1] for s in splits.test}
    assert splits.summary()["train"] == 30 and splits.inputs[0]["path"] == str(synth_root)


@pytest.mark.slow
def test_c_masks_only_in_c_test(synth_root: Path, tmp_path: Path):
    masks = {"Rigid Resin Mask Attack", "Flexible Silicone Mask Attack"}
    as_source = build_splits(DataConfig(root=str(synth_root), split="CPS->W", n_train=0), 0, Workspace(tmp_path))
    assert not masks & {s.attack[-1] for s in as_source.train + as_source.dev if s.domain == "C"}
    as_target = build_splits(DataConfig(root=str(synth_root), split="PSW->C"), 0, Workspace(tmp_path))
    assert masks <= {s.attack[-1] for s in as_target.test}


@pytest.mark.slow
def test_p3_and_p2(synth_root: Path, tmp_path: Path):
    p3 = build_splits(DataConfig(root=str(synth_root), protocol="P3", split="CW->PS"), 0, Workspace(tmp_path))
    assert {s.domain for s in p3.train} == {"C", "W"} and {s.domain for s in p3.test} == {"P", "S"}
    p2 = build_splits(DataConfig(root=str(synth_root), protocol="P2", split="W"), 0, Workspace(tmp_path))
    assert p2.missing_variants == (("depth",), ("ir",), ("depth", "ir"))


def test_real_single_dataset_is_intra(casia_root: Path, tmp_path: Path):
    splits = build_splits(DataConfig(source="casia-surf", root=str(casia_root)), 0, Workspace(tmp_path))
    assert splits.protocol == "intra" and (len(splits.train), len(splits.dev), len(splits.test)) == (2, 1, 1)
    assert splits.inputs[0]["fingerprint"]


def test_real_multi_dataset_needs_every_domain(casia_root: Path, tmp_path: Path):
    cfg = DataConfig(domains={"S": {"source": "casia-surf", "root": str(casia_root)}}, split="CPS->W")
    with pytest.raises(PafasError, match="not available"):
        build_splits(cfg, 0, Workspace(tmp_path))


def lose(root: Path, *rels: str) -> None:
    for rel in rels:
        (root / rel).unlink()


FAKE_IR = "Training/fake_part/CLKJ_AS0137/04_en_b.rssdk/ir/31.jpg"


@pytest.mark.fault
def test_missing_images_beyond_max_missing_are_an_error(casia_root: Path, tmp_path: Path):
    lose(casia_root, FAKE_IR)  # 1 of the 2 train lines: 50%, far beyond the default 5%
    with pytest.raises(PafasError) as caught:
        build_splits(DataConfig(source="casia-surf", root=str(casia_root)), 0, Workspace(tmp_path))
    message = str(caught.value)
    assert "1 of 2 train images (50%)" in message and "data.max_missing=5%" in message
    assert "train_list.txt:2" in message and FAKE_IR in message
    cfg = DataConfig(source="casia-surf", root=str(casia_root), max_missing=0.5)
    splits = build_splits(cfg, 0, Workspace(tmp_path))
    assert len(splits.train) == 1 and splits.skipped_by_split["train"] == splits.skipped
    assert splits.read_by_split == {"train": 2, "dev": 1, "test": 1}
    summary = splits.summary()
    assert summary["skipped_by_split"] == {"train": 1, "dev": 0, "test": 0}
    assert FAKE_IR in summary["skipped_first"]["train"][0]


@pytest.mark.fault
def test_on_missing_error_names_the_count_and_first_paths(casia_root: Path, tmp_path: Path):
    lose(casia_root, FAKE_IR, "Testing/fake_part/CLKJ_CS0002/02_enm_b.rssdk/color/5.png")
    cfg = DataConfig(source="casia-surf", root=str(casia_root), on_missing="error", max_missing=1.0)
    with pytest.raises(PafasError) as caught:
        build_splits(cfg, 0, Workspace(tmp_path))
    message = str(caught.value)
    assert message.startswith("data.on_missing=error: 1 of 2 train images (50%), 1 of 1 test images (100%)")
    assert "train_list.txt:2" in message and "test_private_list.txt:1" in message and "\n" not in message


@pytest.mark.fault
def test_on_missing_and_max_missing_are_typed_and_validated():
    assert load_recipe(None, ["data.on_missing=error"]).data.on_missing == "error"
    assert load_recipe(None, ["data.max_missing=0.2"]).data.max_missing == 0.2
    with pytest.raises(PafasError, match="'data.on_missing' must be one of skip, stop, error"):
        load_recipe(None, ["data.on_missing=ignore"])
    with pytest.raises(PafasError, match="data.max_missing: a fraction"):
        load_recipe(None, ["data.max_missing=5"])
    with pytest.raises(PafasError, match="data.max_missing"):
        load_recipe(None, ["data.max_missing=lots"])


@pytest.mark.fault
def test_empty_split_names_the_list_and_an_example_path(casia_root: Path, tmp_path: Path):
    (casia_root / "val_private_list.txt").write_text("# nothing here\n")
    with pytest.raises(PafasError) as caught:
        build_splits(DataConfig(source="casia-surf", root=str(casia_root)), 0, Workspace(tmp_path))
    message = str(caught.value)
    assert "the dev split is empty" in message and str(casia_root.resolve() / "val_private_list.txt") in message
    assert "no sample lines" in message
    lose(casia_root, "Testing/fake_part/CLKJ_CS0002/02_enm_b.rssdk/depth/5.png")
    (casia_root / "val_private_list.txt").unlink()
    (casia_root / "val_private_list.txt").write_text(
        "Val/real_part/CLKJ_BS0001/real.rssdk/color/1.jpg Val/real_part/CLKJ_BS0001/real.rssdk/depth/1.jpg "
        "Val/real_part/CLKJ_BS0001/real.rssdk/ir/1.jpg 1\n")
    cfg = DataConfig(source="casia-surf", root=str(casia_root), max_missing=1.0)
    with pytest.raises(PafasError) as caught:
        build_splits(cfg, 0, Workspace(tmp_path))
    message = str(caught.value)
    assert "the test split is empty" in message and "test_private_list.txt" in message
    assert "every line (1) was skipped" in message and "depth/5.png" in message
