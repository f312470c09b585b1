import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    (entry,) = splits.inputs
    assert entry == {"name": "data", "source": "casia-surf", "path": str(casia_root),
                     "fingerprint": entry["fingerprint"]}
    assert re.fullmatch(r"[0-9a-f]{16}", entry["fingerprint"])


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


# -- build_splits on a tiny MMDG list root, every record checked by hand ---------------------------------------
# Per domain and list: (label, attack word) of each line; W alone has replays.
LINES = {"train": [(1, "live"), (1, "live"), (0, "print-flat"), (0, "print-flat"), (0, "print-cut")],
         "val": [(1, "live"), (0, "print-flat"), (0, "print-cut")],
         "test": [(1, "live"), (0, "print-flat"), (0, "replay-mobile")]}


def _list_root(root: Path, domains: str = "CPSW", benchmark: bool = False, folder: str = "",
               lines: dict | None = None) -> Path:
    """`<D>-{train,val,test}.txt` (in MMDG-Benchmark/ when `benchmark`, else in `folder`) over 8x8 images, one
    image folder per line; `lines` replaces LINES."""
    from data_layouts import triple, write_list

    for domain in domains:
        for word, rows in (lines or LINES).items():
            written = []
            for k, (label, attack) in enumerate(rows):
                rels = triple(root, f"{domain}/{word}/{k}")
                written.append(" ".join(rels) + f" {label} {attack}")
            write_list(root / ("MMDG-Benchmark" if benchmark else folder) / f"{domain}-{word}.txt", written)
    return root


def test_p1_splits_and_summary_by_hand(tmp_path):
    root = _list_root(tmp_path / "lists")
    cfg = DataConfig(source="list", root=str(root), protocol="P1", split="CPS->W", n_train=0)
    splits = build_splits(cfg, 0, Workspace(tmp_path / "ws"))
    summary = splits.summary()
    counts = {(r["split"], r["domain"], r["label"], r["attack"]): r["n"] for r in summary.pop("counts")}
    assert summary == {"protocol": "P1", "sources": "CPS", "targets": "W", "train": 15, "dev": 9, "test": 3,
                       "skipped": 0, "skipped_by_split": {"train": 0, "dev": 0, "test": 0}, "skipped_first": {},
                       "missing_variants": [], "warnings": []}
    assert counts[("train", "C", 1, "Real Face")] == 2 and counts[("dev", "S", 0, "Cut Print Attack")] == 1
    assert counts[("test", "W", 0, "Mobile Screen Replay Attack")] == 1
    assert sum(n for (split, *_), n in counts.items() if split == "train") == 15
    assert {k[1] for k in counts if k[0] == "test"} == {"W"}
    assert splits.read_by_split == {"train": 15, "dev": 9, "test": 3}
    (entry,) = splits.inputs
    assert entry == {"name": "data", "source": "list", "path": str(root), "fingerprint": entry["fingerprint"]}
    assert re.fullmatch(r"[0-9a-f]{16}", entry["fingerprint"])


def test_p2_tests_with_modalities_missing_and_names_them(tmp_path):
    root = _list_root(tmp_path / "lists")
    splits = build_splits(DataConfig(source="list", root=str(root), protocol="P2", split="W"), 0,
                          Workspace(tmp_path / "ws"))
    assert splits.summary()["missing_variants"] == ["depth", "ir", "depth+ir"]
    p1 = build_splits(DataConfig(source="list", root=str(root), protocol="P1", split="W"), 0, Workspace(tmp_path))
    assert p1.missing_variants == ()


def test_the_list_fingerprint_follows_the_lists_not_the_images(tmp_path):
    """Any list, at the root or under MMDG-Benchmark/, changes the fingerprint of the data input; images do not."""
    def fingerprint(root):
        cfg = DataConfig(source="list", root=str(root), split="CPS->W")
        return build_splits(cfg, 0, Workspace(tmp_path / "ws")).inputs[0]["fingerprint"]

    flat, nested = _list_root(tmp_path / "flat"), _list_root(tmp_path / "nested", benchmark=True)
    before = fingerprint(flat), fingerprint(nested)
    for root in (flat, nested):
        (root / "C" / "train" / "0" / "color" / "0001.jpg").write_bytes(b"changed")
    assert (fingerprint(flat), fingerprint(nested)) == before
    with open(flat / "C-train.txt", "a") as fh:
        fh.write("\n")
    with open(nested / "MMDG-Benchmark" / "C-train.txt", "a") as fh:
        fh.write("\n")
    after = fingerprint(flat), fingerprint(nested)
    assert after[0] != before[0] and after[1] != before[1]


def test_a_root_under_home_written_with_a_tilde_is_fingerprinted_like_its_full_path(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    root = _list_root(tmp_path / "lists")
    full, short = (build_splits(DataConfig(source="list", root=r, split="CPS->W"), 0, Workspace(tmp_path / "ws"))
                   .inputs[0] for r in (str(root), "~/lists"))
    assert short["path"] == "~/lists" and short["fingerprint"] == full["fingerprint"] is not None


def test_subsampling_is_seeded_per_split(tmp_path):
    """The same seed draws the same train, dev and test samples; dev and test are drawn, not cut."""
    many = [(1, "live")] * 3 + [(0, "print-flat")] * 3
    root = _list_root(tmp_path / "lists", lines={**LINES, "val": many, "test": many})
    cfg = DataConfig(source="list", root=str(root), protocol="P3", split="CW->PS", n_train=4, n_dev=3, n_test=4)
    ids = [[s.id for s in getattr(build_splits(cfg, 7, Workspace(tmp_path)), name)] for name in ("train", "dev", "test")
           for _ in range(2)]
    assert ids[0] == ids[1] and ids[2] == ids[3] and ids[4] == ids[5]
    assert [len(ids[0]), len(ids[2]), len(ids[4])] == [4, 3, 4]
    summary = build_splits(cfg, 7, Workspace(tmp_path)).summary()
    assert (summary["protocol"], summary["sources"], summary["targets"]) == ("P3", "CW", "PS")


def test_lists_in_a_named_folder_are_read_there(tmp_path):
    """data.lists names the lists' folder, for the whole root or per domain (data.domains.<D>.lists)."""
    root = _list_root(tmp_path / "lists", folder="mine")
    splits = build_splits(DataConfig(source="list", root=str(root), lists="mine", split="CPS->W", n_train=0), 0,
                          Workspace(tmp_path))
    assert (len(splits.train), len(splits.test)) == (15, 3)
    with pytest.raises(PafasError, match="no <D>-train.txt"):
        build_splits(DataConfig(source="list", root=str(root), split="CPS->W"), 0, Workspace(tmp_path))
    domains = {d: {"source": "list", "root": str(root), "lists": "mine"} for d in "CPSW"}
    assert len(build_splits(DataConfig(domains=domains, split="CPS->W", n_train=0), 0, Workspace(tmp_path)).test) == 3


def test_on_missing_stop_stops_at_the_first_missing_image(tmp_path):
    root = _list_root(tmp_path / "lists")
    (root / "W" / "test" / "1" / "ir" / "0001.jpg").unlink()
    with pytest.raises(PafasError, match=r"W/test/1/ir/0001.jpg.*\(set data.on_missing=skip to skip such lines"):
        build_splits(DataConfig(source="list", root=str(root), on_missing="stop"), 0, Workspace(tmp_path))


def test_a_list_far_off_its_dataset_s_mix_is_warned_about(tmp_path, capsys):
    """Domain C's lists hold about 25 % live faces (CeFA); a train list of live faces only is warned about, by
    name, in the summary and on the console."""
    root = _list_root(tmp_path / "lists", "PSW")
    _list_root(root, "C", lines={**LINES, "train": [(1, "live")] * 20})
    splits = build_splits(DataConfig(source="list", root=str(root), split="CPS->W", n_train=0), 0, Workspace(tmp_path))
    expected = (f"list C train ({root / 'C-train.txt'}): 20 of 20 faces are live (100%), while CASIA-SURF CeFA's "
                "lists hold about 25% live faces; is the label polarity flipped (data.label_polarity) or the list "
                "another dataset's?")
    assert splits.warnings == [expected] and splits.summary()["warnings"] == [expected]
    assert "warning: list C train (" in capsys.readouterr().err


def test_n_at_least_the_pool_keeps_every_sample_in_order():
    pool = [fake(i, "C", "Print") for i in range(5, 0, -1)] + [fake(9, "W", "Real Face")]
    assert stratified_subsample(pool, len(pool), 0) == pool and stratified_subsample(pool, 99, 0) == pool


def test_domains_mapping_records_one_input_per_domain(tmp_path):
    """Real multi-dataset setups: one manifest input per domain with its own root and list fingerprint."""
    roots = {d: _list_root(tmp_path / d, d) for d in "CPSW"}
    domains = {d: {"source": "list", "root": str(r)} for d, r in roots.items()}
    domains["W"]["lists"] = ""
    splits = build_splits(DataConfig(domains=domains, split="CPS->W", n_train=0), 0, Workspace(tmp_path / "ws"))
    assert [(i["name"], i["source"], i["path"]) for i in splits.inputs] == [(f"data:{d}", "list", str(roots[d]))
                                                                             for d in "CPSW"]
    assert all(re.fullmatch(r"[0-9a-f]{16}", i["fingerprint"]) for i in splits.inputs)
    assert {s.domain for s in splits.test} == {"W"} and len(splits.train) == 15


def test_absent_domains_are_named_with_the_ones_available(tmp_path):
    root = _list_root(tmp_path / "lists", "CP")
    expected = (r"^data: P1 CPS->W needs domains C, P, S, W but S, W are not available \(have C, P\); "
                r"add them under data.domains$")
    with pytest.raises(PafasError, match=expected):
        build_splits(DataConfig(source="list", root=str(root), split="CPS->W"), 0, Workspace(tmp_path))
    root3 = _list_root(tmp_path / "three", "CPS")
    with pytest.raises(PafasError, match=r" but W is not available \(have C, P, S\)"):
        build_splits(DataConfig(source="list", root=str(root3), split="CPS->W"), 0, Workspace(tmp_path))


def test_an_empty_list_root_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(PafasError, match=r"^data.root .*empty: no <D>-train.txt / <D>-val.txt / <D>-test.txt "
                                         r"lists found$"):
        build_splits(DataConfig(source="list", root=str(tmp_path / "empty")), 0, Workspace(tmp_path))


def test_missing_image_messages_in_full(tmp_path):
    """The two missing-image errors, word for word: what failed, how many of how many, and what to do."""
    from pafas_cli.data.protocols import check_missing

    skipped = {"train": ["t.txt:1: missing: a.png", "t.txt:2: missing: b.png", "t.txt:3: missing: c.png"],
               "dev": [], "test": ["s.txt:4: missing: d.png"]}
    read = {"train": 4, "dev": 2, "test": 2}
    with pytest.raises(PafasError, match=re.escape(
            "data.on_missing=error: 3 of 4 train images (75%), 1 of 2 test images (50%) missing or unreadable, "
            "e.g. t.txt:1: missing: a.png; s.txt:4: missing: d.png; fix data.root or the lists, or set "
            "data.on_missing=skip to leave such lines out") + "$"):
        check_missing(DataConfig(on_missing="error"), skipped, read)
    with pytest.raises(PafasError, match="^" + re.escape(
            "data: 3 of 4 train images (75%) missing or unreadable, more than data.max_missing=60% of a split, "
            "e.g. t.txt:1: missing: a.png; t.txt:2: missing: b.png; t.txt:3: missing: c.png; check data.root and "
            "the lists (a wrong root loses most images), or raise data.max_missing to skip them") + "$"):
        check_missing(DataConfig(max_missing=0.6), skipped, read)
    check_missing(DataConfig(max_missing=0.75), skipped, read)
    check_missing(DataConfig(on_missing="error"), {"train": [], "dev": [], "test": []}, read)


def test_an_empty_list_is_named_with_what_to_check(tmp_path):
    root = _list_root(tmp_path / "lists")
    (root / "S-test.txt").write_text("")
    (root / "P-test.txt").write_text("")
    with pytest.raises(PafasError, match=r"^data: the test split is empty for P3 CW->PS: read .*P-test.txt, "
                                         r".*S-test.txt: no sample lines in it; check that the list is the right "
                                         r"one \(data.lists\)$"):
        build_splits(DataConfig(source="list", root=str(root), protocol="P3", split="CW->PS"), 0, Workspace(tmp_path))


def _largest_remainder(sizes: dict, n: int) -> dict:
    """Hamilton apportionment by hand: floor of each quota, then one more to the largest remainders
    (ties: the smaller key first)."""
    total = sum(sizes.values())
    quota = {k: n * v / total for k, v in sizes.items()}
    take = {k: int(q) for k, q in quota.items()}
    for k in sorted(sizes, key=lambda k: (-(quota[k] - take[k]), k))[:n - sum(take.values())]:
        take[k] += 1
    return take


@settings(max_examples=150, deadline=None)
@given(sizes=st.lists(st.integers(1, 25), min_size=1, max_size=8), n=st.integers(1, 120), seed=st.integers(0, 5))
def test_stratified_subsample_shares_per_domain_and_attack(sizes, n, seed):
    """Each (domain, attack) stratum gets its largest-remainder share of n when every stratum's quota is at
    least one; otherwise every stratum keeps one sample and the shares hold within the rows that costs."""
    kinds = [("C", "Real Face"), ("C", "Print"), ("W", "Print"), ("W", "Replay"), ("P", "Mask"), ("P", "Real Face"),
             ("S", "Makeup"), ("S", "Print")]
    pool = [fake(1000 * k + j, *kinds[k]) for k, size in enumerate(sizes) for j in range(size)]
    picked = stratified_subsample(pool, n, seed)
    assert len({s.id for s in picked}) == len(picked) == min(n, len(pool))
    assert stratified_subsample(pool, n, seed) == picked
    if n >= len(pool):
        return
    strata = {(s.domain, s.attack): sizes[k] for k, s in ((int(s.id.split("/")[1]) // 1000, s) for s in pool)}
    got = Counter((s.domain, s.attack) for s in picked)
    quotas = {k: n * v / len(pool) for k, v in strata.items()}
    if min(quotas.values()) >= 1 or n < len(strata):
        assert got == {k: v for k, v in _largest_remainder(strata, n).items() if v}
    elif n >= len(strata):
        assert set(got) == set(strata)
        raised = sum(1 - q for q in quotas.values() if q < 1)
        assert all(abs(got[k] - q) < 1 + raised for k, q in quotas.items()), (got, quotas)


def test_without_a_root_the_synthetic_benchmark_is_drawn_once_per_setting(tmp_path):
    """No data.root: synth:latest is used when it was drawn with these settings, else a new version is drawn
    (another seed here); the manifest input names that synth version."""
    from pafas_cli.data.config import SynthConfig

    ws = Workspace(tmp_path)
    cfg = DataConfig(source="synthetic", root="", split="CPS->W", n_train=0, synth=SynthConfig(per_domain=20))
    first = build_splits(cfg, 0, ws)
    again = build_splits(cfg, 0, ws)
    assert [v.version for v in ws.versions("synth")] == ["v001"]
    assert first.inputs == again.inputs and first.inputs[0]["name"] == "synth"
    assert (first.inputs[0]["stage"], first.inputs[0]["version"]) == ("synth", "v001")
    assert first.inputs[0]["path"] == str((tmp_path / "synth" / "v001").resolve())
    reseeded = DataConfig(source="synthetic", root="", split="CPS->W", synth=SynthConfig(per_domain=20, seed=1))
    assert build_splits(reseeded, 0, ws).inputs[0]["version"] == "v002"


def test_the_held_back_training_block_is_disjoint_from_block_0_and_as_large():
    """GRPO on held-back faces (data.train_block=1) trains on as many labelled faces as SFT saw, none of them."""
    from pafas_cli.data.protocols import training_block

    pool = ([fake(i, "C", "Real Face") for i in range(300)] + [fake(i, "C", "Print") for i in range(1000, 1500)]
            + [fake(i, "P", "Makeup") for i in range(3000, 3006)])
    first, held = training_block(pool, 200, 3, 0), training_block(pool, 200, 3, 1)
    assert first == stratified_subsample(pool, 200, seed=3)
    assert len(first) == len(held) == 200
    assert not {s.id for s in first} & {s.id for s in held}
    # the same mix: each stratum's count within one of block 0's (hand count per attack)
    count = lambda picked: Counter(s.attack[-1] for s in picked)  # noqa: E731
    assert all(abs(count(first)[k] - count(held)[k]) <= 1 for k in count(first) | count(held))
    assert not {s.id for s in training_block(pool, 200, 3, 2)} & ({s.id for s in first} | {s.id for s in held})
    with pytest.raises(PafasError, match="train_block=4.*only 6 left"):
        training_block(pool, 200, 3, 4)


def test_held_back_block_keeps_the_dev_and_test_faces(tmp_path):
    many = [(1, "live")] * 6 + [(0, "print-flat")] * 6
    root = _list_root(tmp_path / "lists", lines={**LINES, "train": many})
    splits = [build_splits(DataConfig(source="list", root=str(root), protocol="P1", split="W", n_train=8,
                                      train_block=block), 0, Workspace(tmp_path)) for block in (0, 1)]
    ids = [{s.id for s in sp.train} for sp in splits]
    assert len(ids[0]) == len(ids[1]) == 8 and not ids[0] & ids[1]
    assert [s.id for s in splits[0].dev] == [s.id for s in splits[1].dev]
    assert [s.id for s in splits[0].test] == [s.id for s in splits[1].test]
    with pytest.raises(PafasError, match="data.train_block"):
        load_recipe(None, ["data.train_block=1", "data.n_train=0"])
