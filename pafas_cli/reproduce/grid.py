"""The reproduction grid as data: rows, variants, reward mixes, GRPO settings, regimes, defaults
(recipes/reproduce/grid.yaml).

A run's `Settings` pick regimes, seeds, splits, rows, N values and lengths from the grid; its `Cell`s are the
table entries (one per regime, table, row, split and seed), and each cell needs stage outputs named by keys:

    paths:V           build-paths for SFT variant V (`full-n25`: the PA-FAS variant with N = 25; `full-held`: its
                      held-back block of training faces, data.train_block 1, for GRPO on faces SFT never saw)
    model             init-model from the PA-FAS paths with model.corpus (one per split and seed, shared by every
                      variant and both regimes: its tokenizer covers the pretraining corpus too)
    pretrain          `pafas pretrain` from the model (once per split and seed)
    R/sft:V           SFT on paths:V in regime R: from `pretrain` (pretrained) or from `model` (scratch)
    R/rl:V:W[:G]      GRPO from R/sft:V with reward mix W and GRPO settings G (default: the grid's `paper`), on
                      paths:V or, for settings on held-back faces, paths:V-held
    R/eval:<model>    eval of sft:V or rl:V:W[:G] on the PA-FAS paths' dev/test sets (P2 sets for the P2 rows)
    R/cnn             `pafas baseline` on the PA-FAS paths: from scratch, or (pretrained) from the trunk the
                      pretrain version trained on the corpus; trained and scored in one version

Nothing here runs a stage or reads a workspace (runner.py does); this module also holds the plan's time
estimate.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from pafas_cli.data.config import P2_TEST_SETS
from pafas_cli.errors import PafasError
from pafas_cli.recipe_files import shipped

GRID_FILE = "reproduce/grid.yaml"
MISSING_SETS = tuple(P2_TEST_SETS.values())
STAGE_RECIPES = ("paths", "model", "pretrain", "sft", "rl", "eval", "baseline")
CHOICE_KEYS = ("regimes", "seeds", "splits", "rows", "n_values")
SIZE_KEYS = ("n_train", "n_dev", "n_test", "corpus_samples", "pretrain_steps", "sft_steps", "rl_steps")
COST_KEYS = ("synth", "corpus", "corpus_scene", "paths", "paths_per_n", "model", "pretrain", "pretrain_step",
             "pretrain_scene", "sft", "sft_step", "rl", "rl_completion", "select_face", "eval", "eval_face", "baseline")
GRID_KEYS = {"recipes", "splits", "paper_n", "variants", "rewards", "grpo", "rows", "pafas_row", "defaults", "quick",
             "costs", "valid_since", "stale_note"}
# The regimes, headline first: the stage output every SFT (and the CNN's trunk) starts from. Both share one
# init-model per split and seed (its tokenizer covers the pretraining corpus), so they differ in pretraining only.
REGIMES = {"pretrained": "pretrain", "scratch": "model"}
# The GRPO settings a row gets unless it names others (grid.yaml `grpo`).
PAPER_GRPO = "paper"
# GRPO settings' keys: the rl recipe (default: recipes.rl), `--set`-style rl overrides on it, and which training
# faces GRPO sees.
GRPO_KEYS = {"recipe", "set", "faces"}
FACES = ("same", "held")
VARIANT_NAME = re.compile(r"[a-z0-9_]+")
VARIANT_SPEC = re.compile(r"(?P<name>[a-z0-9_]+)(?:-n(?P<n>\d+))?(?P<held>-held)?")


def rl_parts(rest: str) -> tuple[str, str]:
    """'full:paper[:held]' (a GRPO key after 'rl:') -> (its SFT variant, its GRPO settings' name)."""
    parts = rest.split(":")
    return parts[0], parts[2] if len(parts) > 2 else PAPER_GRPO


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
    """A Protocol-1 row: an SFT data variant, a GRPO reward mix (None = evaluate the SFT model) and GRPO
    settings, or the CNN baseline (`baseline: true`), which trains on the PA-FAS paths' samples; `splits` limits
    it to some splits (None = every split run)."""

    key: str
    label: str
    variant: str
    rewards: str | None
    baseline: bool = False
    grpo: str = PAPER_GRPO
    splits: tuple[str, ...] | None = None

    @property
    def model(self) -> str:
        """The stage output the row evaluates, without its regime (`rl:full:paper`, `rl:full:paper:held`)."""
        if self.baseline:
            return CNN
        if self.rewards is None:
            return f"sft:{self.variant}"
        return f"rl:{self.variant}:{self.rewards}" + ("" if self.grpo == PAPER_GRPO else f":{self.grpo}")

    def runs_on(self, split: str) -> bool:
        return self.splits is None or split in self.splits


@dataclass(frozen=True)
class Settings:
    """What one run measures: the grid's choices and lengths, plus `--set` overrides on every stage."""

    regimes: tuple[str, ...]
    seeds: tuple[int, ...]
    splits: tuple[str, ...]
    rows: tuple[str, ...]
    n_values: tuple[int, ...]
    n_train: int
    n_dev: int
    n_test: int
    corpus_samples: int
    pretrain_steps: int
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
        return {**{key: getattr(self, key) for key in SIZE_KEYS}, "overrides": list(self.overrides)}

    def command(self) -> str:
        """The command line that reruns exactly these settings."""
        parts = ["pafas", "reproduce"] + (["--quick"] if self.quick else [])
        parts += ["--regimes", ",".join(self.regimes), "--seeds", ",".join(map(str, self.seeds)),
                  "--splits", ",".join(self.splits), "--rows", ",".join(self.rows),
                  "--n-values", ",".join(map(str, self.n_values))]
        parts += [part for key in SIZE_KEYS for part in (f"--{key.replace('_', '-')}", str(getattr(self, key)))]
        for item in self.overrides:
            parts += ["--set", item]
        return shlex.join(parts)


@dataclass(frozen=True)
class Cell:
    """One table entry for one regime, split and seed."""

    table: str  # p1 | p2 | n
    row: str    # a row key, or nN for the N sweep
    split: str
    seed: int
    regime: str

    @property
    def name(self) -> str:
        return f"{self.table}-{self.split}-s{self.seed}-{self.row}@{self.regime}"

    @property
    def names(self) -> tuple[str, ...]:
        """Its name, and for a scratch cell the name the first round recorded it under (before regimes)."""
        first = f"{self.table}-{self.split}-s{self.seed}-{self.row}"
        return (self.name, first) if self.regime == "scratch" else (self.name,)

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
    grpo: dict[str, dict]
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
        grpo = raw["grpo"]
        if not isinstance(grpo, dict) or PAPER_GRPO not in grpo or any(
                not isinstance(g, dict) or set(g) - GRPO_KEYS or g.get("faces", "same") not in FACES
                or not all(isinstance(x, str) and x.startswith("rl.") for x in g.get("set", []))
                or not VARIANT_NAME.fullmatch(str(name)) for name, g in grpo.items()):
            raise bad(f"grpo: named GRPO settings, '{PAPER_GRPO}' among them, each with an optional recipe, set (a "
                      f"list of rl.KEY=VALUE) and faces ({' or '.join(FACES)}), got {grpo!r}")
        rows = []
        for item in raw["rows"]:
            splits = item.get("splits") if isinstance(item, dict) else None
            if splits is not None and (not isinstance(splits, list) or set(map(str, splits)) - set(raw["splits"])):
                raise bad(f"rows: splits: a list of the grid's splits ({', '.join(raw['splits'])}), got {item!r}")
            limit = tuple(map(str, splits)) if splits is not None else None
            if isinstance(item, dict) and item.get("baseline") is True:
                if set(item) - {"splits"} != {"key", "label", "baseline"}:
                    raise bad(f"rows: a baseline row has key, label and baseline: true only, got {item!r}")
                rows.append(Row(str(item["key"]), str(item["label"]), "", None, baseline=True, splits=limit))
                continue
            try:
                row = Row(str(item["key"]), str(item["label"]), str(item["variant"]), item.get("rewards"),
                          grpo=str(item.get("grpo", PAPER_GRPO)), splits=limit)
            except (KeyError, TypeError):
                raise bad(f"rows: each row needs key, label, variant and rewards, got {item!r}") from None
            if row.variant not in raw["variants"]:
                raise bad(f"rows: {row.key}: unknown variant '{row.variant}' (one of {', '.join(raw['variants'])})")
            if row.rewards is not None and row.rewards not in raw["rewards"]:
                raise bad(f"rows: {row.key}: unknown reward mix '{row.rewards}' (one of {', '.join(raw['rewards'])})")
            if row.grpo not in grpo or (row.rewards is None and row.grpo != PAPER_GRPO):
                raise bad(f"rows: {row.key}: GRPO settings '{row.grpo}' need a reward mix and one of "
                          f"{', '.join(grpo)}")
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
                    or not VARIANT_NAME.fullmatch(str(name)):
                raise bad(f"variants: {name}: needs augmentation and shuffle, may set modality_dropout (and a name "
                          "of lower-case letters, digits and _)")
        for part in ("defaults", "quick"):
            extra = sorted(set(raw[part]) - set(CHOICE_KEYS + SIZE_KEYS))
            if extra:
                raise bad(f"{part}: unknown key(s) {', '.join(extra)}")
            unknown = sorted(set(raw[part].get("regimes") or ()) - set(REGIMES))
            if unknown:
                raise bad(f"{part}: regimes: unknown {', '.join(unknown)} (known: {', '.join(REGIMES)})")
        lacking = sorted(set(CHOICE_KEYS + SIZE_KEYS) - set(raw["defaults"]))
        if lacking:
            raise bad(f"defaults: missing {', '.join(lacking)}")
        if set(raw["costs"]) != set(COST_KEYS):
            raise bad(f"costs: needs exactly {', '.join(COST_KEYS)}")
        return cls(recipes=dict(raw["recipes"]), splits=tuple(raw["splits"]), paper_n=int(raw["paper_n"]),
                   variants=dict(raw["variants"]), rewards=dict(raw["rewards"]), grpo=dict(grpo), rows=tuple(rows),
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
        regimes = [str(r).lower() for r in chosen["regimes"]]
        bad = [f"split {sp}" for sp in splits if sp not in self.splits]
        bad += [f"row {r}" for r in rows if r not in [row.key for row in self.rows]]
        bad += [f"regime {r}" for r in regimes if r not in REGIMES]
        if bad:
            raise PafasError(f"unknown {', '.join(bad)} (splits: {','.join(self.splits)}, or all; rows: "
                             f"{','.join(r.key for r in self.rows)}, or all; regimes: {','.join(REGIMES)})")
        seeds, n_values = [int(x) for x in chosen["seeds"]], [int(x) for x in chosen["n_values"]]
        if not seeds or not splits or not rows or not regimes:
            raise PafasError("reproduce needs at least one regime, one seed, one split and one row")
        if any(n < 1 for n in n_values):
            raise PafasError(f"--n-values: paths per sample must be >= 1, got {n_values}")
        sizes = {k: int(chosen[k]) for k in SIZE_KEYS}
        if any(v < 1 for v in sizes.values()):
            raise PafasError(f"lengths and face counts must be >= 1, got {sizes}")
        return Settings(tuple(dict.fromkeys(regimes)), tuple(seeds), tuple(dict.fromkeys(splits)),
                        tuple(dict.fromkeys(rows)), tuple(dict.fromkeys(n_values)), **sizes,
                        overrides=tuple(overrides), quick=quick)

    def recipe(self, stage: str, overrides: list[str] | tuple[str, ...] = (), grpo: str = PAPER_GRPO):
        """The stage's base recipe (grid `recipes`; for rl, the GRPO settings' own recipe when they name one and
        their `set`) with `overrides` applied, validated."""
        from pafas_cli.config import load_recipe

        own = self.grpo[grpo].get("set", []) if stage == "rl" else []
        return load_recipe(shipped(self.recipe_file(stage, grpo)), [*own, *overrides])

    def recipe_file(self, stage: str, grpo: str = PAPER_GRPO) -> str:
        if stage == "rl" and self.grpo[grpo].get("recipe"):
            return self.grpo[grpo]["recipe"]
        return self.recipes[stage]

    def recipe_digest(self, s: Settings) -> str:
        """A digest of the base recipes' and the GRPO settings' recipes' values after the overrides (comments
        and layout do not count)."""
        files = {*self.recipes.values(), *(g["recipe"] for g in self.grpo.values() if g.get("recipe"))}
        parsed = {name: read_yaml(shipped(name)) for name in sorted(files)}
        text = json.dumps({"recipes": parsed, "overrides": list(s.overrides)}, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def training(self, s: Settings) -> str:
        """One line: how long and how wide pretraining, SFT and GRPO run."""
        recipe = self.recipe("rl", s.overrides)
        sft, rl, pretrain = recipe.sft, recipe.rl, recipe.pretrain
        chosen = (f", the step chosen on the dev set (every {rl.select.every} steps, {rl.select.faces} faces, "
                  f"patience {rl.select.patience})") if rl.select.every else ""
        return (f"pretraining {s.pretrain_steps} steps x {pretrain.batch_size * pretrain.grad_accum} scenes "
                f"({s.corpus_samples:,}-scene corpus); SFT {s.sft_steps} steps x {sft.batch_size * sft.grad_accum} "
                f"rows; GRPO up to {s.rl_steps} steps x {rl.prompts_per_step(1)} prompts x {rl.num_generations} "
                f"generations{chosen}")

    # -- cells and what they need ------------------------------------------------------------------------
    def plan(self, s: Settings) -> list[Cell]:
        """Every cell, seed by seed (the headline regime first), so an interrupted run has whole tables for its
        first seeds."""
        cells = []
        for seed in s.seeds:
            for regime in s.regimes:
                for split in s.splits:
                    runs = [r for r in s.rows if self.row(r).runs_on(split)]
                    cells += [Cell("p1", row, split, seed, regime) for row in runs]
                    cells += [Cell("p2", row, split, seed, regime) for row in self.p2_rows if row in runs]
                    if split == s.n_split:
                        cells += [Cell("n", f"n{n}", split, seed, regime) for n in s.n_values]
        return cells

    def model_of(self, cell: Cell) -> str:
        """The stage output a cell evaluates, without its regime."""
        if cell.table == "n":
            n = int(cell.row[1:])
            if n == self.paper_n:
                return self.pafas_model
            pafas = self.row(self.pafas_row)
            return replace(pafas, variant=f"{pafas.variant}-n{n}").model
        return self.row(cell.row).model

    def result_of(self, cell: Cell) -> str:
        """The stage output whose metrics.json the cell reads: the eval of its model, or the CNN's own version."""
        model = self.model_of(cell)
        return f"{cell.regime}/{model if model == CNN else f'eval:{model}'}"

    def variant_of(self, key: str) -> dict:
        """'full-n25' -> the paths keys it sets: augmentation, shuffle, n_paths (25) and modality_dropout."""
        spec = VARIANT_SPEC.fullmatch(key)
        if spec is None or spec["name"] not in self.variants:
            raise ValueError(f"unknown variant '{key}'")
        variant = self.variants[spec["name"]]
        return {"augmentation": variant["augmentation"], "shuffle": variant["shuffle"],
                "n_paths": int(spec["n"]) if spec["n"] else self.paper_n,
                "modality_dropout": variant.get("modality_dropout", 0.0)}

    @staticmethod
    def held_back(key: str) -> bool:
        """Whether paths variant `key` holds the held-back block of training faces (`full-held`)."""
        return key.endswith("-held")

    @property
    def model_paths(self) -> str:
        """The paths key the shared model and every eval read: the PA-FAS variant (its P2 sets included)."""
        return f"paths:{self.row(self.pafas_row).variant}"

    def requirements(self, key: str) -> list[str]:
        """The stage outputs `key` needs, dependencies first."""
        regime, _, plain = key.rpartition("/")
        kind, _, rest = plain.partition(":")
        if not regime and kind == "paths":
            return []
        if not regime and kind == "model":
            return [self.model_paths]
        if not regime and kind == "pretrain":
            return ["model"]
        if regime not in REGIMES:
            raise ValueError(f"unknown stage output '{key}'")
        if kind == CNN:
            return [self.model_paths] + (["pretrain"] if REGIMES[regime] == "pretrain" else [])
        if kind == "sft":
            return [REGIMES[regime], f"paths:{rest}"]
        if kind == "rl":
            variant, grpo = rl_parts(rest)
            held = self.grpo[grpo].get("faces") == "held"
            return [f"{regime}/sft:{variant}", f"paths:{variant}" + ("-held" if held else "")]
        if kind == "eval":
            return [f"{regime}/{rest}", self.model_paths]
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
        `recipe_digest(s)`, so editing a value in a recipe measures the cells again. The regime is in the
        cell's name; a scratch cell does not depend on the pretraining length."""
        model = self.model_of(cell)
        kind, _, rest = model.partition(":")
        variant = self.model_paths.split(":")[1] if model == CNN else rest.split(":")[0]
        signature = s.signature()
        if REGIMES[cell.regime] != "pretrain":
            del signature["pretrain_steps"]
        return {**signature, "model": model, "variant": self.variant_of(variant),
                "rewards": self.rewards[rest.split(":")[1]] if kind == "rl" else None,
                "grpo": {"name": rl_parts(rest)[1], **self.grpo[rl_parts(rest)[1]]} if kind == "rl" else None,
                "sets": list(cell.sets),
                "recipes": recipes_digest}

    # -- the estimate --------------------------------------------------------------------------------------
    def eval_faces(self, model_key: str, s: Settings) -> int:
        """Faces one eval scores: the dev set (threshold) plus the test set(s); PA-FAS adds the P2 sets."""
        return s.n_dev + s.n_test * (1 + len(MISSING_SETS) if self.evaluates_p2(model_key) else 1)

    def cost(self, key: str, s: Settings) -> float:
        """Estimated seconds of stage output `key` on a 2-core machine (GRPO: run to its cap, dev scoring
        included; the step selection usually stops it earlier)."""
        c = self.costs
        kind, _, rest = key.rpartition("/")[2].partition(":")
        if kind == "paths":
            return c["paths"] + c["paths_per_n"] * self.variant_of(rest.removesuffix("-held"))["n_paths"]
        if kind == "model":
            return c["model"]
        if kind == "pretrain":  # + the CNN's attribute pretraining, over every corpus scene
            return c["pretrain"] + c["pretrain_step"] * s.pretrain_steps + c["pretrain_scene"] * s.corpus_samples
        if kind == CNN:
            return c["baseline"]
        if kind == "sft":
            return c["sft"] + c["sft_step"] * s.sft_steps
        if kind == "rl":
            rl = self.recipe("rl", grpo=rl_parts(rest)[1]).rl
            scored = (s.rl_steps // rl.select.every + 1) * rl.select.faces if rl.select.every else 0
            return (c["rl"] + c["rl_completion"] * rl.batch_size * rl.grad_accum * s.rl_steps
                    + c["select_face"] * scored)
        return c["eval"] + c["eval_face"] * self.eval_faces(rest, s)

    def corpus_cost(self, s: Settings) -> float:
        """Estimated seconds of drawing the pretraining corpus (once, shared by every workspace)."""
        return self.costs["corpus"] + self.costs["corpus_scene"] * s.corpus_samples
