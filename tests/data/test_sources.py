from pathlib import Path

import numpy as np
import pytest

from data_layouts import image, triple, write_list
from pafas_cli.data.attacks import ATTACKS
from pafas_cli.data.registry import SOURCES
from pafas_cli.data.sources import read_source
from pafas_cli.data.sources.reading import Problems
from pafas_cli.errors import PafasError
from pafas_cli.paths.taxonomy import default_taxonomy

PRINT = ("Spoof Face", "External Spoofing Attacks", "Presentation Media Attacks", "Print Attacks")


def test_every_attack_path_is_a_taxonomy_path():
    taxonomy = default_taxonomy()
    for slug, path in ATTACKS.items():
        assert taxonomy.is_valid_path(path), slug


def test_casia_surf_challenge_lists(casia_root: Path):
    splits = read_source("casia-surf", casia_root)
    assert {k: len(v) for k, v in splits.items()} == {"train": 2, "dev": 1, "test": 1}
    live, fake = splits["train"]
    assert (live.label, live.attack, live.domain) == (1, ("Real Face",), "S")
    assert (fake.label, fake.attack) == (0, PRINT)
    assert Path(fake.depth).is_file() and fake.depth.endswith("depth/31.jpg")
    assert fake.meta["line"] == 2


def test_missing_root_says_where_to_get_the_data(tmp_path: Path):
    for name in ("casia-surf", "cefa", "wmca", "padisi"):
        with pytest.raises(PafasError, match="--root"):
            read_source(name, tmp_path / "nowhere")
    with pytest.raises(PafasError, match="licence"):
        read_source("casia-surf", "")


@pytest.mark.parametrize("bad", ["../outside/color/1.jpg", "/etc/passwd", "a/../../b.jpg", "C:\\x\\y.jpg"])
def test_path_traversal_is_refused(tmp_path: Path, bad: str):
    write_list(tmp_path / "S-train.txt", [f"{bad} d.jpg i.jpg 1"])
    with pytest.raises(PafasError, match="leaves the dataset root"):
        read_source("list", tmp_path, domain="S", splits=("train",))


def test_missing_image_skipped_with_count_or_stops(casia_root: Path):
    (casia_root / "Training/fake_part/CLKJ_AS0137/04_en_b.rssdk/ir/31.jpg").unlink()
    problems = Problems("skip")
    train = read_source("casia-surf", casia_root, splits=("train",), problems=problems)["train"]
    assert len(train) == 1 and len(problems.skipped) == 1
    assert "train_list.txt:2" in problems.skipped[0] and "ir/31.jpg" in problems.skipped[0]
    with pytest.raises(PafasError, match=r"train_list.txt:2: ir image not found"):
        read_source("casia-surf", casia_root, splits=("train",), problems=Problems("stop"))


def test_sixteen_bit_depth_listed_sample_loads(casia_root: Path):
    from pafas_cli.data.images import load_modality

    (test,) = read_source("casia-surf", casia_root, splits=("test",))["test"]
    assert np.asarray(load_modality(test.depth, "depth")).max() == round(40000 / 257)


def test_cefa_challenge_protocol_files(tmp_path: Path):
    root = tmp_path / "CeFA"
    frame = triple(root, "train/1_000_1_1_1", names=("profile", "depth", "ir"))[0]
    spoof = triple(root, "train/1_001_3_1_4", names=("profile", "depth", "ir"))[0]
    write_list(root / "4@1_train.txt", [f"{frame} 1", f"{spoof} 0"])
    for k in range(5):
        triple(root, "dev/2_010_1_1_1", names=("profile", "depth", "ir"), frame=f"{k:04d}.jpg")
    write_list(root / "4@1_dev_ref.txt", ["dev/2_010_1_1_1 1"])
    triple(root, "test/1_020_3_1_2", names=("profile", "depth", "ir"))
    write_list(root / "4@1_test_res.txt", ["test/1_020_3_1_2"])
    splits = read_source("cefa", root)
    train = splits["train"]
    assert [s.label for s in train] == [1, 0]
    assert train[1].attack == PRINT[:3] + ("Replay Attacks",)  # PAI 4 = screen
    assert train[0].ir.endswith("train/1_000_1_1_1/ir/0001.jpg")
    assert len(splits["dev"]) == 3 and all(s.label == 1 for s in splits["dev"])
    (test,) = splits["test"]
    assert (test.label, test.attack) == (0, PRINT)  # no label column: PAI 2 (cloth print) from the name


def test_cefa_mmdg_lists_masks_and_polarity_guard(tmp_path: Path):
    root = tmp_path
    live = triple(root, "CeFA/CeFA-Race/AF/AF-300/1_300_1_1_1", names=("profile", "depth", "ir"))
    mask = triple(root, "CeFA/CeFA-Mask/3D-Mask/002/1_002_1_1_2_1_3", names=("profile", "depth", "ir"))
    write_list(root / "MMDG-Benchmark/C-test.txt", [" ".join(live) + " 1", " ".join(mask) + " 0"])
    (a, b) = read_source("cefa", root, splits=("test",))["test"]
    assert a.attack == ("Real Face",)
    assert b.attack[-1] == "Rigid Resin Mask Attack"
    write_list(root / "MMDG-Benchmark/C-test.txt", [" ".join(live) + " 0"])  # flipped polarity
    with pytest.raises(PafasError, match="polarity"):
        read_source("cefa", root, splits=("test",))


def test_wmca_attack_from_per_attack_lists(tmp_path: Path):
    root = tmp_path
    bona = triple(root, "WMCA-Image/R_CDIT/001_01_000_0_00")
    head = triple(root, "WMCA-Image/R_CDIT/530_03_001_2_18")
    other = triple(root, "WMCA-Image/R_CDIT/018_02_000_3_10")  # type 3 (printed), PAI 10: an electronic photo
    unknown = triple(root, "WMCA-Image/R_CDIT/018_02_000_9_01")  # a type BATL does not define
    write_list(root / "W-test.txt", [" ".join(bona) + " 1", " ".join(head) + " 0", " ".join(other) + " 0",
                                     " ".join(unknown) + " 0"])
    write_list(root / "FlexModal_Protocols/WMCA_test_fakehead.txt", [" ".join(head) + " 0"])
    samples = read_source("wmca", root, splits=("test",))["test"]
    # The per-attack list wins over the name (type 2, PAI 18 would be a silicone mask); names type the rest.
    assert [s.attack[-1] for s in samples] == ["Real Face", "Fake Head Attack", "Replay Attacks", "Spoof Face"]
    # The generic list source applies the same names and per-attack lists (it typed every W spoof "Spoof Face").
    listed = read_source("list", root, domain="W", splits=("test",))["test"]
    assert [s.attack for s in listed] == [s.attack for s in samples]


def test_padisi_npz_lists_convert_boolean_labels(tmp_path: Path):
    for name in ("a.npz", "b.npz", "c.npz"):
        np.savez(tmp_path / name, data=np.zeros((1, 22, 4, 4), np.float32))
    (tmp_path / "P-train.txt").write_text("a.npz\t1\nb.npz\t0\nc.npz\tTrue\n")
    samples = read_source("padisi", tmp_path, splits=("train",))["train"]
    assert [s.label for s in samples] == [1, 0, 0]
    assert samples[0].rgb == samples[0].depth == samples[0].ir == str((tmp_path / "a.npz").resolve())


def test_list_source_reads_fifth_column_and_rejects_contradictions(tmp_path: Path):
    rels = [image(tmp_path / f"x/{m}.png") for m in ("rgb", "depth", "ir")]
    rel = " ".join(str(Path(r).relative_to(tmp_path)) for r in rels)
    write_list(tmp_path / "Q-train.txt", [f"{rel} 0 fakehead"], crlf=False)
    (s,) = read_source("list", tmp_path, domain="Q", splits=("train",))["train"]
    assert s.attack[-1] == "Fake Head Attack" and s.domain == "Q"
    write_list(tmp_path / "Q-train.txt", [f"{rel} 1 fakehead"])
    with pytest.raises(PafasError, match="contradicts"):
        read_source("list", tmp_path, domain="Q", splits=("train",))


def test_registry_names():
    assert set(SOURCES) == {"synthetic", "casia-surf", "cefa", "wmca", "padisi", "list"}


@pytest.mark.fault
def test_symlink_out_of_the_root_is_refused_with_where_it_points(tmp_path: Path):
    """The containment check follows links: a folder inside the root that links outside it is refused."""
    root, outside = tmp_path / "root", tmp_path / "elsewhere"
    rels = triple(outside, "faces")
    (root / "imgs").parent.mkdir(parents=True)
    (root / "imgs").symlink_to(outside / "faces")
    linked = [r.replace("faces/", "imgs/", 1) for r in rels]
    write_list(root / "S-train.txt", [" ".join(linked) + " 1"])
    with pytest.raises(PafasError) as caught:
        read_source("list", root, domain="S", splits=("train",))
    message = str(caught.value)
    assert "S-train.txt:1" in message and linked[0] in message
    assert f"really points to {(outside / rels[0]).resolve()}" in message and "symlink" in message
    # A link that stays inside the root is fine.
    (root / "inside").symlink_to(root / "real", target_is_directory=True)
    inner = triple(root, "real")
    write_list(root / "S-train.txt", [" ".join(r.replace("real/", "inside/", 1) for r in inner) + " 1"])
    (sample,) = read_source("list", root, domain="S", splits=("train",))["train"]
    assert sample.rgb.endswith("inside/color/0001.jpg")


def test_lists_written_on_another_machine_read_through_remap(tmp_path: Path):
    from pafas_cli.data.sources.reading import ListOptions

    rels = triple(tmp_path, "Training/real_part/CLKJ_AS0001/real.rssdk")
    write_list(tmp_path / "train_list.txt", [" ".join(f"/home/me/CASIA-SURF/{r}" for r in rels) + " 1"])
    with pytest.raises(PafasError, match=r"train_list.txt:1: path '/home/me/.*leaves the dataset root.*data.remap"):
        read_source("casia-surf", tmp_path, splits=("train",))
    remap = ListOptions.from_mapping({"remap": {"/home/me": "nowhere", "/home/me/CASIA-SURF/": ""}})
    (sample,) = read_source("casia-surf", tmp_path, splits=("train",), options=remap)["train"]
    assert sample.rgb == str(tmp_path.resolve() / rels[0])  # the longest prefix won


def test_swapped_depth_and_ir_columns_stop_the_build(tmp_path: Path):
    rgb, depth, ir = triple(tmp_path, "Training/real_part/CLKJ_AS0001/real.rssdk")
    write_list(tmp_path / "train_list.txt", [f"{rgb} {ir} {depth} 1"])
    with pytest.raises(PafasError, match=r"train_list.txt:1: the depth column names ir .*rgb, depth, ir in that order"):
        read_source("casia-surf", tmp_path, splits=("train",))
    # Names that say nothing about the modality are not judged.
    for src, dst in ((rgb, "a/x1.jpg"), (depth, "a/x2.jpg"), (ir, "a/x3.jpg")):
        (tmp_path / dst).parent.mkdir(exist_ok=True)
        (tmp_path / src).rename(tmp_path / dst)
    write_list(tmp_path / "S-train.txt", ["a/x1.jpg a/x2.jpg a/x3.jpg 1"])
    assert len(read_source("list", tmp_path, domain="S", splits=("train",))["train"]) == 1


def test_per_split_lists_and_an_explicit_polarity(tmp_path: Path):
    from pafas_cli.data.sources.reading import ListOptions

    frames = [triple(tmp_path, f"Val/{v:04d}", names=("color", "depth", "ir")) for v in range(2)]
    write_list(tmp_path / "phase9/labels-final.txt", [" ".join(frames[0]) + " 0", " ".join(frames[1]) + " 1"])
    options = ListOptions.from_mapping({"dev_list": "phase9/labels-final.txt", "label_polarity": "0=live"})
    live, spoof = read_source("casia-surf", tmp_path, splits=("dev",), options=options)["dev"]
    assert (live.label, live.attack) == (1, ("Real Face",)) and (spoof.label, spoof.attack) == (0, PRINT)
    missing = ListOptions.from_mapping({"dev_list": "phase9/nope.txt"})
    with pytest.raises(PafasError, match=r"data.dev_list: .*phase9/nope.txt does not exist"):
        read_source("casia-surf", tmp_path, splits=("dev",), options=missing)


def test_new_data_keys_are_typed_and_validated():
    from pafas_cli.config import load_recipe

    cfg = load_recipe(None, ["data.label_polarity=0=live", "data.test_list=phase2/x.txt",
                             "data.domains={S: {source: casia-surf, root: /d, label_polarity: 0=live, "
                             "remap: {'/old/': ''}, test_list: p/t.txt}}"]).data
    assert cfg.label_polarity == "0=live" and cfg.domains["S"]["test_list"] == "p/t.txt"
    for bad, message in (("data.label_polarity=live", "label_polarity' must be one of auto, 1=live, 0=live"),
                         ("data.remap=[a]", "data.remap: expected a mapping old prefix -> new prefix"),
                         ("data.domains={S: {source: cefa, root: /d, polarity: 1}}", "unknown key 'polarity'"),
                         ("data.domains={S: {source: cefa, root: /d, label_polarity: yes}}", "one of auto"),
                         ("data.prepare.frames=0", "prepare.frames")):
        with pytest.raises(PafasError, match=message):
            load_recipe(None, [bad])
