"""Offline-by-default environment, set before transformers/trl/huggingface_hub are imported.

huggingface_hub reads these variables at import time, so the CLI entry point calls
`configure_network` first thing. Users opt in to the network with `--allow-network` or
`PAFAS_ALLOW_NETWORK=1` (needed only to download hub models such as Qwen/Qwen2.5-VL-3B-Instruct).
"""

from __future__ import annotations

import os

OFFLINE_VARS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")


def network_allowed() -> bool:
    return os.environ.get("PAFAS_ALLOW_NETWORK", "").lower() in ("1", "true", "yes")


def configure_network(allow: bool | None = None) -> None:
    """Turn the hub off (default) or on; telemetry is always off."""
    if allow:
        os.environ["PAFAS_ALLOW_NETWORK"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # The toolkit draws its own progress bars; datasets' and the hub's bars would interleave with them.
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    if network_allowed():
        for var in OFFLINE_VARS:
            os.environ.pop(var, None)
    else:
        for var in OFFLINE_VARS:
            os.environ[var] = "1"
