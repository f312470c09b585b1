"""build_version + store loaders on tiny fake samples (no protocol, no workspace)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from pafas_cli.data.images import load_modality
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
    assert eval_sets(root) == ["dev", "test", "test_missing_depth", "test_missing_ir", "test_missing_both"]
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
