"""build_version + store loaders on tiny fake samples (no protocol, no workspace)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from pafas_cli.data.images import load_modality
from pafas_cli.errors import PafasError
from pafas_cli.paths.answer import parse_answer, stated_conclusion
from pafas_cli.paths.build import build_version, load_reasoning
from pafas_cli.paths.config import PathsConfig
from pafas_cli.paths.store import eval_sets, load_eval, load_rl, load_sft, read_corpus, sft_rows
from pafas_cli.workspace import fingerprint_dir

P2 = (("depth",), ("ir",), ("depth", "ir"))


def build(tmp_path: Path, sample_sets, name: str, seed: int = 0, **overrides) -> Path:
    missing = overrides.pop("missing", ())
    cfg = PathsConfig(n_paths=overrides.pop("n_paths", 8), **overrides)
    out = tmp_path / name
    out.mkdir()
    build_version(cfg, load_reasoning(cfg), sample_sets["train"], sample_sets["dev"], sample_sets["test"], out, seed,
                  load_modality, missing)
    return out


@pytest.fixture(scope="module")
def versions(tmp_path_factory, sample_sets):
    """One build per variant, shared by the tests below."""
    tmp = tmp_path_factory.mktemp("versions")
    return {
        "plain": build(tmp, sample_sets, "plain", shuffle="none", missing=P2),
        "answer": build(tmp, sample_sets, "answer", shuffle="answer"),
        "path": build(tmp, sample_sets, "path", shuffle="path"),
        "single": build(tmp, sample_sets, "single", augmentation="single", shuffle="none"),
        "raw": build(tmp, sample_sets, "raw", augmentation="raw", shuffle="none"),
    }


def test_every_answer_parses_and_names_the_true_class(versions, taxonomy, sample_sets):
    rows = list(sft_rows(versions["plain"]))
    assert len(rows) == 8 * len(sample_sets["train"])
    for row in rows:
        parsed = parse_answer(row["answer"], taxonomy)
        assert parsed.well_formed, parsed.error
        assert parsed.nodes == tuple(row["attack"]) and parsed.decision == row["label"]
        assert stated_conclusion(parsed.think, taxonomy) == tuple(row["attack"])
        for missing in {"rgb": "RGB", "depth": "Depth", "ir": "IR"}.keys() - set(row["modalities"]):
            assert {"depth": "Depth", "ir": "IR", "rgb": "RGB"}[missing] + " " not in parsed.think


def test_answer_shuffling_moves_only_answers(versions, taxonomy):
    plain, shuffled = list(sft_rows(versions["plain"])), list(sft_rows(versions["answer"]))
    assert [r["think"] for r in plain] == [r["think"] for r in shuffled]
    assert [r["images"] for r in plain] == [r["images"] for r in shuffled]
    answers = [parse_answer(r["answer"], taxonomy).nodes for r in shuffled]
    assert Counter(answers) == Counter(tuple(r["attack"]) for r in plain)  # same label distribution, exactly
    assert all(r["answer_shuffled"] for r in shuffled)
    assert sum(a != tuple(r["attack"]) for a, r in zip(answers, shuffled)) > len(shuffled) // 3


def test_path_shuffling_moves_only_reasoning(versions, taxonomy):
    plain, shuffled = list(sft_rows(versions["plain"])), list(sft_rows(versions["path"]))
    assert [parse_answer(r["answer"], taxonomy).nodes for r in shuffled] == [tuple(r["attack"]) for r in plain]
    assert Counter(r["think"] for r in plain) == Counter(r["think"] for r in shuffled)
    assert sum(a["think"] != b["think"] for a, b in zip(plain, shuffled)) > len(plain) // 2


def test_variants_differ_as_specified(versions, taxonomy, sample_sets):
    single, raw = list(sft_rows(versions["single"])), list(sft_rows(versions["raw"]))
    n = len(sample_sets["train"])
    assert len(single) == len(raw) == n
    assert all(r["think"] is None and r["answer"].startswith("<answer>") for r in raw)
    assert all(parse_answer(r["answer"], taxonomy, require_think=False).nodes == tuple(r["attack"]) for r in raw)
    assert all("Could it be" not in r["think"] and "Maybe" not in r["think"] for r in single)
    plain_first = {r["sample"]: r["think"] for r in sft_rows(versions["plain"]) if r["path"] == 0}
    assert len({r["think"] for r in single} - set(plain_first.values())) > 0


def test_same_seed_same_bytes_other_seed_other_paths(tmp_path, sample_sets, versions):
    again = build(tmp_path, sample_sets, "again", shuffle="none", missing=P2)
    assert fingerprint_dir(again) == fingerprint_dir(versions["plain"])
    other = build(tmp_path, sample_sets, "other", seed=1, shuffle="none", missing=P2)
    assert fingerprint_dir(other) != fingerprint_dir(versions["plain"])


def test_the_seed_alone_fixes_answer_shuffling_and_modality_dropout(tmp_path, sample_sets):
    """Shuffled answers and blanked modalities are drawn from the recipe seed too: the same seed writes the same
    SFT rows, another seed other rows."""
    knobs = dict(n_paths=4, shuffle="answer", shuffle_rate=0.5, modality_dropout=0.5)
    first = list(sft_rows(build(tmp_path, sample_sets, "first", **knobs)))
    assert any(r["answer_shuffled"] for r in first) and any(r["blanked"] for r in first)
    assert list(sft_rows(build(tmp_path, sample_sets, "again", **knobs))) == first
    assert list(sft_rows(build(tmp_path, sample_sets, "other", seed=1, **knobs))) != first


def test_images_are_stored_once_and_more_paths_cost_little(tmp_path, sample_sets):
    one = build(tmp_path, sample_sets, "n1", n_paths=1)
    many = build(tmp_path, sample_sets, "n50", n_paths=50)
    size = lambda p: sum(f.stat().st_size for f in p.rglob("*") if f.is_file())  # noqa: E731
    n_images = len(list((many / "images").glob("*.png")))
    all_samples = [s for split in sample_sets.values() for s in split]
    assert n_images == sum(len(s.modalities) for s in all_samples) + 1  # + blank.png
    assert size(many) < 2 * size(one)


def test_loaders_give_trl_columns(versions, sample_sets):
    root = versions["plain"]
    sft = load_sft(root)
    assert set(sft.column_names) == {"prompt", "completion", "images", "id", "sample_id", "label", "attack", "domain",
                                     "modalities"}
    row = sft[0]
    (user,), (assistant,) = row["prompt"], row["completion"]
    assert [p["type"] for p in user["content"]] == ["text", "image"] * 3 + ["text"]
    assert assistant["role"] == "assistant" and assistant["content"][0]["text"].startswith("<think>")
    assert len(row["images"]) == 3
    assert all(isinstance(im, Image.Image) and im.mode == "RGB" and im.size == (56, 56) for im in row["images"])

    rl = load_rl(root)
    assert len(rl) == len(sample_sets["train"])
    assert rl[0]["prompt"][0]["role"] == "user" and rl[0]["solution"].startswith("['")
    assert eval_sets(root) == ["dev", "dev_missing_depth", "dev_missing_ir", "dev_missing_both", "test",
                              "test_missing_depth", "test_missing_ir", "test_missing_both"]
    dev_both = load_eval(root, "dev_missing_both")
    assert len(dev_both) == len(sample_sets["dev"]) and set(dev_both["split"]) == {"dev"}
    assert all(m == ["rgb"] for m in dev_both["modalities"])
    both = load_eval(root, "test_missing_both")
    assert all(m == ["rgb"] for m in both["modalities"]) and set(both["split"]) == {"test"}
    assert both[0]["prompt"][0]["content"][2]["text"] == "Depth image: unavailable (blank)."
    assert both[0]["images"][1].getextrema() == ((0, 0), (0, 0), (0, 0))


@pytest.mark.slow
def test_trl_renders_a_loaded_row(versions):
    """TRL's own multimodal preparation and Qwen2.5-VL chat template accept the loaded rows."""
    import jinja2
    import trl
    from trl.data_utils import prepare_multimodal_messages

    row = load_sft(versions["plain"])[1]
    messages = prepare_multimodal_messages(row["prompt"] + row["completion"], row["images"])
    template = (Path(trl.__file__).parent / "chat_templates" / "qwen2_5_vl.jinja").read_text()
    text = jinja2.Environment().from_string(template).render(messages=messages, add_generation_prompt=False)
    assert text.count("<|vision_start|><|image_pad|><|vision_end|>") == 3
    assert text.index("RGB image:") < text.index("Depth image") < text.index("IR image") < text.index("<think>")


def test_corpus_holds_prompts_and_answers(versions):
    texts = list(read_corpus(versions["answer"]))
    assert len(texts) == len(set(texts))
    assert any(t.startswith("RGB image:") for t in texts)
    assert any(t.startswith("<think>") for t in texts)
    assert (versions["answer"] / "corpus.txt").read_text().count("\n") > 50


def test_build_reports_the_shortcuts_it_leaves(tmp_path, sample_sets, taxonomy):
    """The summary's shortcut figures, recomputed from the written rows with sklearn and hand counts."""
    from sklearn.metrics import roc_auc_score

    cfg = PathsConfig(n_paths=8, shuffle="answer")
    out = tmp_path / "v"
    out.mkdir()
    stats = build_version(cfg, load_reasoning(cfg), sample_sets["train"], sample_sets["dev"], sample_sets["test"],
                          out, 0, load_modality).stats
    rows = list(sft_rows(out))
    labels, words = [r["label"] for r in rows], [len(r["think"].split()) for r in rows]
    separation = roc_auc_score(labels, words)
    assert stats.length_shortcut_auc == pytest.approx(max(separation, 1 - separation), abs=1e-4)
    answers = [parse_answer(r["answer"], taxonomy) for r in rows]
    own_path = sum(a.nodes == tuple(r["attack"]) for a, r in zip(answers, rows)) / len(rows)
    own_branch = sum(a.decision == r["label"] for a, r in zip(answers, rows)) / len(rows)
    assert stats.answer_own_label == pytest.approx(own_path) and stats.answer_own_branch == pytest.approx(own_branch)
    assert 0 < own_path < own_branch < 1
    live = {r["sample"] for r in rows if r["label"] == 1}
    assert stats.distinct_step_sequences_live is not None and 1 <= stats.distinct_step_sequences_live <= 8
    assert set(stats.exploration_by_level) == {"live", "spoof"} and len(live) > 0


def test_modality_dropout_blanks_depth_or_ir_in_that_share_of_rows(tmp_path, sample_sets, versions):
    from pafas_cli.paths.images import BLANK

    out = build(tmp_path, sample_sets, "dropout", shuffle="none", n_paths=20, modality_dropout=0.5)
    rows = list(sft_rows(out))
    blanked = [r for r in rows if r["blanked"]]
    # 20 training samples x 20 rows at rate 0.5: 200 expected, binomial sd 10.
    assert 160 <= len(blanked) <= 240
    assert {tuple(r["blanked"]) for r in blanked} == {("depth",), ("ir",), ("depth", "ir")}
    names = {"rgb": "RGB", "depth": "Depth", "ir": "IR"}
    conversations = {r["id"]: r for r in load_sft(out)}
    for row in blanked:
        assert "rgb" not in row["blanked"] and not set(row["blanked"]) & set(row["modalities"])
        for m in row["blanked"]:
            assert row["images"][["rgb", "depth", "ir"].index(m)] == BLANK
            assert names[m] + " " not in row["think"]
            prompt = conversations[row["id"]]["prompt"][0]["content"]
            assert f"{names[m]} image: unavailable" in " ".join(part["text"] or "" for part in prompt)
    plain = list(sft_rows(versions["plain"]))
    again = list(sft_rows(build(tmp_path, sample_sets, "no-dropout", shuffle="none", modality_dropout=0.0)))
    assert [r["think"] for r in again] == [r["think"] for r in plain], "rate 0 builds what the paper's setting does"


def test_a_version_built_before_modality_dropout_still_reads(versions):
    """Versions written before the `blanked` column existed load with every modality kept."""
    import shutil

    from datasets import load_from_disk

    old = versions["plain"].parent / "before-blanked"
    shutil.copytree(versions["plain"], old)
    load_from_disk(str(versions["plain"] / "sft")).remove_columns("blanked").save_to_disk(str(old / "sft-old"))
    shutil.rmtree(old / "sft")
    (old / "sft-old").rename(old / "sft")
    rows, current = list(sft_rows(old)), list(sft_rows(versions["plain"]))
    assert [(r["answer"], r["modalities"], r["images"]) for r in rows] == \
        [(r["answer"], r["modalities"], r["images"]) for r in current]


def _built(tmp_path, sample_sets, name, missing=(), **overrides):
    """(stats, written SFT rows, Built) of one build into tmp_path/name."""
    cfg = PathsConfig(**overrides)
    out = tmp_path / name
    out.mkdir()
    built = build_version(cfg, load_reasoning(cfg), sample_sets["train"], sample_sets["dev"], sample_sets["test"],
                          out, 0, load_modality, missing)
    return built.stats, list(sft_rows(out)), built


@pytest.mark.parametrize("shuffle", ["answer", "path"])
def test_the_shuffle_rate_sets_how_many_rows_take_another_sample_s_value(tmp_path, sample_sets, shuffle):
    """At rate r, round(r * rows) rows take their answer (or reasoning) from another sample, counted in the
    written rows; the stats report the same counts, and the other column is never moved."""
    n_train = len(sample_sets["train"])
    for rate in (0.25, 0.5):
        stats, rows, _ = _built(tmp_path, sample_sets, f"{shuffle}{rate}", n_paths=4, shuffle=shuffle,
                                shuffle_rate=rate)
        assert len(rows) == 4 * n_train
        moved = sum(r["answer_shuffled" if shuffle == "answer" else "think_shuffled"] for r in rows)
        still = sum(r["think_shuffled" if shuffle == "answer" else "answer_shuffled"] for r in rows)
        assert (moved, still) == (round(rate * len(rows)), 0)
        assert (stats.answers_shuffled, stats.thinks_shuffled) == ((moved, 0) if shuffle == "answer" else (0, moved))


def test_build_stats_by_hand(tmp_path, sample_sets):
    """Row counts per table, images, blanked rows and path numbering, counted from what was written."""
    stats, rows, built = _built(tmp_path, sample_sets, "v", missing=P2, n_paths=3, shuffle="none",
                                modality_dropout=0.5)
    n = {k: len(v) for k, v in sample_sets.items()}
    assert stats.rows == {"rl": n["train"], "eval/dev": n["dev"], "eval/test": n["test"],
                          "eval/dev_missing_depth": n["dev"], "eval/dev_missing_ir": n["dev"],
                          "eval/dev_missing_both": n["dev"], "eval/test_missing_depth": n["test"],
                          "eval/test_missing_ir": n["test"], "eval/test_missing_both": n["test"], "sft": 3 * n["train"]}
    faces = sum(len(s.modalities) for split in sample_sets.values() for s in split)
    assert stats.images_written == faces == len(list((tmp_path / "v" / "images").glob("*.png"))) - 1  # + blank.png
    assert stats.rows_blanked == sum(bool(r["blanked"]) for r in rows) > 0
    assert [r["path"] for r in rows] == [k for _ in range(n["train"]) for k in range(3)]
    assert [i for i, _ in built.paths] == [r["sample"] for r in rows]
    assert built.sampler.text(built.paths[0][1]) == rows[0]["think"]
    assert (stats.answers_shuffled, stats.thinks_shuffled, stats.answer_own_label) == (0, 0, 1.0)
    with pytest.raises(Exception, match="^the protocol gave no training samples; check the data section of the recipe$"):
        build_version(PathsConfig(), load_reasoning(PathsConfig()), [], sample_sets["dev"], sample_sets["test"],
                      tmp_path, 0, load_modality)


@pytest.mark.parametrize("split, fault, message", [
    ("train", dict(attack=("Spoof Face", "Paper Doll Attack")),
     "sample train/0001: attack ['Spoof Face', 'Paper Doll Attack'] is not a top-down path of the taxonomy "),
    ("dev", dict(attack=("Real Face",), label=0),
     "sample dev/0001: label 0 disagrees with its attack path ['Real Face']"),
    ("test", dict(rgb=None, depth=None, ir=None), "sample test/0001: has no image at all"),
])
def test_a_bad_sample_stops_the_build_with_its_id_and_fault(tmp_path, sample_sets, split, fault, message):
    """A sample off the taxonomy, with a label its attack contradicts, or without images, in any split: one
    PafasError naming the sample and what is wrong with it, before anything is written."""
    from dataclasses import replace

    sets = {k: list(v) for k, v in sample_sets.items()}
    sets[split][1] = replace(sets[split][1], **fault)
    out = tmp_path / "v"
    out.mkdir()
    cfg = PathsConfig(n_paths=2)
    with pytest.raises(PafasError) as caught:
        build_version(cfg, load_reasoning(cfg), sets["train"], sets["dev"], sets["test"], out, 0, load_modality)
    assert str(caught.value).startswith(message)
    assert list(out.iterdir()) == []


def test_spec_and_corpus_record_the_build(tmp_path, sample_sets):
    """spec.json holds what later stages inherit; the corpus holds every prompt and answer list a model will read."""
    import json

    from pafas_cli.paths.answer import format_list
    from pafas_cli.paths.prompt import user_text

    _built(tmp_path, sample_sets, "v", n_paths=2, shuffle="path", shuffle_rate=0.5, modality_dropout=0.25,
           image_size=48)
    spec = json.loads((tmp_path / "v" / "spec.json").read_text())
    assert (spec["stage"], spec["image_size"], spec["answer_format"]) == ("paths", 48, "think")
    assert {k: spec["details"][k] for k in ("augmentation", "n_paths", "shuffle", "shuffle_rate", "modality_dropout")} \
        == {"augmentation": "path", "n_paths": 2, "shuffle": "path", "shuffle_rate": 0.5, "modality_dropout": 0.25}
    corpus = set(read_corpus(tmp_path / "v"))
    everyone = [s for split in sample_sets.values() for s in split]
    assert {user_text(s.modalities) for s in everyone} <= corpus
    assert {format_list(s.attack) for s in everyone} <= corpus


@pytest.mark.parametrize("augmentation, answer_format", [("raw", "answer"), ("single", "think"), ("path", "think")])
def test_the_spec_says_which_answer_format_the_rows_have(tmp_path, sample_sets, augmentation, answer_format):
    """A `raw` build writes answer-only rows and its spec says so; every other variant writes `<think>` first."""
    import json

    _, rows, _ = _built(tmp_path, sample_sets, "v", augmentation=augmentation, n_paths=2, shuffle="none")
    assert json.loads((tmp_path / "v" / "spec.json").read_text())["answer_format"] == answer_format
    assert {r["answer"].split(">", 1)[0] + ">" for r in rows} == {f"<{answer_format}>"}


@pytest.mark.parametrize("knob", ["explore_rate", "verify_rate", "live_descend_rate", "alpha"])
def test_every_pnrps_setting_reaches_the_sampler(tmp_path, sample_sets, knob):
    """A build with one PNRPS setting changed writes other reasoning than one at the defaults."""
    default = _built(tmp_path, sample_sets, "default", n_paths=2, shuffle="none")[1]
    value = {"explore_rate": 0.0, "verify_rate": 1.0, "live_descend_rate": 0.0, "alpha": 1.0}[knob]
    changed = _built(tmp_path, sample_sets, knob, n_paths=2, shuffle="none", **{knob: value})[1]
    assert [r["think"] for r in changed] != [r["think"] for r in default]


def test_path_figures_by_hand(tmp_path, sample_sets, taxonomy):
    """Every path figure of the summary, counted from the written rows and the returned paths. With
    max_draws_factor 1 every draw that repeats a path is a missing row, so duplicates = wanted - written."""
    stats, rows, built = _built(tmp_path, sample_sets, "v", n_paths=40, max_draws_factor=1, alpha=1.0, shuffle="answer",
                                shuffle_rate=0.5, modality_dropout=0.3)
    train = sample_sets["train"]
    per_sample = Counter(r["sample"] for r in rows)
    assert stats.duplicate_draws == 40 * len(train) - len(rows) > 0
    assert stats.samples_short == sum(per_sample[i] < 40 for i in range(len(train))) > 0
    assert stats.unique_paths == len({(r["sample"], r["think"]) for r in rows})
    paths = [p for _, p in built.paths]
    assert stats.steps_histogram == dict(sorted(Counter(len(p.steps) for p in paths).items()))
    assert stats.explorations_mean == pytest.approx(sum(s.op == "-" for p in paths for s in p.steps) / len(paths))
    thinks = [r["think"] for r in rows]
    assert stats.think_chars_mean == pytest.approx(sum(map(len, thinks)) / len(rows))
    assert stats.think_words_mean == pytest.approx(sum(len(t.split()) for t in thinks) / len(rows))
    for label, words in ((1, stats.think_words_live), (0, stats.think_words_spoof)):
        mine = [len(r["think"].split()) for r in rows if r["label"] == label]
        assert words == pytest.approx(sum(mine) / len(mine))
    for label, figure in ((1, stats.distinct_step_sequences_live), (0, stats.distinct_step_sequences_spoof)):
        counts = [len({p.steps for i, p in built.paths if i == k}) for k in range(len(train)) if train[k].label == label]
        assert figure == round(sum(counts) / len(counts), 2)
    for r in rows:  # only modalities the sample has are blanked, never RGB
        assert set(r["blanked"]) <= set(train[r["sample"]].modalities) - {"rgb"}


@pytest.mark.parametrize("augmentation", ["raw", "single"])
def test_raw_and_single_builds_draw_no_paths_to_count(tmp_path, sample_sets, augmentation):
    """raw: one answer-only row per sample and no path figures; single: one canonical path each, no duplicates."""
    stats, rows, built = _built(tmp_path, sample_sets, augmentation, augmentation=augmentation, shuffle="none")
    assert len(rows) == stats.rows["sft"] == len(sample_sets["train"])
    assert (stats.duplicate_draws, stats.samples_short) == (0, 0)
    if augmentation == "raw":
        assert (stats.unique_paths, stats.steps_histogram, stats.explorations_mean) == (0, {}, 0.0)
        assert (stats.think_chars_mean, stats.think_words_mean, stats.length_shortcut_auc) == (0.0, 0.0, None)
        assert (stats.think_words_live, stats.think_words_spoof) == (0.0, 0.0)
        assert stats.exploration_by_level == {} and stats.distinct_step_sequences_live is None
    else:
        assert stats.unique_paths == len(rows) and stats.explorations_mean == 0.0


def test_exploration_by_level_by_hand(tmp_path, sample_sets, taxonomy):
    """Per class and level, the share of paths that rule out a class at that level: a spoof path counts at the
    levels its label reaches (shallow labels fewer), a live path at every level of the taxonomy."""
    stats, _, built = _built(tmp_path, sample_sets, "v", n_paths=4, shuffle="none", explore_rate=1.0, alpha=3.0)
    train = sample_sets["train"]
    spoof_depth = max(len(s.attack) for s in train if s.label == 0)
    assert min(len(s.attack) for s in train if s.label == 0) < spoof_depth
    assert list(stats.exploration_by_level) == ["live", "spoof"]
    assert list(stats.exploration_by_level["live"]) == list(range(1, taxonomy.depth + 1))
    assert list(stats.exploration_by_level["spoof"]) == list(range(1, spoof_depth + 1))
    for kind, label in (("live", 1), ("spoof", 0)):
        mine = [(i, p) for i, p in built.paths if train[i].label == label]
        for level, share in stats.exploration_by_level[kind].items():
            reach = [p for i, p in mine if kind == "live" or len(train[i].attack) >= level]
            hits = sum(any(s.op == "-" and taxonomy.level(s.node) == level for s in p.steps) for p in reach)
            assert share == round(hits / len(reach), 3), (kind, level)
