"""The API key of `pafas serve`: where it is read from, what is refused, and the bearer-token check."""

from __future__ import annotations

import pytest

from pafas_cli.errors import PafasError
from pafas_cli.serve.auth import ApiKey, load_api_key

KEY = "s3cret-key_0123456789~+/"


def test_the_key_file_wins_over_the_environment_and_neither_means_no_key(tmp_path):
    path = tmp_path / "key"
    path.write_text(f"  {KEY}\n\n")
    path.chmod(0o600)
    key, warnings = load_api_key(path, {"PAFAS_API_KEY": "another-key-from-the-env"})
    assert (key.secret, key.source, warnings) == (KEY, f"--api-key-file {path}", [])
    key, _ = load_api_key(None, {"PAFAS_API_KEY": f"{KEY}\n"})
    assert (key.secret, key.source) == (KEY, "PAFAS_API_KEY")
    assert load_api_key(None, {}) == (None, [])
    assert KEY not in repr(key), "the secret never shows in a repr (tracebacks, logs)"


def test_a_key_file_others_can_read_is_warned_about(tmp_path):
    path = tmp_path / "key"
    path.write_text(KEY)
    path.chmod(0o644)
    _, warnings = load_api_key(path, {})
    assert warnings == [f"--api-key-file {path}: other users of this machine can read the key (chmod 600 {path})"]


@pytest.mark.fault
@pytest.mark.parametrize(("text", "message"), [
    (None, "no such file"),
    ("", "at least 16 characters"),
    ("short", "at least 16 characters"),
    ("a key with spaces in it", "at least 16 characters of letters, digits"),
])
def test_an_unusable_key_stops_start_up_naming_its_source(tmp_path, text, message):
    path = tmp_path / "key"
    if text is not None:
        path.write_text(text)
    with pytest.raises(PafasError) as exc:
        load_api_key(path, {})
    assert str(exc.value).startswith(f"--api-key-file {path}: ") and message in str(exc.value)
    with pytest.raises(PafasError, match="^PAFAS_API_KEY: the API key must be at least 16"):
        load_api_key(None, {"PAFAS_API_KEY": ""})


def test_only_the_exact_key_as_a_bearer_token_is_accepted():
    key = ApiKey(KEY, "PAFAS_API_KEY")
    assert key.accepts(f"Bearer {KEY}") and key.accepts(f"bearer {KEY}") and key.accepts(f"  Bearer  {KEY} ")
    for header in (None, "", KEY, f"Basic {KEY}", f"Bearer {KEY[:-1]}", f"Bearer {KEY}x", "Bearer ",
                   f"Bearer {KEY.upper()}", "Bearer \u00e9" + KEY):
        assert not key.accepts(header), header
