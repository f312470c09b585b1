"""The offline synthetic four-domain RGB/depth/IR benchmark (see docs/data.md).

`generate(out, per_domain, seed)` writes it in the MMDG list layout; the `list` source reads it back.
"""

from pafas_cli.data.synth.generate import GENERATOR_VERSION, generate, read_info

__all__ = ["GENERATOR_VERSION", "generate", "read_info"]
