"""Small-scale reproduction of the PA-FAS paper's claims on the synthetic benchmark (`make reproduce`).

Every stage runs in this one process through the command entry functions
(`pafas_cli.commands.<stage>.run(recipe, ws, ...)`), with the quickstart recipes plus overrides:

  a) Protocol 1 ladder, per split and seed: raw-label SFT; raw SFT+GRPO; single-path SFT+GRPO; path
     augmentation without shuffling, with path shuffling, with answer shuffling (PA-FAS) (+GRPO each); the
     PA-FAS SFT model before GRPO; PA-FAS + consistency reward (GRPO from the same PA-FAS SFT model);
  b) paths per sample N in {1, 5, 10, 25, 50, 100} for PA-FAS on split W;
  c) Protocol 2: the PA-FAS models of (a) with depth, IR or both missing at test time.

All variants of one (split, seed) share one workspace, one tokenizer + tiny-model initialisation (built from
the PA-FAS corpus) and the same dev/test faces, so they differ only in what the paper varies. Each finished
cell writes `<out>/<cell>.json` and is skipped when rerun with the same settings; each stage output is a
workspace version listed in `<workspace>/<split>-s<seed>/reproduce.json`, so a stopped run continues where
it stopped (SFT/GRPO resume from their checkpoints). The report is rewritten after every cell.

    python bench/reproduce.py                # the default harness; prints its plan and time estimate first
    python bench/reproduce.py --quick        # one row per table in minutes (report under bench/out/)
    python bench/reproduce.py --plan         # the plan and estimate only
    python bench/reproduce.py --report-only  # rewrite the report from the finished cells
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import shlex
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pafas_cli.env import configure_network

configure_network(False)

from pafas_cli.config import load_recipe  # noqa: E402  (after the offline environment is set)
from pafas_cli.console import console, rows_table  # noqa: E402
from pafas_cli.data.config import P2_TEST_SETS  # noqa: E402
from pafas_cli.errors import PafasError  # noqa: E402
from pafas_cli.workspace import Workspace, write_json  # noqa: E402

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
# The raw baseline's rewards below are named `reproduce:<function>`; the trainer imports them by that name,
# which resolves because a script's own folder is the first entry of sys.path.

ALL_SPLITS = ("W", "S", "P", "C")
PAPER_N = 50
MISSING_SETS = tuple(P2_TEST_SETS.values())
SET_LABELS = {"test": "all modalities", "test_missing_depth": "missing depth", "test_missing_ir": "missing IR",
              "test_missing_both": "missing depth & IR"}

# SFT data variants: (paths.augmentation, paths.shuffle).
VARIANTS = {"raw": ("raw", "none"), "single": ("single", "none"), "path": ("path", "none"),
            "pathshuf": ("path", "path"), "full": ("path", "answer")}
# GRPO reward mixes. The raw model answers without <think> (as it was taught): its rows train and evaluate
# with `require_think: false`, so the same format and classification rewards accept a bare <answer>.
REWARD_SETS = {
    "paper": {"format": 1.0, "classification": 1.0},
    "consistency": {"format": 1.0, "classification": 1.0, "consistency": 1.0},
    "answer_only": {"format": 1.0, "classification": 1.0},
}


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    # SFT data variant (VARIANTS) and GRPO reward mix (REWARD_SETS; None = evaluate the SFT model).
    variant: str
    rewards: str | None

    @property
    def model(self) -> str:
        return f"sft:{self.variant}" if self.rewards is None else f"rl:{self.variant}:{self.rewards}"


ROWS = (
    Row("raw_sft", "Raw labels, SFT", "raw", None),
    Row("raw_rl", "Raw labels, SFT+GRPO", "raw", "answer_only"),
    Row("single_rl", "Single path, SFT+GRPO", "single", "paper"),
    Row("path_rl", "Path augmentation, no shuffling, SFT+GRPO", "path", "paper"),
    Row("pathshuf_rl", "Path augmentation + path shuffling, SFT+GRPO", "pathshuf", "paper"),
    Row("full_sft", "PA-FAS SFT only (answer shuffling, before GRPO)", "full", None),
    Row("full_rl", "PA-FAS: path augmentation + answer shuffling, SFT+GRPO", "full", "paper"),
    Row("cons_rl", "PA-FAS + consistency reward, SFT+GRPO", "full", "consistency"),
)
ROW = {r.key: r for r in ROWS}
FULL_MODEL = ROW["full_rl"].model

# The paper's numbers (HTER %, AUC %), /work/shared/reference/paper.md: Table 1 per split (Qwen2.5-VL-3B
# baselines trained on ~35k raw samples, PA-FAS on ~800 x 50 paths), and the Protocol-1 averages of
# Tables 1, 4 and 5 ("avg": HTER as stated in the text, AUC the mean of Table 1's four splits).
PAPER_P1 = {
    "raw_sft": {"W": (5.12, 97.65), "S": (44.84, 52.71), "P": (15.15, 90.73), "C": (27.91, 76.20),
                "avg": (23.25, 79.32)},
    "raw_rl": {"W": (7.75, 97.36), "S": (57.06, 44.79), "P": (45.26, 56.29), "C": (27.41, 76.29),
               "avg": (34.37, 68.68)},
    "path_rl": {"avg": (24.45, 83.17)},      # Table 4 "Reasoning Path Augmentation Data" = Table 5 "w/o Shuffle"
    "pathshuf_rl": {"avg": (24.12, 84.23)},  # Table 5 "w/ Shuffle Path"
    "full_rl": {"W": (2.39, 99.73), "S": (27.75, 78.07), "P": (9.48, 94.50), "C": (21.23, 84.25),
                "avg": (15.21, 89.14)},
}
PAPER_P1_SOURCE = {"raw_sft": "Table 1", "raw_rl": "Table 1", "path_rl": "Tables 4, 5", "pathshuf_rl": "Table 5",
                   "full_rl": "Table 1"}
# Table 2: PA-FAS under Protocol 2, each condition averaged over the four splits.
PAPER_P2 = {"test": (15.21, 89.14), "test_missing_depth": (15.68, 89.07), "test_missing_ir": (17.32, 88.23),
            "test_missing_both": (14.67, 89.73)}
PAPER_FIG5 = "AUC best at N ≈ 50, declining slowly above it (Fig. 5; values not printed)"

# Seconds per unit on this 2-core machine when idle (synth/paths/model/sft/eval from the demo's manifests and
# docs/bench.md; GRPO from the demo's TRL step_time): only used for the plan's estimate.
COSTS = {"synth": 36.0, "paths": 6.0, "paths_per_n": 0.05, "model": 20.0, "sft": 4.0, "sft_step": 0.38,
         "rl": 6.0, "rl_step": 3.3, "eval": 4.0, "eval_face": 0.067}

DEFAULTS = dict(seeds=(0, 1, 2), splits=("W", "C"), rows=tuple(r.key for r in ROWS), n_values=(1, 5, 10, 25, 50, 100),
                n_train=800, n_dev=100, n_test=150, sft_steps=100, rl_steps=12)
QUICK = dict(seeds=(0,), splits=("W",), rows=("full_rl",), n_values=(PAPER_N,), n_dev=60, n_test=60,
             sft_steps=60, rl_steps=4)


# -- settings and cells --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Settings:
    seeds: tuple[int, ...]
    splits: tuple[str, ...]
    rows: tuple[str, ...]
    n_values: tuple[int, ...]
    n_train: int
    n_dev: int
    n_test: int
    sft_steps: int
    rl_steps: int
    # Extra `--set key=value` overrides applied to every stage's recipe (after the harness's own).
    overrides: tuple[str, ...] = ()
    quick: bool = False

    @property
    def n_split(self) -> str:
        """The split the N sweep runs on: W (the paper's), else the first one asked for."""
        return "W" if "W" in self.splits else self.splits[0]

    def signature(self) -> dict:
        """What a stored cell or stage output must have been made with to be reused."""
        return {"n_train": self.n_train, "n_dev": self.n_dev, "n_test": self.n_test, "sft_steps": self.sft_steps,
                "rl_steps": self.rl_steps, "overrides": list(self.overrides)}

    def recipes(self) -> dict[str, Any]:
        """The stage recipes as every workspace runs them (quickstart + the user's overrides)."""
        return {name: load_recipe(f"quickstart/{name}.yaml", list(self.overrides))
                for name in ("paths", "sft", "grpo", "eval")}

    def training(self) -> str:
        """One line: how long and how wide SFT and GRPO run."""
        r = self.recipes()
        sft, rl = r["sft"].sft, r["grpo"].rl
        return (f"SFT {self.sft_steps} steps x {sft.batch_size * sft.grad_accum} rows; GRPO {self.rl_steps} steps x "
                f"{rl.prompts_per_step(1)} prompts x {rl.num_generations} generations")

    def command(self) -> str:
        """The command line that reruns exactly these settings."""
        parts = ["python", "bench/reproduce.py"] + (["--quick"] if self.quick else [])
        parts += ["--seeds", ",".join(map(str, self.seeds)), "--splits", ",".join(self.splits),
                  "--rows", ",".join(self.rows), "--n-values", ",".join(map(str, self.n_values)),
                  "--n-train", str(self.n_train), "--n-dev", str(self.n_dev), "--n-test", str(self.n_test),
                  "--sft-steps", str(self.sft_steps), "--rl-steps", str(self.rl_steps)]
        for item in self.overrides:
            parts += ["--set", item]
        return shlex.join(parts)


@dataclass(frozen=True)
class Cell:
    """One table entry for one split and seed: which model, evaluated on which sets."""

    table: str  # p1 | p2 | n
    row: str    # a ROWS key, or nN for the N sweep
    split: str
    seed: int

    @property
    def name(self) -> str:
        return f"{self.table}-{self.split}-s{self.seed}-{self.row}"

    @property
    def model(self) -> str:
        if self.table == "n":
            n = int(self.row[1:])
            return FULL_MODEL if n == PAPER_N else f"rl:full-n{n}:paper"
        return ROW[self.row].model

    @property
    def sets(self) -> tuple[str, ...]:
        return ("test", *MISSING_SETS) if self.table == "p2" else ("test",)


def plan_cells(s: Settings) -> list[Cell]:
    """Every cell, seed by seed, so an interrupted run has whole tables for its first seeds."""
    cells = []
    for seed in s.seeds:
        for split in s.splits:
            cells += [Cell("p1", row, split, seed) for row in s.rows]
            if "full_rl" in s.rows:
                cells.append(Cell("p2", "full_rl", split, seed))
            if split == s.n_split:
                cells += [Cell("n", f"n{n}", split, seed) for n in s.n_values]
    return cells


def variant_of(key: str) -> tuple[str, str, int]:
    """'full-n25' -> (augmentation, shuffle, n_paths)."""
    name, _, n = key.partition("-n")
    augmentation, shuffle = VARIANTS[name]
    return augmentation, shuffle, int(n) if n else PAPER_N


def requirements(key: str) -> list[str]:
    """The stage outputs `key` needs, dependencies first (keys: paths:V, model, sft:V, rl:V:R, eval:<model>)."""
    kind, _, rest = key.partition(":")
    if kind == "paths":
        return []
    if kind == "model":
        return ["paths:full"]
    if kind == "sft":
        return ["model", f"paths:{rest}"]
    if kind == "rl":
        return [f"sft:{rest.split(':')[0]}", f"paths:{rest.split(':')[0]}"]
    if kind == "eval":
        return [rest, "paths:full"]
    raise ValueError(f"unknown stage output '{key}'")


def closure(keys: Sequence[str]) -> list[str]:
    """`keys` and everything they need, in an order that builds dependencies first."""
    out: list[str] = []

    def visit(key: str) -> None:
        for dep in requirements(key):
            visit(dep)
        if key not in out:
            out.append(key)

    for key in keys:
        visit(key)
    return out


def eval_faces(model_key: str, s: Settings) -> int:
    """Faces one eval scores: the dev set (threshold) plus the test set(s); PA-FAS adds the P2 sets."""
    return s.n_dev + s.n_test * (1 + len(MISSING_SETS) if model_key == FULL_MODEL else 1)


def cost(key: str, s: Settings) -> float:
    kind, _, rest = key.partition(":")
    if kind == "paths":
        return COSTS["paths"] + COSTS["paths_per_n"] * variant_of(rest)[2]
    if kind == "model":
        return COSTS["model"]
    if kind == "sft":
        return COSTS["sft"] + COSTS["sft_step"] * s.sft_steps
    if kind == "rl":
        return COSTS["rl"] + COSTS["rl_step"] * s.rl_steps
    return COSTS["eval"] + COSTS["eval_face"] * eval_faces(rest, s)


# -- running ------------------------------------------------------------------------------------------------
@contextmanager
def quiet(enabled: bool) -> Iterator[None]:
    """Silence the stages' own tables and bars (the harness prints one line per stage instead)."""
    before = console.quiet
    console.quiet = enabled or before
    try:
        yield
    finally:
        console.quiet = before


class Combo:
    """The workspace of one (split, seed) and the stage outputs already in it."""

    def __init__(self, root: Path, split: str, seed: int, s: Settings, synth_root: Callable[[], str], verbose: bool):
        self.split, self.seed, self.s, self.verbose = split, seed, s, verbose
        self.ws = Workspace(root / f"{split}-s{seed}")
        self.synth_root = synth_root
        self.registry = self.ws.root / "reproduce.json"
        stored = json.loads(self.registry.read_text()) if self.registry.is_file() else {}
        self.outputs: dict[str, dict] = stored.get("outputs", {}) if stored.get("settings") == s.signature() else {}

    def has(self, key: str) -> bool:
        entry = self.outputs.get(key)
        if not entry:
            return False
        try:
            self.ws.resolve(entry["ref"])
        except PafasError:  # a version removed by hand counts as not built
            return False
        return True

    def ref(self, key: str) -> str:
        """The workspace reference of stage output `key`, building it (and what it needs) first."""
        if self.has(key):
            return self.outputs[key]["ref"]
        deps = [self.ref(d) for d in requirements(key)]
        label = f"{self.split} seed {self.seed}: {key}"
        console.print(f"[dim]{time.strftime('%H:%M:%S')}[/] {label} (~{cost(key, self.s):.0f} s) ...")
        started = time.perf_counter()
        with quiet(not self.verbose):
            ref = self._make(key, deps)
        seconds = round(time.perf_counter() - started, 1)
        console.print(f"[dim]{time.strftime('%H:%M:%S')}[/] {label} -> {ref} in {seconds:.0f} s")
        self.outputs[key] = {"ref": ref, "seconds": seconds}
        self.ws.root.mkdir(parents=True, exist_ok=True)
        write_json(self.registry, {"settings": self.s.signature(), "outputs": self.outputs})
        gc.collect()
        return ref

    def _recipe(self, name: str, overrides: list[str]):
        return load_recipe(f"quickstart/{name}.yaml", [f"seed={self.seed}", *overrides, *self.s.overrides])

    def _latest(self, stage: str) -> str:
        info = self.ws.latest(stage)
        if info is None:
            raise PafasError(f"{self.ws.root}: the {stage} stage finished without a complete version")
        return f"{stage}:{info.version}"

    def _make(self, key: str, deps: list[str]) -> str:
        from pafas_cli.commands import build_paths, eval as eval_cmd, init_model, rl, sft

        kind, _, rest = key.partition(":")
        if kind == "paths":
            augmentation, shuffle, n = variant_of(rest)
            build_paths.run(self._recipe("paths", [
                f"data.root={self.synth_root()}", f"data.protocol={'P2' if rest == 'full' else 'P1'}",
                f"data.split={self.split}", f"data.n_train={self.s.n_train}", f"data.n_dev={self.s.n_dev}",
                f"data.n_test={self.s.n_test}", f"paths.augmentation={augmentation}", f"paths.shuffle={shuffle}",
                f"paths.n_paths={n}"]), self.ws)
            return self._latest("paths")
        if kind == "model":
            init_model.run(self._recipe("model", []), self.ws, paths=deps[0])
            return self._latest("model")
        if kind == "sft":
            model, paths = deps
            sft.run(self._recipe("sft", [f"sft.model={model}", f"sft.paths={paths}",
                                         f"sft.max_steps={self.s.sft_steps}"]), self.ws, resume="auto")
            return self._latest("sft")
        if kind == "rl":
            model, paths = deps
            reward_set = rest.split(":")[1]
            rewards = json.dumps(REWARD_SETS[reward_set])
            rl.run(self._recipe("grpo", [f"rl.model={model}", f"rl.paths={paths}", f"rl.max_steps={self.s.rl_steps}",
                                         f"rl.rewards={rewards}",
                                         f"rl.require_think={str(reward_set != 'answer_only').lower()}"]),
                   self.ws, resume="auto")
            return self._latest("rl")
        model, paths = deps
        answer_only = rest.split(":")[1] == "raw"
        eval_cmd.run(self._recipe("eval", ["eval.require_think=false"] if answer_only else []), self.ws,
                     models=[model], paths=paths,
                     protocol="P2" if rest == FULL_MODEL else None)
        return self._latest("eval")

    def metrics(self, eval_ref: str, sets: Sequence[str]) -> dict[str, dict]:
        """Headline numbers per eval set, read from the eval version's metrics.json."""
        resolved = self.ws.resolve(eval_ref)
        data = json.loads((resolved.path / "metrics.json").read_text())
        (model,) = data["models"].values()
        return {name: headline(model["sets"][name]) for name in sets}


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * float(value), 3)


def headline(m: dict) -> dict:
    """The numbers the tables report, as percentages (HTER at the dev and the oracle threshold, AUC, ...)."""
    return {"hter_dev": _pct(m["honest"]["hter"]), "hter_oracle": _pct(m["oracle"]["hter"]),
            "auc": _pct(m["honest"]["auc"]), "eer": _pct(m["honest"]["eer"]), "format_rate": _pct(m["format_rate"]),
            "answer_accuracy": _pct(m["answer_accuracy"]),
            "answer_balanced_accuracy": _pct(m.get("answer_balanced_accuracy")),
            "reasoning_balanced_accuracy": _pct(m.get("reasoning_balanced_accuracy")),
            "consistency": _pct(m.get("consistency")), "n": m["n"]}


class Harness:
    def __init__(self, s: Settings, workspace: Path, out: Path, report: Path, synth: str | None, verbose: bool):
        self.s, self.workspace, self.out, self.report, self.verbose = s, workspace, out, report, verbose
        self._synth = synth
        self.combos: dict[tuple[str, int], Combo] = {}

    def synth_root(self) -> str:
        """The benchmark folder every workspace reads (drawn once into <workspace>/shared on first use)."""
        if self._synth is None:
            from pafas_cli.data.protocols import ensure_synth

            console.print(f"[dim]{time.strftime('%H:%M:%S')}[/] synthetic benchmark (~{COSTS['synth']:.0f} s the "
                          "first time) ...")
            with quiet(not self.verbose):
                resolved = ensure_synth(load_recipe("quickstart/paths.yaml").data, Workspace(self.workspace / "shared"))
            self._synth = str(resolved.path)
        return self._synth

    def combo(self, split: str, seed: int) -> Combo:
        key = (split, seed)
        if key not in self.combos:
            self.combos[key] = Combo(self.workspace, split, seed, self.s, self.synth_root, self.verbose)
        return self.combos[key]

    def cell_file(self, cell: Cell) -> Path:
        return self.out / f"{cell.name}.json"

    def done(self, cell: Cell) -> bool:
        path = self.cell_file(cell)
        return path.is_file() and json.loads(path.read_text()).get("settings") == self.s.signature()

    def plan(self) -> tuple[list[Cell], list[tuple[Combo, str]]]:
        """Cells still to do and the stage outputs they need that are not built yet, in run order."""
        todo = [c for c in plan_cells(self.s) if not self.done(c)]
        jobs: list[tuple[Combo, str]] = []
        seen: set[tuple[str, int, str]] = set()
        for cell in todo:
            combo = self.combo(cell.split, cell.seed)
            for key in closure([f"eval:{cell.model}"]):
                if (cell.split, cell.seed, key) not in seen and not combo.has(key):
                    seen.add((cell.split, cell.seed, key))
                    jobs.append((combo, key))
        return todo, jobs

    def print_plan(self, todo: list[Cell], jobs: list[tuple[Combo, str]]) -> float:
        s = self.s
        need_synth = bool(jobs) and self._synth is None and \
            (Workspace(self.workspace / "shared").latest("synth") is None)
        groups: dict[str, list[float]] = {}
        for _, key in jobs:
            groups.setdefault(key.partition(":")[0], []).append(cost(key, s))
        rows = [(kind, len(groups[kind]), round(sum(groups[kind]) / len(groups[kind]), 1), round(sum(groups[kind])))
                for kind in ("paths", "model", "sft", "rl", "eval") if kind in groups]
        if need_synth:
            rows.insert(0, ("synth", 1, COSTS["synth"], COSTS["synth"]))
        total = sum(r[3] for r in rows)
        console.print(rows_table(
            f"plan: {len(todo)} cells to run ({len(plan_cells(s)) - len(todo)} done already)",
            ("stage", "runs", "est. s each", "est. s total"), rows))
        console.print(
            f"settings: seeds {list(s.seeds)}, splits {list(s.splits)} (N sweep on {s.n_split}), "
            f"n_train {s.n_train}, dev/test faces {s.n_dev}/{s.n_test} per split (stratified), "
            f"{s.training()}, tiny Qwen2.5-VL (recipes/quickstart)")
        console.print(f"estimated time: {total / 60:.0f} min ({total / 3600:.2f} h) on this machine when idle; "
                      f"workspace {self.workspace}, cells {self.out}, report {self.report}")
        return total

    def run(self) -> int:
        todo, jobs = self.plan()
        self.print_plan(todo, jobs)
        self.write_report()
        failed = []
        for i, cell in enumerate(todo, 1):
            console.rule(f"[{i}/{len(todo)}] {cell.name}")
            try:
                self.run_cell(cell)
            except Exception as exc:  # noqa: BLE001 - record it and go on with the other cells
                failed.append(cell.name)
                console.print(f"[red]{cell.name} failed:[/] {type(exc).__name__}: {exc}")
            self.write_report()
        if failed:
            console.print(f"[red]{len(failed)} cell(s) failed:[/] {', '.join(failed)} (rerun to retry them)")
        console.print(f"report: {self.report}")
        return 1 if failed else 0

    def run_cell(self, cell: Cell) -> None:
        combo = self.combo(cell.split, cell.seed)
        eval_ref = combo.ref(f"eval:{cell.model}")
        result = {
            "cell": cell.name, **asdict(cell), "settings": self.s.signature(), "model": combo.ref(cell.model),
            "eval": eval_ref, "paths": combo.ref("paths:full"), "sets": combo.metrics(eval_ref, cell.sets),
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        self.out.mkdir(parents=True, exist_ok=True)
        write_json(self.cell_file(cell), result)
        test = result["sets"]["test"]
        console.print(f"{cell.name}: HTER@dev {test['hter_dev']:.2f}  HTER@oracle {test['hter_oracle']:.2f}  "
                      f"AUC {test['auc']:.2f}  format {test['format_rate']:.0f}%")

    def load_results(self) -> list[dict]:
        wanted = {c.name for c in plan_cells(self.s)}
        out = []
        for path in sorted(self.out.glob("*.json")) if self.out.is_dir() else []:
            data = json.loads(path.read_text())
            if data.get("cell") in wanted and data.get("settings") == self.s.signature():
                out.append(data)
        return out

    def compute_seconds(self) -> float:
        """Stage seconds recorded by the workspaces of these settings (what the finished cells cost)."""
        total = 0.0
        for split in self.s.splits:
            for seed in self.s.seeds:
                total += sum(e.get("seconds", 0.0) for e in self.combo(split, seed).outputs.values())
        return total

    def model_parameters(self) -> int | None:
        """The tiny model's size, from the manifest of the first model version these settings built."""
        for combo in (self.combo(split, seed) for split in self.s.splits for seed in self.s.seeds):
            if combo.has("model"):
                manifest = combo.ws.resolve(combo.outputs["model"]["ref"]).path / "manifest.json"
                return json.loads(manifest.read_text()).get("metrics", {}).get("parameters")
        return None

    def write_report(self) -> None:
        self.report.parent.mkdir(parents=True, exist_ok=True)
        text = render_report(self.s, self.load_results(), self.compute_seconds(), self.model_parameters())
        self.report.write_text(text, encoding="utf-8")


# -- statistics ---------------------------------------------------------------------------------------------
def mean_std(values: Sequence[float]) -> tuple[float, float | None]:
    """Mean and sample standard deviation (None for a single value)."""
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else None


def fmt_ms(values: Sequence[float]) -> str:
    if not values:
        return "—"
    mean, std = mean_std(values)
    return f"{mean:.2f}" if std is None else f"{mean:.2f} ± {std:.2f}"


class Results:
    """Measured values by (table, row, split, seed, set, metric)."""

    def __init__(self, cells: Sequence[dict]):
        self.cells = {(c["table"], c["row"], c["split"], c["seed"]): c for c in cells}

    def by_seed(self, table: str, row: str, split: str, metric: str, set_name: str = "test") -> dict[int, float]:
        out = {}
        for (t, r, sp, seed), c in self.cells.items():
            value = c["sets"].get(set_name, {}).get(metric) if (t, r, sp) == (table, row, split) else None
            if value is not None:
                out[seed] = value
        return out

    def split_mean(self, table: str, row: str, splits: Sequence[str], metric: str,
                   set_name: str = "test") -> dict[int, float]:
        """Per seed, the mean over `splits` (only seeds measured on every one of them)."""
        per = [self.by_seed(table, row, sp, metric, set_name) for sp in splits]
        seeds = set.intersection(*(set(p) for p in per)) if per else set()
        return {seed: statistics.fmean(p[seed] for p in per) for seed in sorted(seeds)}


@dataclass(frozen=True)
class Comparison:
    """b - a over the seeds both were measured on (paired: same seed = same data draw and initial weights)."""

    a: float
    b: float
    diff: float
    se: float | None
    n: int

    @property
    def sign(self) -> int:
        """+1 / -1 when |diff| exceeds two standard errors of the paired differences, else 0."""
        if self.se is None:
            return 0
        if abs(self.diff) <= 2 * self.se:
            return 0
        return 1 if self.diff > 0 else -1


def compare(a: dict[int, float], b: dict[int, float]) -> Comparison | None:
    seeds = sorted(set(a) & set(b))
    if not seeds:
        return None
    diffs = [b[s] - a[s] for s in seeds]
    se = statistics.stdev(diffs) / math.sqrt(len(diffs)) if len(diffs) > 1 else None
    return Comparison(statistics.fmean(a[s] for s in seeds), statistics.fmean(b[s] for s in seeds),
                      statistics.fmean(diffs), se, len(seeds))


# -- the report ---------------------------------------------------------------------------------------------
def paper_cell(values: tuple[float, float] | None) -> str:
    return "—" if values is None else f"{values[0]:.2f} / {values[1]:.2f}"


def paper_mean(row: str, splits: Sequence[str]) -> tuple[float, float] | None:
    per = PAPER_P1.get(row, {})
    if not all(sp in per for sp in splits):
        return None
    return (statistics.fmean(per[sp][0] for sp in splits), statistics.fmean(per[sp][1] for sp in splits))


def metric_cells(values: dict[str, dict[int, float]]) -> list[str]:
    return [fmt_ms(list(values[m].values())) for m in ("hter_dev", "hter_oracle", "auc", "format_rate")]


def table_p1(res: Results, s: Settings) -> list[str]:
    lines = ["| method | split | HTER @dev thr | HTER @oracle thr | AUC | format rate | seeds | paper HTER / AUC |",
             "|---|---|---|---|---|---|---|---|"]
    metrics = ("hter_dev", "hter_oracle", "auc", "format_rate")
    for key in s.rows:
        row = ROW[key]
        for split in s.splits:
            values = {m: res.by_seed("p1", key, split, m) for m in metrics}
            paper = PAPER_P1.get(key, {}).get(split)
            lines.append(f"| {row.label} | {split} | " + " | ".join(metric_cells(values)) +
                         f" | {len(values['auc'])} | {paper_cell(paper)} |")
        if len(s.splits) > 1:
            values = {m: res.split_mean("p1", key, s.splits, m) for m in metrics}
            same = paper_mean(key, s.splits)
            paper = PAPER_P1.get(key, {}).get("avg")
            note = paper_cell(paper) + (" (4 splits)" if paper else "")
            if same is not None and set(s.splits) != set(ALL_SPLITS):
                note = f"{paper_cell(same)} ({'+'.join(s.splits)}); {note}"
            lines.append(f"| {row.label} | **mean {'+'.join(s.splits)}** | " + " | ".join(metric_cells(values)) +
                         f" | {len(values['auc'])} | {note} |")
    return lines


def table_p2(res: Results, s: Settings) -> list[str]:
    lines = ["| test condition | split | HTER @dev thr | HTER @oracle thr | AUC | format rate | seeds | "
             "paper HTER / AUC (4-split avg) |", "|---|---|---|---|---|---|---|---|"]
    metrics = ("hter_dev", "hter_oracle", "auc", "format_rate")
    for set_name in ("test", *MISSING_SETS):
        groups = [(sp, {m: res.by_seed("p2", "full_rl", sp, m, set_name) for m in metrics}) for sp in s.splits]
        if len(s.splits) > 1:
            groups.append((f"**mean {'+'.join(s.splits)}**",
                           {m: res.split_mean("p2", "full_rl", s.splits, m, set_name) for m in metrics}))
        for i, (split, values) in enumerate(groups):
            # The paper's Table 2 gives 4-split averages only: shown on the mean row (or the one split's row).
            paper = paper_cell(PAPER_P2[set_name]) if i == len(groups) - 1 else ""
            lines.append(f"| {SET_LABELS[set_name]} | {split} | " + " | ".join(metric_cells(values)) +
                         f" | {len(values['auc'])} | {paper} |")
    return lines


def table_n(res: Results, s: Settings) -> list[str]:
    lines = ["| paths per sample N | SFT rows | HTER @dev thr | HTER @oracle thr | AUC | format rate | seeds |",
             "|---|---|---|---|---|---|---|"]
    for n in s.n_values:
        values = {m: res.by_seed("n", f"n{n}", s.n_split, m)
                  for m in ("hter_dev", "hter_oracle", "auc", "format_rate")}
        lines.append(f"| {n} | ~{n * s.n_train:,} | " + " | ".join(metric_cells(values)) + f" | {len(values['auc'])} |")
    return lines


ONE_SEED = "**not resolved** (one seed: no spread to judge by)"


def verdict(c: Comparison, wanted: int) -> str:
    if c.n < 2:
        return ONE_SEED
    if c.sign == 0:
        return "**not resolved at this scale** (the difference is within two standard errors over seeds)"
    return "**holds**" if c.sign == wanted else "**does not hold** (the measured difference goes the other way)"


def describe(c: Comparison, name_a: str, name_b: str, metric: str) -> str:
    se = "" if c.se is None else f", paired difference {c.diff:+.2f} ± {c.se:.2f} (SE)"
    return f"{metric} {name_a} {c.a:.2f} vs {name_b} {c.b:.2f} (mean of {c.n} seed(s){se})"


def claim_pair(res: Results, s: Settings, a: str, b: str, wanted: int, title: str, paper: str) -> str | None:
    """A claim that row b has lower HTER than row a (wanted = -1) or higher (wanted = +1)."""
    if a not in s.rows or b not in s.rows:
        return None
    ha, hb = (res.split_mean("p1", k, s.splits, "hter_dev") for k in (a, b))
    c = compare(ha, hb)
    if c is None:
        return f"- **{title}** ({paper}): not measured yet."
    auc = compare(res.split_mean("p1", a, s.splits, "auc"), res.split_mean("p1", b, s.splits, "auc"))
    text = f"- **{title}** ({paper}). Measured: {describe(c, a, b, 'HTER @dev thr')}"
    if auc is not None:
        text += f"; {describe(auc, a, b, 'AUC')}"
    return text + f". Verdict: {verdict(c, wanted)}."


def claims(res: Results, s: Settings) -> list[str]:
    out: list[str | None] = [
        claim_pair(res, s, "raw_sft", "raw_rl", +1, "GRPO after raw-label SFT makes cross-domain HTER worse",
                   "Table 1: Qwen2.5-VL-3B SFT 23.25 -> SFT+GRPO 34.37"),
        claim_pair(res, s, "raw_rl", "path_rl", -1, "Path augmentation beats raw labels under SFT+GRPO",
                   "Table 4: 34.37 -> 24.45"),
        claim_pair(res, s, "single_rl", "path_rl", -1, "Diverse paths beat a single path under SFT+GRPO",
                   "Fig. 1, no numbers printed"),
        claim_shortcut(res, s),
        claim_pair(res, s, "path_rl", "full_rl", -1, "Answer shuffling is the key step",
                   "Table 5: 24.45 -> 15.21, AUC 83.17 -> 89.13"),
        claim_pair(res, s, "raw_sft", "full_rl", -1, "PA-FAS beats SFT on raw labels",
                   "Table 1: 23.25 -> 15.21 (the paper's baseline used ~35k raw samples)"),
        claim_pair(res, s, "full_sft", "full_rl", -1, "GRPO turns the answer-shuffled SFT model into a detector",
                   "the method's premise: SFT teaches format and paths, GRPO the labels"),
        claim_n(res, s),
        claim_p2(res, s),
        claim_pair(res, s, "full_rl", "cons_rl", -1, "A consistency reward helps (not a paper claim; the toolkit's "
                   "extension)", "not in the paper"),
    ]
    return [c for c in out if c]


def within(diff: float, se: float | None, bound: float) -> str:
    """Is `diff` at most `bound`, judged with two standard errors: "yes", "no" or "unclear".

    "yes" needs the whole interval diff ± 2 SE under the bound (noise alone never confirms a claim of
    no or small difference); "no" needs the whole interval above it.
    """
    margin = 2 * (se or 0.0)
    if diff + margin <= bound:
        return "yes"
    return "no" if diff - margin > bound else "unclear"


def claim_shortcut(res: Results, s: Settings) -> str | None:
    """Path shuffling barely changes the result: holds when |difference| +- 2 SE stays within 2 HTER points."""
    if "path_rl" not in s.rows or "pathshuf_rl" not in s.rows:
        return None
    c = compare(res.split_mean("p1", "path_rl", s.splits, "hter_dev"),
                res.split_mean("p1", "pathshuf_rl", s.splits, "hter_dev"))
    title, paper = "Reasoning shortcut: replacing the reasoning barely changes the result", "Table 5: 24.45 vs 24.12"
    if c is None:
        return f"- **{title}** ({paper}): not measured yet."
    small = within(abs(c.diff), c.se, 2.0)
    if c.n < 2:
        result = ONE_SEED
    elif small == "yes":
        result = "**holds**"
    elif small == "no":
        result = "**does not hold** (path shuffling changes HTER by more than 2 points, beyond seed noise)"
    else:
        result = "**not resolved at this scale** (seed noise is too large to tell a change of 2 points or less)"
    return f"- **{title}** ({paper}). Measured: {describe(c, 'path_rl', 'pathshuf_rl', 'HTER @dev thr')}. " \
           f"Verdict (rule: |difference| ± 2 SE within 2 points): {result}."


def claim_n(res: Results, s: Settings) -> str | None:
    aucs = {n: res.by_seed("n", f"n{n}", s.n_split, "auc") for n in s.n_values}
    aucs = {n: v for n, v in aucs.items() if v}
    title = f"Paths per sample: AUC peaks near N = {PAPER_N}"
    if len(aucs) < 2 or PAPER_N not in aucs:
        return f"- **{title}** ({PAPER_FIG5}): not measured yet." if len(s.n_values) > 1 else None
    means = {n: statistics.fmean(v.values()) for n, v in aucs.items()}
    best = max(means, key=means.get)
    listing = ", ".join(f"N={n}: {m:.2f}" for n, m in means.items())
    if min(len(v) for v in aucs.values()) < 2:
        result = ONE_SEED
    elif best == PAPER_N:
        result = "**holds**"
    else:
        c = compare(aucs[PAPER_N], aucs[best])
        result = "**not resolved at this scale** (the peak is within seed noise of N = 50)" if c is None or \
            c.sign == 0 else f"**does not hold** (AUC peaks at N = {best})"
    return f"- **{title}** ({PAPER_FIG5}). Measured mean AUC on {s.n_split}: {listing}; highest at N = {best}. " \
           f"Verdict: {result}."


def claim_p2(res: Results, s: Settings) -> str | None:
    """Missing modalities cost little: each increase (± 2 SE) at most the paper's largest (+2.11)."""
    if "full_rl" not in s.rows:
        return None
    full = res.split_mean("p2", "full_rl", s.splits, "hter_dev", "test")
    worst_paper = max(PAPER_P2[m][0] for m in MISSING_SETS) - PAPER_P2["test"][0]
    title = "Robust to missing modalities at test time"
    paper = f"Table 2: 15.21 -> 15.68 / 17.32 / 14.67, at most +{worst_paper:.2f} points"
    parts, ok = [], []
    for name in MISSING_SETS:
        c = compare(full, res.split_mean("p2", "full_rl", s.splits, "hter_dev", name))
        if c is None:
            return f"- **{title}** ({paper}): not measured yet."
        parts.append(f"{SET_LABELS[name]} {c.diff:+.2f}" + (f" ± {c.se:.2f}" if c.se is not None else ""))
        ok.append(within(c.diff, c.se, worst_paper))
    if len(full) < 2:
        result = ONE_SEED
    elif all(o == "yes" for o in ok):
        result = "**holds**"
    elif "no" in ok:
        result = "**does not hold** for " + ", ".join(SET_LABELS[n] for n, o in zip(MISSING_SETS, ok) if o == "no")
    else:
        result = "**not resolved at this scale** (seed noise is too large to bound the increase by " \
                 f"+{worst_paper:.2f})"
    return f"- **{title}** ({paper}). Measured HTER @dev thr change vs all modalities: {'; '.join(parts)}. " \
           f"Verdict (rule: increase ± 2 SE at most +{worst_paper:.2f}): {result}."


def scale_notes(res: Results, s: Settings, seconds: float, parameters: int | None) -> list[str]:
    r = s.recipes()
    rows = s.sft_steps * r["sft"].sft.batch_size * r["sft"].sft.grad_accum
    prompts = s.rl_steps * r["grpo"].rl.prompts_per_step(1)
    size = f"{parameters:,} parameters, " if parameters else ""
    side = r["paths"].paths.image_size
    notes = [
        f"- Model: the tiny Qwen2.5-VL of `recipes/quickstart/model.yaml` ({size}{side}x{side} images, "
        f"{(side // 28) ** 2} vision tokens per image) against the paper's Qwen2.5-VL-3B; data: the synthetic "
        f"benchmark, not the "
        f"four licensed datasets. Absolute numbers are not comparable with the paper's, only the directions.",
        f"- Training length: {s.training()}, i.e. {rows:,} SFT rows and {prompts} GRPO prompts "
        f"({100 * prompts / s.n_train:.0f}% of the {s.n_train} training samples), against the paper's 500 SFT + 500 "
        f"GRPO steps" + ("; the 2-hour budget on 2 CPU cores set these lengths." if
                        (s.sft_steps, s.rl_steps) == (DEFAULTS["sft_steps"], DEFAULTS["rl_steps"]) else "."),
        "- The raw baseline is trained on the same ~800 labelled samples (the paper's used ~35k raw samples); its "
        "GRPO (`rl.require_think: false`) and its evaluation (`eval.require_think: false`) accept a bare `<answer>`; "
        "its score is read after `<answer>['`.",
    ]
    full = res.split_mean("p1", "full_rl", s.splits, "answer_accuracy") if "full_rl" in s.rows else {}
    fmt_rate = res.split_mean("p1", "full_rl", s.splits, "format_rate") if "full_rl" in s.rows else {}
    if full and fmt_rate:
        note = (f"- The PA-FAS model's generated answers: format rate {fmt_ms(list(fmt_rate.values()))}%, "
                f"answer accuracy {fmt_ms(list(full.values()))}%")
        for key, label in (("answer_balanced_accuracy", "answer balanced accuracy"),
                           ("reasoning_balanced_accuracy", "balanced accuracy of the verdict its reasoning states")):
            values = res.split_mean("p1", "full_rl", s.splits, key)
            if values and all(v is not None for v in values.values()):
                note += f", {label} {fmt_ms(list(values.values()))}%"
        notes.append(note + " on the held-out domain (mean ± std over seeds; 50% balanced = one class for every "
                     "face or chance).")
    if seconds:
        notes.append(f"- Compute spent by the finished stages: {seconds / 3600:.2f} h on this machine "
                     f"({os.cpu_count()} cores).")
    return notes


def render_report(s: Settings, cells: Sequence[dict], seconds: float = 0.0, parameters: int | None = None) -> str:
    res = Results(cells)
    recipes = s.recipes()
    paths, rl = recipes["paths"].paths, recipes["grpo"].rl
    total = len(plan_cells(s))
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Reproducing the PA-FAS claims at small scale",
        "",
        f"Written by `bench/reproduce.py` from {len(cells)} of {total} planned cells ({when}). Every number below "
        "was measured by it; the paper's numbers are quoted from its Tables 1, 2, 4, 5 and Fig. 5 text "
        "(`../shared/reference/paper.md`). HTER, AUC and format rate are in %, mean ± sample std over seeds.",
        "HTER @dev thr applies the dev set's EER threshold (source domains: honest); HTER @oracle thr the test "
        "set's own EER threshold (the MMDG-family convention, which the paper's tables most likely follow).",
        "",
        "Rerun (resumes; finished cells are skipped):",
        "",
        "```bash",
        s.command(),
        "```",
        "",
        "## Settings",
        "",
        f"- Seeds {', '.join(map(str, s.seeds))}; Protocol 1 splits {', '.join(f'{sp} (->{sp})' for sp in s.splits)}; "
        f"N sweep on {s.n_split}; Protocol 2 on the same splits.",
        f"- Data: synthetic benchmark (`pafas synth` defaults: 4 domains x 1,000 triples, seed 0); "
        f"{s.n_train} labelled training samples per split (stratified); dev {s.n_dev} and test {s.n_test} faces "
        f"per split (stratified subsamples; the same faces for every row of a split and seed).",
        f"- Paths: `recipes/quickstart/paths.yaml` (PNRPS, alpha {paths.alpha:g}, N = {PAPER_N} unless varied, "
        f"shuffle rate {paths.shuffle_rate:g}, {paths.image_size}x{paths.image_size} images). "
        "Variants: raw = answer only; single = one canonical path; path = N paths; + path shuffling = reasoning "
        "swapped between rows; + answer shuffling = answers swapped (PA-FAS).",
        f"- Model: one tokenizer + tiny Qwen2.5-VL per (split, seed), built from the PA-FAS corpus and shared by "
        f"every variant. SFT: `recipes/quickstart/sft.yaml`, {s.sft_steps} steps. GRPO: "
        f"`recipes/quickstart/grpo.yaml` (lr {rl.learning_rate:g}, beta {rl.beta:g}, G {rl.num_generations}, "
        f"{rl.prompts_per_step(1)} prompts per step, {rl.max_completion_length} new tokens), {s.rl_steps} steps, "
        "rewards format + classification (binary); the consistency row adds the consistency reward.",
        f"- Eval: `recipes/quickstart/eval.yaml` (greedy, {recipes['eval'].eval.max_new_tokens} new tokens); the "
        "score is the teacher-forced "
        "P(live branch) after the model's own reasoning (docs/scoring.md).",
    ]
    if s.overrides:
        lines.append(f"- Extra overrides on every stage: {', '.join(f'`{o}`' for o in s.overrides)}.")
    lines += ["", "## Protocol 1: the ablation ladder (Tables 1, 4, 5)", "", *table_p1(res, s)]
    if "full_rl" in s.rows:
        lines += ["", "## Protocol 2: PA-FAS with missing modalities at test time (Table 2)", "", *table_p2(res, s)]
    lines += ["", f"## Paths per sample N on {s.n_split} (Fig. 5)", "",
              f"Paper: {PAPER_FIG5}.", "", *table_n(res, s)]
    lines += ["", "## Discussion", "",
              "Each claim compares per-seed means over the splits run (paired by seed: same training draw and "
              "initial weights). A difference counts as resolved when it exceeds two standard errors of the "
              "paired differences; with 3 seeds that is a loose screen, not a significance test.", "",
              *claims(res, s), "", "What limits these conclusions:", "", *scale_notes(res, s, seconds, parameters), ""]
    return "\n".join(lines)


# -- command line -------------------------------------------------------------------------------------------
def parse_list(text: str, kind: Callable[[str], Any]) -> tuple:
    return tuple(kind(x.strip()) for x in text.split(",") if x.strip())


def settings_from(args: argparse.Namespace) -> Settings:
    base = {**DEFAULTS, **(QUICK if args.quick else {})}
    given = {k: getattr(args, k) for k in base if getattr(args, k, None) is not None}
    s = Settings(**{**base, **given}, overrides=tuple(args.overrides), quick=args.quick)
    splits = ALL_SPLITS if s.splits == ("all",) else s.splits
    s = replace(s, splits=tuple(sp.upper() for sp in splits))
    bad = [sp for sp in s.splits if sp not in ALL_SPLITS] + [r for r in s.rows if r not in ROW]
    if bad:
        raise SystemExit(f"unknown split or row: {', '.join(bad)} (splits {','.join(ALL_SPLITS)}; "
                         f"rows {','.join(ROW)})")
    if len(s.seeds) < 3 and not s.quick:
        console.print(f"[yellow]warning:[/] {len(s.seeds)} seed(s); the tables need >= 3 for a spread")
    return s


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--quick", action="store_true", help="one row per table: split W, seed 0, PA-FAS only, "
                        "short training (writes under bench/out/reproduce-quick unless --out/--report are given)")
    parser.add_argument("--seeds", type=lambda t: parse_list(t, int), help="comma list (default 0,1,2)")
    parser.add_argument("--splits", type=lambda t: parse_list(t, str),
                        help="Protocol-1 targets, comma list of W,S,P,C or 'all' (default W,C)")
    parser.add_argument("--rows", type=lambda t: parse_list(t, str), help=f"Protocol-1 rows (default all: "
                        f"{','.join(ROW)})")
    parser.add_argument("--n-values", dest="n_values", type=lambda t: parse_list(t, int),
                        help="paths per sample for the N sweep (default 1,5,10,25,50,100; empty = no sweep)")
    for name, text in (("n-train", "labelled training samples"), ("n-dev", "dev faces per split"),
                       ("n-test", "test faces per split"), ("sft-steps", "SFT steps"), ("rl-steps", "GRPO steps")):
        parser.add_argument(f"--{name}", dest=name.replace("-", "_"), type=int, help=text)
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        help="recipe override applied to every stage, e.g. rl.beta=0 (repeatable)")
    parser.add_argument("--workspace", type=Path, help="default workspace/reproduce (quick: workspace/reproduce-quick)")
    parser.add_argument("--out", type=Path, help="cell results (default bench/out/reproduce[-quick])")
    parser.add_argument("--report", type=Path, help="default docs/results.md (quick: <out>/results.md)")
    parser.add_argument("--synth", help="an existing `pafas synth` folder to read instead of drawing one")
    parser.add_argument("--plan", action="store_true", help="print the plan and its time estimate, run nothing")
    parser.add_argument("--report-only", action="store_true", help="rewrite the report from finished cells")
    parser.add_argument("--verbose", action="store_true", help="show every stage's own output")
    args = parser.parse_args(argv)

    s = settings_from(args)
    suffix = "reproduce-quick" if s.quick else "reproduce"
    out = args.out or REPO / "bench" / "out" / suffix
    report = args.report or (out / "results.md" if s.quick else REPO / "docs" / "results.md")
    harness = Harness(s, args.workspace or REPO / "workspace" / suffix, out, report, args.synth, args.verbose)
    if args.report_only:
        harness.write_report()
        console.print(f"report: {report}")
        return 0
    if args.plan:
        harness.print_plan(*harness.plan())
        return 0
    console.print(f"pafas reproduce on {platform.node()} ({os.cpu_count()} cores)")
    return harness.run()


if __name__ == "__main__":
    sys.exit(main())
