"""Models: a locally trained tokenizer, a tiny (or 3B-shaped) Qwen2.5-VL from a config, the portable
processor, and the one loader every stage uses (`loader.load_model`)."""
