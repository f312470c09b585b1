"""Class balancing of the RL prompts."""

from collections import Counter

from datasets import Dataset

from pafas_cli.train.grpo import balance_labels


def test_rarer_class_is_oversampled_to_parity_and_keeps_every_row():
    data = Dataset.from_dict({"id": [f"s{i}" for i in range(10)], "label": [1, 1, 0, 0, 0, 0, 0, 0, 0, 0]})
    balanced = balance_labels(data, seed=0)
    assert Counter(balanced["label"]) == {0: 8, 1: 8}
    assert set(balanced["id"]) == set(data["id"])


def test_balancing_is_seeded_and_single_class_sets_are_unchanged():
    data = Dataset.from_dict({"id": list("abcde"), "label": [1, 0, 0, 0, 0]})
    assert balance_labels(data, 3)["id"] == balance_labels(data, 3)["id"]
    single = Dataset.from_dict({"id": list("ab"), "label": [0, 0]})
    assert balance_labels(single, 0)["id"] == ["a", "b"]
