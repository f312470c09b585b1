"""A reward with a known value for any text, for `pafas rl` tests (named in a recipe as rl_probe_rewards:...)."""

from __future__ import annotations


def vowel_share(completions, **columns) -> list[float]:
    """The share of a completion's characters that are the letters a, e, i, o or u: junk text from a random
    model varies in it, so a group's rewards differ and GRPO has an advantage to learn from."""
    texts = [c if isinstance(c, str) else c[-1]["content"] for c in completions]
    return [sum(ch in "aeiou" for ch in t) / len(t) if t else 0.0 for t in texts]
