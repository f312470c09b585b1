"""Headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`): no driver, no
websocket library, no debugging port. Enough to open a page, set files on file inputs as a user picking
them would, click, read the DOM and take a screenshot.

Chromium reads commands on its fd 3 and writes replies on fd 4, each a JSON text ended by a NUL byte.
Every hostname but 127.0.0.1 resolves to nothing, so the browser only ever talks to the local server.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
from typing import Any

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
         "--disable-extensions", "--no-pings", "--disable-domain-reliability", "--hide-scrollbars",
         "--metrics-recording-only", "--disable-features=Translate,OptimizationHints,MediaRouter",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--remote-debugging-pipe")


def find_browser() -> str | None:
    return next((b for b in map(shutil.which, BROWSERS) if b), None)


class Browser:
    """One headless Chromium with one page."""

    def __init__(self, binary: str, profile: str, width: int = 1100, height: int = 900):
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()
        # bash moves the pipe ends to fds 3 and 4 for Chromium (subprocess keeps passed fds at their numbers).
        script = f'exec "$0" "$@" 3<&{to_chrome_r} 4>&{from_chrome_w} {to_chrome_r}<&- {from_chrome_w}>&-'
        self.proc = subprocess.Popen(["bash", "-c", script, binary, *FLAGS, f"--user-data-dir={profile}",
                                      "about:blank"], pass_fds=(to_chrome_r, from_chrome_w),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next = 0
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.page("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)

    # -- the protocol ------------------------------------------------------------------------------------
    def send(self, method: str, session: str | None = None, timeout: float = 60.0, **params: Any) -> dict:
        self._next += 1
        message = {"id": self._next, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next:  # events and other replies are skipped
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(self._from_chrome, 1 << 20)
            if not chunk:
                raise EOFError("Chromium closed its pipe")
            self._buffer += chunk
        text, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(text)

    def page(self, method: str, **params: Any) -> dict:
        return self.send(method, session=self.session, **params)

    # -- what a test does ------------------------------------------------------------------------------
    def open(self, url: str, timeout: float = 30.0) -> None:
        self.page("Page.navigate", url=url)
        self.wait("document.readyState === 'complete' && !!document.getElementById('check')", timeout)

    def js(self, expression: str) -> Any:
        result = self.page("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait(self, expression: str, timeout: float = 60.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.js(expression)
            if value:
                return value
            time.sleep(0.05)
        raise TimeoutError(f"waited {timeout:g} s for {expression}")

    def set_files(self, selector: str, *paths: str) -> None:
        """Pick files for a file input, as a user does in the file dialog (input and change events fire)."""
        root = self.page("DOM.getDocument")["root"]["nodeId"]
        node = self.page("DOM.querySelector", nodeId=root, selector=selector)["nodeId"]
        self.page("DOM.setFileInputFiles", nodeId=node, files=list(paths))

    def screenshot(self) -> bytes:
        return base64.b64decode(self.page("Page.captureScreenshot", format="png")["data"])

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except (RuntimeError, TimeoutError, EOFError, OSError):
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_chrome)
        os.close(self._from_chrome)
