"""A small standard-library client for the liveness API (what the load test and the tests use).

    from pafas_cli.serve.client import Client
    reply = Client("http://127.0.0.1:8000").liveness({"rgb": "face_rgb.png", "depth": "face_depth.png"})
    reply.status, reply.json["decision"], reply.json["liveness"]

One `Client` keeps one HTTP/1.1 connection (reused between requests, reopened when the server closed it);
use one per thread.
"""

from __future__ import annotations

import http.client
import json
import mimetypes
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

Part = tuple[str, str | None, str | None, bytes]  # field name, file name (None = a text field), content type, data


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float
    json: Any = field(default=None)

    def __post_init__(self) -> None:
        if self.headers.get("content-type", "").startswith("application/json"):
            self.json = json.loads(self.body)


def encode_multipart(parts: Iterable[Part], boundary: str | None = None) -> tuple[bytes, str]:
    """A multipart/form-data body and its Content-Type header."""
    boundary = boundary or uuid.uuid4().hex
    out = bytearray()
    for name, filename, content_type, data in parts:
        out += f"--{boundary}\r\n".encode()
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        out += f"Content-Disposition: {disposition}\r\n".encode()
        if content_type:
            out += f"Content-Type: {content_type}\r\n".encode()
        out += b"\r\n" + data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def image_parts(files: Mapping[str, str | Path | bytes]) -> list[Part]:
    """Form parts for modality -> file path (or bytes), with the content type the file name implies."""
    parts = []
    for modality, source in files.items():
        if isinstance(source, bytes):
            parts.append((modality, f"{modality}.png", "image/png", source))
        else:
            path = Path(source)
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            parts.append((modality, path.name, kind, path.read_bytes()))
    return parts


class Client:
    """HTTP/1.1 client for one server (`http://host:port`)."""

    def __init__(self, base_url: str, timeout: float = 120.0):
        url = urlsplit(base_url)
        if url.scheme != "http" or not url.hostname:
            raise ValueError(f"expected http://host:port, got {base_url!r}")
        self.host, self.port, self.timeout = url.hostname, url.port or 80, timeout
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: Mapping[str, str] | None = None) -> Reply:
        for attempt in (0, 1):  # a kept-alive connection the server has closed is reopened once
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            started = time.perf_counter()
            try:
                self._conn.request(method, path, body=body, headers=dict(headers or {}))
                response = self._conn.getresponse()
                data = response.read()
            except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine):
                self.close()
                if attempt:
                    raise
                continue
            reply = Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, data,
                          time.perf_counter() - started)
            if response.will_close:
                self.close()
            return reply
        raise AssertionError("unreachable")  # pragma: no cover

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def post_form(self, path: str, parts: Iterable[Part], headers: Mapping[str, str] | None = None) -> Reply:
        body, content_type = encode_multipart(parts)
        return self.request("POST", path, body, {"Content-Type": content_type, **(headers or {})})

    def liveness(self, files: Mapping[str, str | Path | bytes], headers: Mapping[str, str] | None = None) -> Reply:
        """POST /v1/liveness with modality -> file path (or PNG bytes)."""
        return self.post_form("/v1/liveness", image_parts(files), headers)
