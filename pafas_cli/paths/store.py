"""The on-disk layout of a `paths` version, and the loaders every later stage uses.

    images/          each sample's modalities, resized once (+ blank.png for missing ones)
    rl/              one row per training sample: id, label, attack, domain, modalities, images, solution
    eval/<name>/     the same columns plus split: dev, test, and with Protocol 2 dev_missing_{depth,ir,both} and
                     test_missing_{depth,ir,both}
    sft/             compact rows: sample (row of rl/), path, think (clause ids), answer_sample, think_sample,
                     blanked (modalities paths.modality_dropout removed from the row; absent before 0.2)
    clauses.json     the distinct reasoning clauses the think ids point into
    corpus.txt       every distinct text unit: prompt texts, clauses, answers (one per line)

Rows name images by path relative to the version, and SFT rows name their clauses by id, so N
reasoning paths per sample add a few bytes per path rather than copies of images or text. The
loaders rebuild the columns TRL expects (`messages` / `prompt`, and `images` decoded lazily to PIL RGB
from absolute paths) in memory, so the version folder is never written to after it is complete.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from pafas_cli.data.config import P2_DEV_SETS, P2_TEST_SETS
from pafas_cli.data.sample import MODALITIES
from pafas_cli.errors import PafasError
from pafas_cli.paths.answer import format_answer
from pafas_cli.paths.images import BLANK
from pafas_cli.paths.prompt import build_user_turn, user_text

if TYPE_CHECKING:
    import datasets

CLAUSES = "clauses.json"
CORPUS = "corpus.txt"
EVAL_ORDER = ("dev", *P2_DEV_SETS.values(), "test", *P2_TEST_SETS.values())
# The sets thresholds are taken from (source domains): never reported as test results.
DEV_SETS = ("dev", *P2_DEV_SETS.values())


def _features(kind: str):
    """Column types on disk ('rl', 'eval', 'sft') and after loading ('sft_out', 'rl_out', 'eval_out'; 'corpus_out'
    for the pretraining corpus)."""
    from datasets import Features, Image, List, Value

    sample = {"id": Value("string"), "label": Value("int8"), "attack": List(Value("string")),
              "domain": Value("string"), "modalities": List(Value("string"))}
    content = List({"type": Value("string"), "text": Value("string")})
    turn = {"role": Value("string"), "content": content}
    images = List(Image(mode="RGB"))
    table = {
        "rl": {**sample, "images": List(Value("string")), "solution": Value("string")},
        "eval": {**sample, "images": List(Value("string")), "solution": Value("string"), "split": Value("string")},
        "sft": {"sample": Value("int32"), "path": Value("int32"), "think": List(Value("int32")),
                "answer_sample": Value("int32"), "think_sample": Value("int32"), "blanked": List(Value("string"))},
        "rl_out": {"prompt": List(turn), **sample, "images": images, "solution": Value("string")},
        "eval_out": {"prompt": List(turn), **sample, "images": images, "solution": Value("string"),
                     "split": Value("string")},
        "sft_out": {"prompt": List(turn), "completion": List(turn), "images": images, "id": Value("string"),
                    "sample_id": Value("string"),
                    **{k: v for k, v in sample.items() if k != "id"}},
        "corpus_out": {"prompt": List(turn), "completion": List(turn), "images": images, "id": Value("string"),
                       "kind": Value("string")},
    }[kind]
    return Features(table)


# -- writing ------------------------------------------------------------------------------------
def write_table(root: Path, name: str, kind: str, columns: dict[str, list]) -> int:
    """Save one table with `datasets`; returns its row count."""
    from datasets import Dataset

    ds = Dataset.from_dict(columns, features=_features(kind))
    ds.save_to_disk(str(root / name))
    return len(ds)


def write_texts(root: Path, clauses: list[str], corpus: list[str]) -> None:
    (root / CLAUSES).write_text(json.dumps(clauses, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    (root / CORPUS).write_text("".join(line + "\n" for line in corpus), encoding="utf-8")


# -- reading ------------------------------------------------------------------------------------
def _disk(root: Path, name: str) -> "datasets.Dataset":
    from datasets import load_from_disk

    folder = Path(root) / name
    if not (folder / "state.json").is_file():
        raise PafasError(f"{folder}: not a table of a paths version (run `pafas build-paths`)")
    return load_from_disk(str(folder))


def _absolute(root: Path, images: list[list[str]]) -> list[list[str]]:
    base = str(Path(root).resolve())
    return [[f"{base}/{p}" for p in row] for row in images]


def typed_dataset(cols: dict[str, list], kind: str) -> "datasets.Dataset":
    """An in-memory Dataset with the column types of `kind` ('sft_out', 'rl_out', 'eval_out', or 'corpus_out':
    the pretraining corpus's rows); arrow infers, then one cast (fast for 40k rows)."""
    from datasets import Dataset

    features = _features(kind)
    return Dataset.from_dict({k: cols[k] for k in features}).cast(features)


def _with_prompts(root: Path, name: str, kind: str) -> "datasets.Dataset":
    cols = _disk(root, name).to_dict()
    cols["prompt"] = [[{"role": "user", "content": build_user_turn(m)}] for m in cols["modalities"]]
    cols["images"] = _absolute(root, cols["images"])
    return typed_dataset(cols, kind)


def load_rl(root: str | Path) -> "datasets.Dataset":
    """GRPO prompts: `prompt` (the user turn), `images`, `id`, `label`, `attack`, `domain`, `modalities`,
    `solution` (the true answer list text)."""
    return _with_prompts(Path(root), "rl", "rl_out")


def eval_sets(root: str | Path) -> list[str]:
    """Names of the eval sets in a version, in a fixed order (dev, test, missing-modality variants)."""
    folder = Path(root) / "eval"
    names = [p.name for p in folder.iterdir() if (p / "state.json").is_file()] if folder.is_dir() else []
    return sorted(names, key=lambda n: (EVAL_ORDER.index(n) if n in EVAL_ORDER else len(EVAL_ORDER), n))


def sample_columns(root: str | Path, table: str) -> dict[str, list]:
    """The plain columns of table `rl` or `eval/<set>`, images as absolute paths (RGB, depth, IR; the blank
    image for a missing one): for readers that need no prompt, such as the CNN baseline."""
    root = Path(root)
    if table != "rl" and table.removeprefix("eval/") not in eval_sets(root):
        raise PafasError(f"{root}: no table '{table}' (rl, or eval/ one of: {', '.join(eval_sets(root)) or 'none'})")
    cols = _disk(root, table).to_dict()
    cols["images"] = _absolute(root, cols["images"])
    return cols


def load_eval(root: str | Path, name: str) -> "datasets.Dataset":
    """One eval set: the RL columns plus `split`."""
    if name not in eval_sets(root):
        raise PafasError(f"{root}: no eval set '{name}' (available: {', '.join(eval_sets(root)) or 'none'})")
    return _with_prompts(Path(root), f"eval/{name}", "eval_out")


def sft_rows(root: str | Path) -> Iterator[dict]:
    """Each SFT row as plain values: sample columns, `path`, `think` (str or None for `raw`) and `answer` text."""
    root = Path(root)
    samples = _disk(root, "rl").to_dict()
    clauses = json.loads((root / CLAUSES).read_text(encoding="utf-8"))
    attacks = samples["attack"]
    for row in _disk(root, "sft").to_list():
        s = row["sample"]
        think = " ".join(clauses[i] for i in row["think"]) if row["think"] else None
        blanked = set(row.get("blanked") or ())
        images = [BLANK if m in blanked else p for m, p in zip(MODALITIES, samples["images"][s])]
        yield {
            "sample": s, "path": row["path"], "id": f"{samples['id'][s]}#p{row['path']:02d}",
            "sample_id": samples["id"][s], "label": samples["label"][s], "attack": attacks[s],
            "domain": samples["domain"][s], "images": images, "blanked": sorted(blanked),
            "modalities": [m for m in samples["modalities"][s] if m not in blanked],
            "think": think, "answer": format_answer(think, attacks[row["answer_sample"]]),
            "answer_shuffled": row["answer_sample"] != s, "think_shuffled": row["think_sample"] != s,
        }


def sft_answers(root: str | Path) -> Iterator[str]:
    """Each SFT row's assistant text, as `sft_rows` builds it, without the rest of the row (for sizing)."""
    root = Path(root)
    attacks = _disk(root, "rl")["attack"]
    clauses = json.loads((root / CLAUSES).read_text(encoding="utf-8"))
    table = _disk(root, "sft").select_columns(["think", "answer_sample"]).to_dict()
    for think, answer_sample in zip(table["think"], table["answer_sample"]):
        yield format_answer(" ".join(clauses[i] for i in think) if think else None, attacks[answer_sample])


def load_sft(root: str | Path) -> "datasets.Dataset":
    """SFT conversations in TRL's prompt-completion form: `prompt` ([user turn]), `completion` ([assistant
    answer]), `images`, `id`, `sample_id`, `label`, `attack`, `domain`, `modalities`. `label`/`attack` are the
    sample's truth, even where the answer was shuffled.

    Prompt-completion rather than one `messages` list: TRL then masks the prompt itself (completion-only
    loss), which works on every transformers version, whereas its assistant-only loss on image datasets
    needs transformers >= 5.18 (the GPU image ships 5.17)."""
    root = Path(root)
    keys = ("id", "sample_id", "label", "attack", "domain", "modalities")
    cols: dict[str, list] = {k: [] for k in ("prompt", "completion", "images", *keys)}
    turns: dict[tuple[str, ...], dict] = {}
    for row in sft_rows(root):
        mods = tuple(row["modalities"])
        user = turns.get(mods) or turns.setdefault(mods, {"role": "user", "content": build_user_turn(mods)})
        cols["prompt"].append([user])
        cols["completion"].append([{"role": "assistant", "content": [{"type": "text", "text": row["answer"]}]}])
        cols["images"].append(row["images"])
        for k in keys:
            cols[k].append(row[k])
    cols["images"] = _absolute(root, cols["images"])
    return typed_dataset(cols, "sft_out")


def read_corpus(root: str | Path) -> Iterator[str]:
    """Every distinct text a model of this version reads or writes: user-turn texts, SFT assistant texts and
    RL solutions (for training a tokenizer)."""
    root = Path(root)
    seen: set[str] = set()
    tables = ["rl", *(f"eval/{n}" for n in eval_sets(root))]
    texts = (user_text(m) for t in tables for m in _disk(root, t)["modalities"])
    solutions = (s for s in _disk(root, "rl")["solution"])
    answers = (row["answer"] for row in sft_rows(root))
    for stream in (texts, answers, solutions):
        for text in stream:
            if text not in seen:
                seen.add(text)
                yield text
