"""The proposed `pretrain` section: defaults that validate, and errors that name the key."""

from __future__ import annotations

import pytest

from pafas_cli.pretrain.config import PretrainSection, ProbeSection


def test_the_defaults_validate_and_probe_the_four_protocol_1_splits():
    section = PretrainSection()
    section.validate()
    assert section.probe.splits == ["W", "S", "P", "C"] and section.probe.n_train == 200


@pytest.mark.parametrize(("change", "key"), [
    ({"probe": ProbeSection(splits=["X"])}, "probe.splits"),
    ({"probe": ProbeSection(splits=["W", "W"])}, "probe.splits"),
    ({"probe": ProbeSection(n_train=3)}, "probe.n_train"),
])
def test_a_bad_value_names_its_key(change, key):
    with pytest.raises(ValueError, match=f"^{key}"):
        PretrainSection(**change).validate()


def test_corpus_and_cnn_errors_are_prefixed_with_their_subsection():
    section = PretrainSection()
    section.corpus.samples = 5
    with pytest.raises(ValueError, match="^corpus.samples"):
        section.validate()
    section = PretrainSection()
    section.cnn.epochs = 0
    with pytest.raises(ValueError, match="^cnn.epochs"):
        section.validate()
