"""The optional API key of `pafas serve`: where it is read from, and the bearer-token check.

The key comes from `--api-key-file PATH` (first line, surrounding whitespace ignored) or else the environment
variable PAFAS_API_KEY; a client sends `Authorization: Bearer KEY`. The comparison is constant-time
(`hmac.compare_digest`) so response timing does not reveal how much of a guess was right. A key must be at
least MIN_LENGTH characters of the RFC 6750 token alphabet (what fits a header unchanged), so a typo such as
an empty file cannot turn protection into a trivially guessed key.
"""

from __future__ import annotations

import hmac
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from pafas_cli.errors import PafasError

ENV = "PAFAS_API_KEY"
MIN_LENGTH = 16
TOKEN = re.compile(r"[A-Za-z0-9._~+/-]+=*")


@dataclass(frozen=True)
class ApiKey:
    """The key and where it came from (the start-up line names the source, never the key)."""

    secret: str
    source: str  # "--api-key-file PATH" or "PAFAS_API_KEY"

    def __repr__(self) -> str:  # never print the secret, e.g. in a traceback's locals
        return f"ApiKey(source={self.source!r})"

    def accepts(self, authorization: str | None) -> bool:
        """Whether an Authorization header carries this key as a bearer token."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(token.strip().encode("latin-1", "replace"), self.secret.encode("ascii"))


def load_api_key(path: Path | None, environ: dict[str, str] | None = None) -> tuple[ApiKey | None, list[str]]:
    """The key of `--api-key-file` (which wins over the environment), else of PAFAS_API_KEY, else None; with
    warnings worth printing (a key file others can read). A PafasError for an unusable file or key."""
    environ = os.environ if environ is None else environ
    warnings: list[str] = []
    if path is not None:
        where = f"--api-key-file {path}"
        try:
            text = path.read_text(encoding="utf-8")
            mode = path.stat().st_mode
        except FileNotFoundError:
            raise PafasError(f"{where}: no such file; write the key into it (e.g. python -c 'import secrets; "
                             f"print(secrets.token_urlsafe(32))' > {path})") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise PafasError(f"{where}: cannot read it ({exc}); give a readable UTF-8 text file") from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            warnings.append(f"{where}: other users of this machine can read the key (chmod 600 {path})")
        lines = text.strip().splitlines()
        key = ApiKey(lines[0].strip() if lines else "", where)
    elif environ.get(ENV) is not None:
        key = ApiKey(environ[ENV].strip(), ENV)
    else:
        return None, warnings
    if len(key.secret) < MIN_LENGTH or not TOKEN.fullmatch(key.secret):
        raise PafasError(f"{key.source}: the API key must be at least {MIN_LENGTH} characters of letters, digits "
                         "and - . _ ~ + / (e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')")
    return key, warnings
