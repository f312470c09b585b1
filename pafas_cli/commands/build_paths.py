"""`pafas build-paths`: samples of a protocol -> one `paths` version (SFT, RL and eval sets).

Runs on one CPU process in seconds (800 samples x 50 paths); there is nothing to distribute.
"""

from __future__ import annotations

import time

from rich.markup import escape
from rich.panel import Panel
from rich.text import Text

from pafas_cli.console import console, fmt, kv_table, rows_table
from pafas_cli.paths.build import Built, build_version
from pafas_cli.paths.plan import PathsPlan
from pafas_cli.paths.prompt import MISSING_POLICY


def run(plan: PathsPlan, show: int = 0) -> None:
    """Build the datasets of one `paths` version, print its summary and `show` rendered examples."""
    import datasets

    from pafas_cli.data.images import load_modality
    from pafas_cli.data.protocols import build_splits

    datasets.disable_progress_bars()
    recipe = plan.recipe
    cfg = recipe.paths
    splits = build_splits(recipe.data, recipe.seed, plan.workspace)
    started = time.perf_counter()
    with plan.start(inputs=splits.inputs) as version:
        built = build_version(cfg, plan.tree, splits.train, splits.dev, splits.test, version.path, recipe.seed,
                              load_modality, splits.missing_variants)
        seconds = round(time.perf_counter() - started, 2)
        stats = built.stats
        version.update(
            source=recipe.data.source, data=splits.summary(), variant={
                "augmentation": cfg.augmentation, "n_paths": cfg.n_paths, "alpha": cfg.alpha,
                "max_steps": built.sampler.max_steps, "explore_rate": cfg.explore_rate,
                "live_descend_rate": cfg.live_descend_rate, "shuffle": cfg.shuffle, "shuffle_rate": cfg.shuffle_rate,
                "modality_dropout": cfg.modality_dropout},
            missing_modality_policy=MISSING_POLICY, image_size=cfg.image_size,
            taxonomy=built.sampler.taxonomy.source, tree=built.sampler.tree.source,
        )
        tokens = _mean_tokens(cfg.tokenizer, built) if cfg.tokenizer else None
        version.set_metrics({**{f"rows_{k.replace('/', '_')}": v for k, v in stats.rows.items()},
                             "unique_paths": stats.unique_paths, "duplicate_draws": stats.duplicate_draws,
                             "think_chars_mean": round(stats.think_chars_mean, 1),
                             "think_words_mean": round(stats.think_words_mean, 1),
                             "think_words_live": round(stats.think_words_live, 1),
                             "think_words_spoof": round(stats.think_words_spoof, 1),
                             "length_shortcut_auc": stats.length_shortcut_auc,
                             "distinct_step_sequences_live": stats.distinct_step_sequences_live,
                             "distinct_step_sequences_spoof": stats.distinct_step_sequences_spoof,
                             "exploration_by_level": stats.exploration_by_level,
                             "answers_shuffled": stats.answers_shuffled, "rows_blanked": stats.rows_blanked,
                             "answer_own_label": round(stats.answer_own_label, 4),
                             "answer_own_branch": round(stats.answer_own_branch, 4),
                             "think_tokens_mean": tokens, "build_seconds": seconds})
    _summary(splits, built, tokens, seconds, version.ref)
    if show:
        _show(version.path, show)


def _summary(splits, built: Built, tokens: float | None, seconds: float, ref: str) -> None:
    samples = [("train", splits.train), ("dev", splits.dev), ("test", splits.test)]
    per_domain = []
    for split, items in samples:
        for domain in sorted({s.domain for s in items}):
            mine = [s for s in items if s.domain == domain]
            per_domain.append((split, domain, sum(s.label == 1 for s in mine), sum(s.label == 0 for s in mine),
                               len(mine)))
    console.print(rows_table("Samples", ("split", "domain", "live", "spoof", "total"), per_domain))
    _missing(splits)
    attacks: dict[str, int] = {}
    for s in splits.train:
        attacks[s.attack[-1]] = attacks.get(s.attack[-1], 0) + 1
    console.print(rows_table("Training samples by deepest known class", ("class", "samples"),
                             sorted(attacks.items(), key=lambda kv: -kv[1])))
    stats = built.stats
    peak = max(stats.steps_histogram.values(), default=1)
    console.print(rows_table(
        f"Path length (steps; cap {built.sampler.max_steps})", ("steps", "paths", ""),
        [(k, v, "#" * max(1, round(30 * v / peak))) for k, v in stats.steps_histogram.items()]))
    if stats.exploration_by_level:
        levels = sorted({lv for per in stats.exploration_by_level.values() for lv in per})
        console.print(rows_table(
            "Wrong classes raised and ruled out, share of paths per taxonomy level", ("paths", *map(str, levels)),
            [(kind, *(fmt(per.get(lv)) for lv in levels)) for kind, per in stats.exploration_by_level.items()]))
    sft_rows = stats.rows.get("sft", 0)
    console.print(kv_table(f"paths version {ref}", {
        **{f"rows {k}": v for k, v in stats.rows.items()},
        "unique paths": stats.unique_paths,
        "duplicate draws dropped": stats.duplicate_draws,
        "samples short of n_paths": stats.samples_short,
        "explorations per path": round(stats.explorations_mean, 2),
        "distinct step sequences / sample (live, spoof)":
            f"{fmt(stats.distinct_step_sequences_live)}, {fmt(stats.distinct_step_sequences_spoof)}",
        "answers shuffled (rows)": f"{stats.answers_shuffled} of {sft_rows}",
        "answers = own label path": f"{stats.answer_own_label:.1%}",
        "answers = own live/spoof branch": f"{stats.answer_own_branch:.1%}",
        "reasonings shuffled (rows)": stats.thinks_shuffled,
        "rows with depth/IR blanked (modality_dropout)": stats.rows_blanked,
        "reasoning length (chars)": round(stats.think_chars_mean, 1),
        "reasoning length (words)": round(stats.think_words_mean, 1),
        "reasoning words (live, spoof)": f"{stats.think_words_live:.1f}, {stats.think_words_spoof:.1f}",
        "length-only live/spoof AUC": fmt(stats.length_shortcut_auc),
        "reasoning length (tokens)": tokens,
        "images written": stats.images_written,
        "missing images skipped (lines)": len(splits.skipped),
        "seconds": seconds,
    }))


def _missing(splits) -> None:
    """Missing or unreadable images that `data.on_missing: skip` left out: count and first lines per split."""
    by_split = splits.skipped_by_split or ({"all": list(splits.skipped)} if splits.skipped else {})
    by_split = {split: lines for split, lines in by_split.items() if lines}
    if not by_split:
        return
    from pafas_cli.data.protocols import SHOWN_MISSING

    read = splits.read_by_split
    counts = ", ".join(f"{split} {len(lines)}" + (f" of {read[split]} ({len(lines) / read[split]:.1%})"
                                                  if read.get(split) else "")
                       for split, lines in by_split.items())
    console.print(f"[yellow]missing or unreadable images, lines skipped[/] (data.on_missing: skip): {counts}",
                  highlight=False)
    for split, lines in by_split.items():
        for line in lines[:SHOWN_MISSING]:
            console.print(f"  {split}: {escape(line)}", highlight=False, soft_wrap=True)
        if len(lines) > SHOWN_MISSING:
            console.print(f"  {split}: ... and {len(lines) - SHOWN_MISSING} more", highlight=False)


def _mean_tokens(folder: str, built: Built) -> float:
    """Mean reasoning length in tokens of the given tokenizer, over up to 2,000 evenly spaced paths."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    walked = [p for _, p in built.paths if p is not None]
    picked = walked[:: max(1, len(walked) // 2000)]
    if not picked:
        return 0.0
    return round(sum(len(tokenizer(built.sampler.text(p))["input_ids"]) for p in picked) / len(picked), 1)


def _show(root, k: int) -> None:
    """Print `k` rendered SFT rows, one per sample, spread over the training set."""
    from pafas_cli.paths.store import sft_rows

    rows = [r for r in sft_rows(root) if r["path"] == 0]
    for row in rows[:: max(1, len(rows) // k)][:k]:
        note = " (answer shuffled)" if row["answer_shuffled"] else ""
        note += " (reasoning shuffled)" if row["think_shuffled"] else ""
        title = f"{row['id']}  label={row['label']}  {row['domain']}  modalities={','.join(row['modalities'])}{note}"
        body = Text(f"true: {row['attack']}\n", style="dim")
        body.append(row["answer"])
        console.print(Panel(body, title=Text(title), title_align="left"), soft_wrap=False)
