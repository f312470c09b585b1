import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pafas_cli.model.tokenizer import SPECIAL_TOKENS, train_tokenizer

ANSWER = (
    "<think>The RGB image shows a moire pattern and sharp paper edges. The depth map is flat with no nose relief."
    "</think><answer>['Spoof Face', 'External Spoofing Attacks', 'Presentation Media Attacks', 'Print Attacks', "
    "'Flat Print Attack']</answer>"
)


@pytest.fixture(scope="module")
def tokenizer(corpus):
    return train_tokenizer(corpus, 4096)


def test_special_tokens_have_fixed_ids_and_roles(tokenizer):
    assert tokenizer.convert_ids_to_tokens(list(range(len(SPECIAL_TOKENS)))) == list(SPECIAL_TOKENS)
    assert tokenizer.eos_token == "<|im_end|>" and tokenizer.pad_token == "<|endoftext|>"
    assert tokenizer.image_token == "<|image_pad|>" and tokenizer.image_token_id == 5
    assert tokenizer.unk_token is None


def test_think_and_answer_tags_stay_ordinary_text(tokenizer):
    ids = tokenizer(ANSWER + "<|im_end|>", add_special_tokens=False)["input_ids"]
    assert tokenizer.decode(ids, skip_special_tokens=True) == ANSWER


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=80))
def test_any_text_round_trips_without_unknown_tokens(tokenizer, text):
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert tokenizer.decode(ids) == unicodedata.normalize("NFC", text)


def test_corpus_words_become_single_tokens(tokenizer):
    reasoning = ANSWER.split("<think>")[1].split("</think>")[0]
    tokens = len(tokenizer(reasoning, add_special_tokens=False)["input_ids"])
    assert tokens <= len(reasoning.split()) + 1


def test_vocab_size_is_an_upper_bound(tokenizer, corpus):
    small = train_tokenizer(corpus, 300)
    assert len(small) <= 300 < len(tokenizer)


def test_vocab_too_small_for_the_byte_alphabet_is_refused(corpus):
    with pytest.raises(ValueError, match="vocab_size"):
        train_tokenizer(corpus, 100)
