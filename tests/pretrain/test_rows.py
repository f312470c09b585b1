"""A corpus as TRL rows: the same user turn as every stage (three labelled images), a description as the answer."""

from __future__ import annotations

from pafas_cli.data.pretrain.generate import read_samples
from pafas_cli.paths.prompt import LABELS
from pafas_cli.pretrain.rows import QUESTION, corpus_texts, load_corpus


def test_rows_pair_the_three_images_with_the_scenes_text(corpus_root):
    records = {r["id"]: r for r in read_samples(corpus_root, "train")}
    ds = load_corpus(corpus_root)
    assert len(ds) == len(records)
    row = ds[0]
    (user,) = row["prompt"]
    texts = [p["text"] for p in user["content"] if p["type"] == "text"]
    assert texts == [LABELS["rgb"], LABELS["depth"], LABELS["ir"], QUESTION]
    assert [p["type"] for p in user["content"]].count("image") == 3 == len(row["images"])
    record = records[row["id"]]
    assert row["completion"][0]["content"][0]["text"] == record["text"] and row["kind"] == record["kind"]
    for image in row["images"]:
        assert image.mode == "RGB" and image.size == tuple(reversed(record["rig"]["size"]))
    assert len(load_corpus(corpus_root, "val")) == len(read_samples(corpus_root, "val"))


def test_the_tokenizer_texts_hold_the_question_and_every_distinct_scene_text(corpus_root):
    texts = list(corpus_texts(corpus_root))
    assert texts[0].endswith(QUESTION) and texts[0].startswith(LABELS["rgb"])
    assert len(texts) == len(set(texts)) == 1 + len({r["text"] for r in read_samples(corpus_root)})


def test_the_rows_pass_the_checks_the_sft_trainer_runs_on_its_dataset(corpus_root):
    from pafas_cli.train.checks import check_dataset
    from pafas_cli.train.sft import SFT_COLUMNS

    check_dataset(load_corpus(corpus_root), SFT_COLUMNS, "prompt", "corpus")
