"""pafas: interpretable multimodal face anti-spoofing (PA-FAS) on vision-language models."""

__version__ = "0.1.0"
