"""The reproduction grid as data: rows, variants, reward mixes, defaults (recipes/reproduce/grid.yaml).

A run's `Settings` pick seeds, splits, rows, N values and lengths from the grid; its `Cell`s are the table
entries (one per table, row, split and seed), and each cell needs stage outputs named by keys:

    paths:V         build-paths for SFT variant V (`full-n25`: the PA-FAS variant with N = 25)
    model           init-model from the PA-FAS paths (one per split and seed, shared by every variant)
    sft:V           SFT on paths:V from the model
    rl:V:R          GRPO from sft:V on paths:V with reward mix R
    eval:<model>    eval of sft:V or rl:V:R on the PA-FAS paths' dev/test sets (P2 sets for the PA-FAS model)
    cnn             `pafas baseline` on the PA-FAS paths: trained and scored in one version (P2 sets included)

Nothing here runs a stage or reads a workspace (runner.py does); this module also holds the plan's time
estimate.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pafas_cli.data.config import P2_TEST_SETS
from pafas_cli.errors import PafasError
from pafas_cli.recipe_files import shipped

GRID_FILE = "reproduce/grid.yaml"
MISSING_SETS = tuple(P2_TEST_SETS.values())
STAGE_RECIPES = ("paths", "model", "sft", "rl", "eval", "baseline")
CHOICE_KEYS = ("seeds", "splits", "rows", "n_values")
SIZE_KEYS = ("n_train", "n_dev", "n_test", "sft_steps", "rl_steps")
COST_KEYS = ("synth", "paths", "paths_per_n", "model", "sft", "sft_step", "rl", "rl_step", "eval", "eval_face",
             "baseline")
GRID_KEYS = {"recipes", "splits", "paper_n", "variants", "rewards", "rows", "pafas_row", "defaults", "quick", "costs",
             "valid_since", "stale_note"}


def read_yaml(path: Path) -> dict:
    """A YAML mapping from a data file, or a PafasError naming the file."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise PafasError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise PafasError(f"{path}: not valid UTF-8 YAML ({' '.join(str(exc).split())})") from None
    if not isinstance(data, dict):
        raise PafasError(f"{path}: expected a mapping, got {type(data).__name__}")
    return data


CNN = "cnn"


@dataclass(frozen=True)
class Row:
    """A Protocol-1 row: an SFT data variant and a GRPO reward mix (None = evaluate the SFT model), or the
    CNN baseline (`baseline: true`), which trains on the PA-FAS paths' samples."""

    key: str
    label: str
    variant: str
    rewards: str | None
    baseline: bool = False

    @property
    def model(self) -> str:
        if self.baseline:
            return CNN
        return f"sft:{self.variant}" if self.rewards is None else f"rl:{self.variant}:{self.rewards}"


@dataclass(frozen=True)
class Settings:
    """What one run measures: the grid's choices and lengths, plus `--set` overrides on every stage."""

    seeds: tuple[int, ...]
    splits: tuple[str, ...]
    rows: tuple[str, ...]
    n_values: tuple[int, ...]
    n_train: int
    n_dev: int
    n_test: int
    sft_steps: int
    rl_steps: int
    overrides: tuple[str, ...] = ()
    quick: bool = False

    @property
    def n_split(self) -> str:
        """The split the N sweep runs on: W (the paper's), else the first one asked for."""
        return "W" if "W" in self.splits else self.splits[0]

    def signature(self) -> dict:
        """The lengths and overrides a recorded cell must have been made with to count."""
        return {"n_train": self.n_train, "n_dev": self.n_dev, "n_test": self.n_test, "sft_steps": self.sft_steps,
                "rl_steps": self.rl_steps, "overrides": list(self.overrides)}

    def command(self) -> str:
        """The command line that reruns exactly these settings."""
        parts = ["pafas", "reproduce"] + (["--quick"] if self.quick else [])
        parts += ["--seeds", ",".join(map(str, self.seeds)), "--splits", ",".join(self.splits),
                  "--rows", ",".join(self.rows), "--n-values", ",".join(map(str, self.n_values)),
                  "--n-train", str(self.n_train), "--n-dev", str(self.n_dev), "--n-test", str(self.n_test),
                  "--sft-steps", str(self.sft_steps), "--rl-steps", str(self.rl_steps)]
        for item in self.overrides:
            parts += ["--set", item]
        return shlex.join(parts)


@dataclass(frozen=True)
class Cell:
    """One table entry for one split and seed."""

    table: str  # p1 | p2 | n
    row: str    # a row key, or nN for the N sweep
    split: str
    seed: int

    @property
    def name(self) -> str:
        return f"{self.table}-{self.split}-s{self.seed}-{self.row}"

    @property
    def sets(self) -> tuple[str, ...]:
        return ("test", *MISSING_SETS) if self.table == "p2" else ("test",)


@dataclass(frozen=True)
class Grid:
    recipes: dict[str, str]
    splits: tuple[str, ...]
    paper_n: int
    variants: dict[str, dict]
    rewards: dict[str, dict]
    rows: tuple[Row, ...]
    pafas_row: str
    defaults: dict[str, Any]
    quick: dict[str, Any]
    costs: dict[str, float]
    valid_since: str | None = None
    stale_note: str = ""
    source: str = GRID_FILE

    # -- reading -----------------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path | None = None) -> "Grid":
        """The grid file (default: the shipped recipes/reproduce/grid.yaml), checked."""
        file = Path(path) if path is not None else shipped(GRID_FILE)
        raw = read_yaml(file)

        def bad(message: str) -> PafasError:
            return PafasError(f"{file}: {message}")

        unknown = sorted(set(raw) - GRID_KEYS)
        if unknown:
            raise bad(f"unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(GRID_KEYS))})")
        missing = sorted(GRID_KEYS - {"valid_since", "stale_note"} - set(raw))
        if missing:
            raise bad(f"missing key(s) {', '.join(missing)}")
        if set(raw["recipes"]) != set(STAGE_RECIPES):
            raise bad(f"recipes: needs exactly {', '.join(STAGE_RECIPES)}")
        rows = []
        for item in raw["rows"]:
            if isinstance(item, dict) and item.get("baseline") is True:
                if set(item) != {"key", "label", "baseline"}:
                    raise bad(f"rows: a baseline row has key, label and baseline: true only, got {item!r}")
                rows.append(Row(str(item["key"]), str(item["label"]), "", None, baseline=True))
                continue
            try:
                row = Row(str(item["key"]), str(item["label"]), str(item["variant"]), item.get("rewards"))
            except (KeyError, TypeError):
                raise bad(f"rows: each row needs key, label, variant and rewards, got {item!r}") from None
            if row.variant not in raw["variants"]:
                raise bad(f"rows: {row.key}: unknown variant '{row.variant}' (one of {', '.join(raw['variants'])})")
            if row.rewards is not None and row.rewards not in raw["rewards"]:
                raise bad(f"rows: {row.key}: unknown reward mix '{row.rewards}' (one of {', '.join(raw['rewards'])})")
            rows.append(row)
        keys = [r.key for r in rows]
        if len(set(keys)) != len(keys):
            raise bad("rows: row keys must be unique")
        if raw["pafas_row"] not in keys or any(r.baseline and r.key == raw["pafas_row"] for r in rows):
            raise bad(f"pafas_row: '{raw['pafas_row']}' is not a VLM row")
        if sum(r.baseline for r in rows) > 1:
            raise bad("rows: at most one baseline row (they would be the same model)")
        for name, variant in raw["variants"].items():
            if not {"augmentation", "shuffle"} <= set(variant) <= {"augmentation", "shuffle", "modality_dropout"} \
                    or "-n" in name or ":" in name:
                raise bad(f"variants: {name}: needs augmentation and shuffle, may set modality_dropout (and a name "
                          "without '-n' or ':')")
        for part in ("defaults", "quick"):
            extra = sorted(set(raw[part]) - set(CHOICE_KEYS + SIZE_KEYS))
            if extra:
                raise bad(f"{part}: unknown key(s) {', '.join(extra)}")
        lacking = sorted(set(CHOICE_KEYS + SIZE_KEYS) - set(raw["defaults"]))
        if lacking:
            raise bad(f"defaults: missing {', '.join(lacking)}")
        if set(raw["costs"]) != set(COST_KEYS):
            raise bad(f"costs: needs exactly {', '.join(COST_KEYS)}")
        return cls(recipes=dict(raw["recipes"]), splits=tuple(raw["splits"]), paper_n=int(raw["paper_n"]),
                   variants=dict(raw["variants"]), rewards=dict(raw["rewards"]), rows=tuple(rows),
                   pafas_row=str(raw["pafas_row"]), defaults=dict(raw["defaults"]), quick=dict(raw["quick"]),
                   costs={k: float(v) for k, v in raw["costs"].items()},
                   valid_since=str(raw["valid_since"]) if raw.get("valid_since") else None,
                   stale_note=" ".join(str(raw.get("stale_note") or "").split()), source=str(file))

    # -- rows and settings -------------------------------------------------------------------------------
    def row(self, key: str) -> Row:
        for row in self.rows:
            if row.key == key:
                return row
        raise PafasError(f"unknown row '{key}' (rows: {', '.join(r.key for r in self.rows)})")

    @property
    def p2_rows(self) -> tuple[str, ...]:
        """The rows Protocol 2 evaluates: PA-FAS, the CNN baseline and rows trained with modality dropout."""
        dropped = [r.key for r in self.rows if not r.baseline and self.variants[r.variant].get("modality_dropout")]
        return tuple(dict.fromkeys([self.pafas_row, *(r.key for r in self.rows if r.baseline), *dropped]))

    def evaluates_p2(self, model: str) -> bool:
        """Whether the eval of `model` scores the missing-modality sets too (a P2 row's model)."""
        return model in {self.row(key).model for key in self.p2_rows}

    @property
    def pafas_model(self) -> str:
        """The PA-FAS model key: Protocol 2 evaluates it, and it is the N sweep's N = paper_n."""
        return self.row(self.pafas_row).model

    def settings(self, quick: bool = False, overrides: tuple[str, ...] | list[str] = (), **given: Any) -> Settings:
        """Defaults, then --quick's, then the options given (None = not given); checked against the grid."""
        chosen = {**self.defaults, **(self.quick if quick else {}),
                  **{k: v for k, v in given.items() if v is not None}}
        unknown = sorted(set(given) - set(CHOICE_KEYS + SIZE_KEYS))
        if unknown:
            raise PafasError(f"unknown setting(s) {', '.join(unknown)}")
        rows = chosen["rows"]
        rows = [r.key for r in self.rows] if rows == "all" or list(rows) == ["all"] else list(rows)
        splits = chosen["splits"]
        splits = list(self.splits) if splits == "all" or [str(s).lower() for s in splits] == ["all"] else \
            [str(s).upper() for s in splits]
        bad = [f"split {sp}" for sp in splits if sp not in self.splits]
        bad += [f"row {r}" for r in rows if r not in [row.key for row in self.rows]]
        if bad:
            raise PafasError(f"unknown {', '.join(bad)} (splits: {','.join(self.splits)}, or all; rows: "
                             f"{','.join(r.key for r in self.rows)}, or all)")
        seeds, n_values = [int(x) for x in chosen["seeds"]], [int(x) for x in chosen["n_values"]]
        if not seeds or not splits or not rows:
            raise PafasError("reproduce needs at least one seed, one split and one row")
        if any(n < 1 for n in n_values):
            raise PafasError(f"--n-values: paths per sample must be >= 1, got {n_values}")
        sizes = {k: int(chosen[k]) for k in SIZE_KEYS}
        if any(v < 1 for v in sizes.values()):
            raise PafasError(f"lengths and face counts must be >= 1, got {sizes}")
        return Settings(tuple(seeds), tuple(dict.fromkeys(splits)), tuple(dict.fromkeys(rows)),
                        tuple(dict.fromkeys(n_values)), **sizes, overrides=tuple(overrides), quick=quick)

    def recipe(self, stage: str, overrides: list[str] | tuple[str, ...] = ()):
        """The stage's base recipe (grid `recipes`) with `overrides` applied, validated."""
        from pafas_cli.config import load_recipe

        return load_recipe(shipped(self.recipes[stage]), list(overrides))

    def recipe_digest(self, s: Settings) -> str:
        """A digest of the base recipes' values after the overrides (comments and layout do not count)."""
        parsed = {stage: read_yaml(shipped(self.recipes[stage])) for stage in STAGE_RECIPES}
        text = json.dumps({"recipes": parsed, "overrides": list(s.overrides)}, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def training(self, s: Settings) -> str:
        """One line: how long and how wide SFT and GRPO run."""
        sft, rl = self.recipe("sft", s.overrides).sft, self.recipe("rl", s.overrides).rl
        return (f"SFT {s.sft_steps} steps x {sft.batch_size * sft.grad_accum} rows; GRPO {s.rl_steps} steps x "
                f"{rl.prompts_per_step(1)} prompts x {rl.num_generations} generations")

    # -- cells and what they need ------------------------------------------------------------------------
    def plan(self, s: Settings) -> list[Cell]:
        """Every cell, seed by seed, so an interrupted run has whole tables for its first seeds."""
        cells = []
        for seed in s.seeds:
            for split in s.splits:
                cells += [Cell("p1", row, split, seed) for row in s.rows]
                cells += [Cell("p2", row, split, seed) for row in self.p2_rows if row in s.rows]
                if split == s.n_split:
                    cells += [Cell("n", f"n{n}", split, seed) for n in s.n_values]
        return cells

    def model_of(self, cell: Cell) -> str:
        if cell.table == "n":
            n = int(cell.row[1:])
            if n == self.paper_n:
                return self.pafas_model
            pafas = self.row(self.pafas_row)
            return f"rl:{pafas.variant}-n{n}:{pafas.rewards}" if pafas.rewards else f"sft:{pafas.variant}-n{n}"
        return self.row(cell.row).model

    def result_of(self, cell: Cell) -> str:
        """The stage output whose metrics.json the cell reads: the eval of its model, or the CNN's own version."""
        model = self.model_of(cell)
        return model if model == CNN else f"eval:{model}"

    def variant_of(self, key: str) -> dict:
        """'full-n25' -> the paths keys it sets: augmentation, shuffle, n_paths (25) and modality_dropout."""
        name, _, n = key.partition("-n")
        variant = self.variants[name]
        return {"augmentation": variant["augmentation"], "shuffle": variant["shuffle"],
                "n_paths": int(n) if n else self.paper_n, "modality_dropout": variant.get("modality_dropout", 0.0)}

    @property
    def model_paths(self) -> str:
        """The paths key the shared model and every eval read: the PA-FAS variant (its P2 sets included)."""
        return f"paths:{self.row(self.pafas_row).variant}"

    def requirements(self, key: str) -> list[str]:
        """The stage outputs `key` needs, dependencies first."""
        kind, _, rest = key.partition(":")
        if kind == "paths":
            return []
        if kind in ("model", CNN):
            return [self.model_paths]
        if kind == "sft":
            return ["model", f"paths:{rest}"]
        if kind == "rl":
            variant = rest.split(":")[0]
            return [f"sft:{variant}", f"paths:{variant}"]
        if kind == "eval":
            return [rest, self.model_paths]
        raise ValueError(f"unknown stage output '{key}'")

    def closure(self, keys: list[str] | tuple[str, ...]) -> list[str]:
        """`keys` and everything they need, in an order that builds dependencies first."""
        out: list[str] = []

        def visit(key: str) -> None:
            for dep in self.requirements(key):
                visit(dep)
            if key not in out:
                out.append(key)

        for key in keys:
            visit(key)
        return out

    def cell_settings(self, cell: Cell, s: Settings, recipes_digest: str) -> dict:
        """What a recorded cell must have been made with to count (never the commit); `recipes_digest` is
        `recipe_digest(s)`, so editing a value in a base recipe measures the cells again."""
        model = self.model_of(cell)
        variant = self.model_paths.split(":")[1] if model == CNN else model.split(":")[1]
        reward_mix = model.split(":")[2] if model.startswith("rl:") else None
        return {**s.signature(), "model": model, "variant": self.variant_of(variant),
                "rewards": self.rewards[reward_mix] if reward_mix else None, "sets": list(cell.sets),
                "recipes": recipes_digest}

    # -- the estimate --------------------------------------------------------------------------------------
    def eval_faces(self, model_key: str, s: Settings) -> int:
        """Faces one eval scores: the dev set (threshold) plus the test set(s); PA-FAS adds the P2 sets."""
        return s.n_dev + s.n_test * (1 + len(MISSING_SETS) if self.evaluates_p2(model_key) else 1)

    def cost(self, key: str, s: Settings) -> float:
        """Estimated seconds of stage output `key` on a 2-core machine."""
        c = self.costs
        kind, _, rest = key.partition(":")
        if kind == "paths":
            return c["paths"] + c["paths_per_n"] * self.variant_of(rest)["n_paths"]
        if kind == "model":
            return c["model"]
        if kind == CNN:
            return c["baseline"]
        if kind == "sft":
            return c["sft"] + c["sft_step"] * s.sft_steps
        if kind == "rl":
            return c["rl"] + c["rl_step"] * s.rl_steps
        return c["eval"] + c["eval_face"] * self.eval_faces(rest, s)
