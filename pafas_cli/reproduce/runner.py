"""Runs the reproduction's cells on workspaces and records each finished one in the cells file.

Why the stages are passed in (`Stages`) rather than imported: the runner is package code, and package
modules never import `pafas_cli.commands` (the layers point one way; tests/test_layers.py parses every
import). `pafas_cli/commands/reproduce.py` hands it each stage's `resolve` and `pafas_cli.commands.<stage>.run`,
so the stages are planned and run exactly as `pafas build-paths|init-model|sft|rl|eval` would; the tests hand
it fakes, so planning, reuse and recording are tested without training anything.

Layout under the root (`<workspace>/reproduce`): `shared/` holds the synthetic benchmark and the pretraining
corpus (each drawn once, under a lock, for every process), `<split>-s<seed>/` one workspace per split and seed,
whose one tokenizer + tiny-model initialisation (from the PA-FAS paths and the corpus) and one pretraining run
every variant of both regimes starts from, and whose dev/test faces every model is scored on. Each workspace
finds the shared corpus as its own `corpus/vNNN`, a link to the shared version (init-model and pretrain look
for a corpus in their workspace).

Reuse has one mechanism: a stage output is the newest version `Workspace.find` returns for what the stage's
own plan says it records (its `resolve`, the same one `pafas <stage>` calls: inherited values filled in) and
the versions it reads, so there is no lineage file and no second list of what a stage records; a version
made at a commit before the grid's `valid_since` is not reused. A stopped run continues where it stopped: finished
cells are in the cells file, finished stages are found, and SFT / GRPO reopen their unfinished version at its
last checkpoint (`--resume auto`). The report is rewritten after every cell.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pafas_cli import threads
from pafas_cli.console import console, rows_table, tagged
from pafas_cli.errors import PafasError
from pafas_cli.infer.faithfulness import RATE_KEYS
from pafas_cli.reproduce.grid import CNN, MISSING_SETS, Cell, Grid, Settings, rl_parts
from pafas_cli.reproduce.record import Commits, append_cell, latest_records, read_cells, record_key, record_stale
from pafas_cli.reproduce.report import Paper, render, shown_records
from pafas_cli.workspace import Resolved, VersionInfo, Workspace, git_revision

# The reasoning rates recorded in % (clauses per face is a count).
PERCENT_RATES = tuple(k for k in RATE_KEYS if k != "clauses_per_face")
# The GRPO manifest's curve ends a cell records (start and end of each reward and of the share of groups whose
# completions all earned the same reward, which GRPO cannot learn from; docs/results.md).
REWARD_CURVE = ("reward", "format", "classification", "consistency", "frac_reward_zero_std")
# How many reproduction processes share the machine (bench/reproduce_parallel.sh sets it; 1 when unset).
PROCESSES_ENV = "PAFAS_REPRODUCE_PROCESSES"
# The stage outputs that read the pretraining corpus (init-model's tokenizer, pretrain itself).
CORPUS_READERS = ("model", "pretrain")


@dataclass(frozen=True)
class Stage:
    """One stage as `pafas <stage>` runs it: its `resolve` (recipe, workspace, inputs -> plan) and its entry
    function `pafas_cli.commands.<stage>.run(plan)`."""

    resolve: Callable[..., Any]
    run: Callable[[Any], Any]


@dataclass(frozen=True)
class Stages:
    """Every stage a cell may need (see the module docstring for why they are passed in)."""

    build_paths: Stage  # resolve(recipe, ws)
    init_model: Stage   # resolve(recipe, ws, paths=ref)
    pretrain: Stage     # resolve(recipe, ws)
    sft: Stage          # resolve(recipe, ws)
    rl: Stage           # resolve(recipe, ws)
    eval: Stage         # resolve(recipe, ws, models=[ref], paths=ref, protocol=None | "P2")
    baseline: Stage     # resolve(recipe, ws): the CNN, on recipe.baseline.paths


@dataclass
class StageCall:
    """One stage output: the plan that makes it (what it records, the versions it reads) and how to run it."""

    plan: Any
    make: Callable[[], Any]
    accept: Callable[[VersionInfo], bool] | None = None
    # Inputs the stage finds while it runs, not in its plan (the corpus init-model and pretrain read).
    found: tuple[Resolved, ...] = ()

    @property
    def stage(self) -> str:
        return self.plan.stage

    @property
    def settings(self) -> dict:
        return self.plan.recorded

    @property
    def inputs(self) -> list[Any]:
        return [resolved for _, resolved in self.plan.inputs] + list(self.found)


@contextmanager
def quiet(enabled: bool) -> Iterator[None]:
    """Silence the stages' own tables and bars (the runner prints one line per stage instead)."""
    before = console.quiet
    console.quiet = enabled or before
    try:
        yield
    finally:
        console.quiet = before


def _clock() -> str:
    return f"[dim]{time.strftime('%H:%M:%S')}[/]"


def headline(m: dict) -> dict:
    """The numbers the tables report, as percentages (HTER at the dev and the oracle threshold, AUC, ..., and
    the reasoning rates but clauses per face); a reasoning rate the eval did not record is None."""
    def pct(value: Any) -> float | None:
        return None if value is None else round(100 * float(value), 3)

    reasoning = m.get("reasoning") or {}
    per_face = reasoning.get("clauses_per_face")
    return {"hter_dev": pct(m["honest"]["hter"]), "hter_oracle": pct(m["oracle"]["hter"]),
            "auc": pct(m["honest"]["auc"]), "eer": pct(m["honest"]["eer"]), "format_rate": pct(m["format_rate"]),
            "answer_accuracy": pct(m["answer_accuracy"]),
            "answer_balanced_accuracy": pct(m.get("answer_balanced_accuracy")),
            "reasoning_balanced_accuracy": pct(m.get("reasoning_balanced_accuracy")),
            "consistency": pct(m.get("consistency")), "n": m["n"],
            **{k: pct(reasoning.get(k)) for k in PERCENT_RATES},
            "clauses_per_face": None if per_face is None else round(float(per_face), 3)}


class Combo:
    """The workspace of one (split, seed) and the stage outputs found in it."""

    def __init__(self, runner: "Runner", split: str, seed: int):
        self.runner, self.split, self.seed = runner, split, seed
        self.ws = Workspace(runner.root / f"{split}-s{seed}")
        self.found: dict[str, VersionInfo] = {}

    @property
    def grid(self) -> Grid:
        return self.runner.grid

    def _recipe(self, stage: str, keys: list[str], grpo: str | None = None):
        return self.grid.recipe(stage, [f"seed={self.seed}", *keys, *self.runner.s.overrides],
                                **({"grpo": grpo} if grpo else {}))

    def call(self, key: str, deps: list[str]) -> StageCall:
        """Stage output `key` made from the versions `deps` (refs, in `grid.requirements` order): the plan the
        stage's own `resolve` makes of it, and how to run that plan."""
        s, stages, runner = self.runner.s, self.runner.stages, self.runner
        kind, _, rest = key.rpartition("/")[2].partition(":")
        fresh, ws = runner.fresh_version, self.ws
        corpus = [f"pretrain.corpus.samples={s.corpus_samples}"]
        with quiet(not runner.verbose):
            if kind == "paths":
                variant = self.grid.variant_of(rest.removesuffix("-held"))
                stage, plan = stages.build_paths, stages.build_paths.resolve(self._recipe("paths", [
                    f"data.root={runner.synth_root()}",
                    f"data.protocol={'P2' if key == self.grid.model_paths else 'P1'}", f"data.split={self.split}",
                    f"data.n_train={s.n_train}", f"data.n_dev={s.n_dev}", f"data.n_test={s.n_test}",
                    f"data.train_block={int(self.grid.held_back(rest))}",
                    *(f"paths.{k}={v}" for k, v in variant.items())]), ws)
            elif kind == "model":
                (paths,) = deps
                stage, plan = stages.init_model, stages.init_model.resolve(
                    self._recipe("model", ["model.corpus=true", *corpus]), ws, paths=paths)
            elif kind == "pretrain":
                (model,) = deps
                stage, plan = stages.pretrain, stages.pretrain.resolve(self._recipe("pretrain", [
                    f"pretrain.model={model}", f"pretrain.max_steps={s.pretrain_steps}", *corpus,
                    f"data.root={runner.synth_root()}"]), ws)
            elif kind == "sft":
                model, paths = deps
                stage, plan = stages.sft, stages.sft.resolve(self._recipe("sft", [
                    f"sft.model={model}", f"sft.paths={paths}", f"sft.max_steps={s.sft_steps}"]), ws)
            elif kind == "rl":
                model, paths = deps
                grpo = rl_parts(rest)[1]
                rewards = json.dumps(self.grid.rewards[rest.split(":")[1]])
                stage, plan = stages.rl, stages.rl.resolve(self._recipe("rl", [
                    f"rl.model={model}", f"rl.paths={paths}", f"rl.max_steps={s.rl_steps}",
                    f"rl.rewards={rewards}"], grpo=grpo), ws)
            elif kind == CNN:
                paths, *trunk = deps  # the pretrained regime's CNN starts from the pretrain version's trunk
                stage, plan = stages.baseline, stages.baseline.resolve(self._recipe("baseline", [
                    f"baseline.paths={paths}", f"baseline.init={trunk[0] if trunk else 'scratch'}"]), ws)
            elif kind == "eval":
                model, paths = deps
                protocol = "P2" if self.grid.evaluates_p2(rest) else None
                sets = ["test", *(MISSING_SETS if protocol == "P2" else ())]
                plan = stages.eval.resolve(self._recipe("eval", []), ws, models=[model], paths=paths,
                                           protocol=protocol)
                return StageCall(plan, lambda: stages.eval.run(plan),
                                 lambda info: fresh(info) and _evaluates(info, sets))
            else:
                raise ValueError(f"unknown stage output '{key}'")
        found = (runner.corpus(draw=False),) if kind in CORPUS_READERS else ()
        return StageCall(plan, lambda: stage.run(plan), fresh, found)

    def lookup(self, key: str) -> VersionInfo | None:
        """The version of stage output `key` made with this run's settings, or None (nothing is built)."""
        if key in self.found:
            return self.found[key]
        deps = []
        for dep in self.grid.requirements(key):
            info = self.lookup(dep)
            if info is None:
                return None
            deps.append(f"{info.stage}:{info.version}")
        if key.startswith("paths:") and self.runner.synth_root(draw=False) is None:
            return None
        if key in CORPUS_READERS and self.runner.corpus(draw=False) is None:
            return None
        call = self.call(key, deps)
        info = self.ws.find(call.stage, call.settings, call.inputs, accept=call.accept)
        if info is not None:
            self.found[key] = info
        return info

    def ref(self, key: str) -> str:
        """The workspace reference of stage output `key`, made first (with what it needs) when not found."""
        info = self.lookup(key)
        if info is not None:
            return f"{info.stage}:{info.version}"
        deps = [self.ref(dep) for dep in self.grid.requirements(key)]
        if key in CORPUS_READERS:
            self.link_corpus()
        call = self.call(key, deps)
        label = f"{self.split} seed {self.seed}: {key}"
        console.print(f"{_clock()} {label} (~{self.grid.cost(key, self.runner.s):.0f} s) ...", highlight=False)
        started = time.perf_counter()
        threads.apply(call.settings["threads"])  # the count the plan records is the one the stage computes with
        with quiet(not self.runner.verbose):
            call.make()
        info = self.ws.find(call.stage, call.settings, call.inputs, accept=call.accept)
        if info is None:
            raise PafasError(f"{self.ws.root}: {key} finished, but no complete {call.stage} version matches the "
                             "settings it was run with")
        self.found[key] = info
        seconds = round(time.perf_counter() - started, 1)
        self.runner.timings[self.runner.timing_key(self.split, self.seed, key, info)] = seconds
        console.print(f"{_clock()} {label} -> {info.stage}:{info.version} in {seconds:.0f} s")
        gc.collect()
        return f"{info.stage}:{info.version}"

    def link_corpus(self) -> None:
        """Make the shared pretraining corpus (drawn now if need be) a version of this workspace, where init-model
        and pretrain look for it: `corpus/vNNN`, a link to the shared folder."""
        from pafas_cli.data.pretrain.version import STAGE, settings

        shared = self.runner.corpus()
        if self.ws.find(STAGE, settings(self.runner.corpus_config)) is not None:
            return
        version = self.ws.reserve(STAGE)
        try:
            os.symlink(shared.path, self.ws.root / STAGE / version, target_is_directory=True)
        except OSError as exc:
            from pafas_cli.workspace import disk_error

            raise disk_error(exc, self.ws.root / STAGE / version, "link the shared corpus as") from exc


def reward_curve(metrics: dict) -> dict:
    """{name: [start, end]} of the GRPO run's reward curves, from its manifest's `<name>_start` / `_end` (the
    means of its first / last three logged values: `train.fit.summarise`); rewards it did not use are left out."""
    return {name: [metrics[f"{name}_start"], metrics[f"{name}_end"]] for name in REWARD_CURVE
            if metrics.get(f"{name}_start") is not None and metrics.get(f"{name}_end") is not None}


def selected_step(metrics: dict) -> dict | None:
    """The GRPO step the dev reward chose (`rl.select`, train/select.py): the chosen step, the steps trained, the
    dev reward at the start and at the chosen step, whether it stopped early; None for a run without selection."""
    if metrics.get("select_step") is None:
        return None
    return {"step": metrics["select_step"], "steps": metrics.get("steps"),
            "dev_reward": [metrics.get("select_reward_start"), metrics.get("select_reward")],
            "stopped": metrics.get("select_stopped")}


def processes() -> int:
    """How many reproduction processes share this machine, as bench/reproduce_parallel.sh says (1 when unset)."""
    value = os.environ.get(PROCESSES_ENV, "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else 1


def _evaluates(info: VersionInfo, sets: list[str]) -> bool:
    """An eval version of one model that scored every set in `sets`."""
    try:
        data = json.loads((info.path / "metrics.json").read_text(encoding="utf-8"))
        (model,) = data["models"].values()
        return set(sets) <= set(model["sets"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


class Runner:
    """One reproduction run: its settings, where it works and records, and the stages it calls."""

    def __init__(self, grid: Grid, s: Settings, stages: Stages | None, root: Path, cells: Path, report: Path,
                 paper: Paper | None = None, synth: str | None = None, verbose: bool = False):
        self.grid, self.s, self.stages = grid, s, stages
        self.root, self.cells, self.report = Path(root), Path(cells), Path(report)
        self.paper = paper or Paper.load()
        self.verbose = verbose
        self.given_synth = str(Path(synth).resolve()) if synth else None
        self._synth = self.given_synth
        self._data: dict | None = None
        self.commits = Commits(grid.valid_since)
        self.combos: dict[tuple[str, int], Combo] = {}
        self.digest = grid.recipe_digest(s)
        self.data_config = grid.recipe("paths", s.overrides).data
        self.corpus_config = grid.recipe("pretrain", [f"pretrain.corpus.samples={s.corpus_samples}",
                                                      *s.overrides]).pretrain.corpus
        self._corpus: Resolved | None = None
        # Seconds each stage call took, timed around the call (loading and scoring included; a manifest's
        # `seconds` covers only the time its version was open): this run's, and those earlier cells recorded.
        self.timings: dict[tuple, float] = {}
        for r in read_cells(self.cells):
            for st in r.get("stages") or []:
                if isinstance(st, dict) and st.get("timed") == "runner" and st.get("seconds") is not None:
                    self.timings[(r.get("split"), r.get("seed"), st.get("key"), st.get("version"),
                                  st.get("created"))] = st["seconds"]

    # -- data ------------------------------------------------------------------------------------------------
    @property
    def shared(self) -> Workspace:
        return Workspace(self.root / "shared")

    def synth_root(self, draw: bool = True) -> str | None:
        """The benchmark folder every workspace reads: --synth, else a synth version in <root>/shared made
        with the data settings (drawn there on first use; None when not drawn and `draw` is False)."""
        if self._synth is not None:
            return self._synth
        settings = {"data": {"synth": vars(self.data_config.synth)}}
        info = self.shared.find("synth", settings)
        if info is None and draw:
            # Runs side by side on one machine (bench/reproduce_parallel.sh) draw it once: the others wait here.
            with _locked(self.root / ".synth.lock"):
                info = self.shared.find("synth", settings)
                if info is None:
                    from pafas_cli.data.synth.version import write_version

                    console.print(f"{_clock()} synthetic benchmark (~{self.grid.costs['synth']:.0f} s the first "
                                  "time) ...")
                    with quiet(not self.verbose):
                        write_version(self.data_config, self.shared)
                    info = self.shared.find("synth", settings)
        if info is None:
            return None
        self._synth = str(info.path.resolve())
        return self._synth

    def corpus(self, draw: bool = True) -> Resolved | None:
        """The pretraining corpus every workspace reads: a corpus version in <root>/shared made with the corpus
        settings (drawn there on first use, under a lock as the benchmark is; None when not drawn and `draw` is
        False)."""
        from pafas_cli.data.pretrain.version import STAGE, settings, write_version

        if self._corpus is not None:
            return self._corpus
        wanted = settings(self.corpus_config)
        info = self.shared.find(STAGE, wanted)
        if info is None and draw:
            with _locked(self.root / ".corpus.lock"):
                info = self.shared.find(STAGE, wanted)
                if info is None:
                    console.print(f"{_clock()} pretraining corpus (~{self.grid.corpus_cost(self.s):.0f} s the first "
                                  "time) ...")
                    with quiet(not self.verbose):
                        write_version(self.corpus_config, self.shared)
                    info = self.shared.find(STAGE, wanted)
        if info is None:
            return None
        self._corpus = self.shared.resolve(f"{STAGE}:{info.version}")
        return self._corpus

    def data_identity(self) -> dict:
        """What the cells were measured on, the same on every machine and commit: the synthetic generator's
        settings, or a digest of the list files of a folder given with --synth."""
        if self._data is None:
            if self.given_synth is None:
                self._data = {"synth": dict(vars(self.data_config.synth))}
            else:
                digest = hashlib.sha256()
                for path in sorted(Path(self.given_synth).glob("*.txt")):
                    digest.update(path.name.encode() + path.read_bytes())
                self._data = {"lists": digest.hexdigest()[:16]}
        return self._data

    @staticmethod
    def timing_key(split: str, seed: int, key: str, info: VersionInfo) -> tuple:
        return (split, seed, key, info.version, info.manifest.get("created"))

    def fresh_version(self, info: VersionInfo) -> bool:
        """A version made at a commit that contains the grid's valid_since (or one git cannot place)."""
        return not self.commits.stale(info.manifest.get("git_revision"))

    # -- cells -----------------------------------------------------------------------------------------------
    def combo(self, split: str, seed: int) -> Combo:
        key = (split, seed)
        if key not in self.combos:
            self.combos[key] = Combo(self, split, seed)
        return self.combos[key]

    def key(self, cell: Cell) -> str:
        return record_key(cell.name, self.grid.cell_settings(cell, self.s, self.digest), self.data_identity())

    def done(self) -> dict[str, dict]:
        """key -> the record of each cell already measured with these settings (stale ones left out)."""
        return {k: r for k, r in latest_records(read_cells(self.cells)).items() if not record_stale(r, self.commits)}

    def plan(self) -> tuple[list[Cell], list[tuple[Combo, str]]]:
        """Cells still to do and the stage outputs they need that are not made yet, in run order."""
        done = self.done()
        todo = [c for c in self.grid.plan(self.s) if self.key(c) not in done]
        jobs: list[tuple[Combo, str]] = []
        seen: set[tuple[str, int, str]] = set()
        for cell in todo:
            combo = self.combo(cell.split, cell.seed)
            for key in self.grid.closure([self.grid.result_of(cell)]):
                if (cell.split, cell.seed, key) not in seen and combo.lookup(key) is None:
                    seen.add((cell.split, cell.seed, key))
                    jobs.append((combo, key))
        return todo, jobs

    def estimate(self, jobs: list[tuple[Combo, str]]) -> list[tuple[str, int, float, float]]:
        """(stage, runs, est. s each, est. s total) for the jobs, the synthetic benchmark first if needed."""
        groups: dict[str, list[float]] = {}
        for _, key in jobs:
            groups.setdefault(key.rpartition("/")[2].partition(":")[0], []).append(self.grid.cost(key, self.s))
        rows = [(kind, len(groups[kind]), round(sum(groups[kind]) / len(groups[kind]), 1), round(sum(groups[kind])))
                for kind in ("paths", "model", "pretrain", "sft", "rl", "eval", CNN) if kind in groups]
        if any(key in CORPUS_READERS for _, key in jobs) and self.corpus(draw=False) is None:
            cost = round(self.grid.corpus_cost(self.s), 1)
            rows.insert(0, ("corpus", 1, cost, round(cost)))
        if jobs and self.synth_root(draw=False) is None:
            rows.insert(0, ("synth", 1, self.grid.costs["synth"], self.grid.costs["synth"]))
        return rows

    def print_plan(self, todo: list[Cell], jobs: list[tuple[Combo, str]]) -> float:
        s = self.s
        rows = self.estimate(jobs)
        total = sum(r[3] for r in rows)
        console.print(rows_table(
            f"plan: {len(todo)} cells to run ({len(self.grid.plan(s)) - len(todo)} recorded already)",
            ("stage", "runs", "est. s each", "est. s total"), rows))
        console.print(
            f"settings: regimes {list(s.regimes)}, seeds {list(s.seeds)}, splits {list(s.splits)} (N sweep on "
            f"{s.n_split}), n_train {s.n_train}, dev/test faces {s.n_dev}/{s.n_test} per split (stratified), "
            f"{self.grid.training(s)}, tiny Qwen2.5-VL (recipes/{self.grid.recipes['model']})")
        console.print(f"estimated time: {total / 60:.0f} min ({total / 3600:.2f} h) on a 2-core machine when idle, "
                      f"GRPO counted to its cap; workspace {self.root}, cells {self.cells}, report {self.report}")
        return total

    def run(self) -> int:
        """Every cell still to do, recording each; 1 when some failed (rerun to retry them), else 0."""
        if self.stages is None:
            raise PafasError("the runner needs the stage entry functions to run cells")
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
                console.print(tagged(f"{cell.name} failed:", "red", f"{type(exc).__name__}: {exc}"), highlight=False)
            self.write_report()
        if failed:
            console.print(f"[red]{len(failed)} cell(s) failed:[/] {', '.join(failed)} (rerun to retry them)")
        console.print(f"cells: {self.cells}\nreport: {self.report}", highlight=False)
        return 1 if failed else 0

    def run_cell(self, cell: Cell) -> dict:
        """Make what `cell` needs, read its metrics and append its record to the cells file."""
        combo = self.combo(cell.split, cell.seed)
        eval_key = self.grid.result_of(cell)
        eval_ref = combo.ref(eval_key)
        stages, curve, budget, chosen, probe = [], None, None, None, None
        for key in self.grid.closure([eval_key]):
            info = combo.found[key]
            timed = self.timings.get(self.timing_key(cell.split, cell.seed, key, info))
            metrics = info.manifest.get("metrics") or {}
            stages.append({"key": key, "version": info.version, "created": info.manifest.get("created"),
                           "seconds": timed if timed is not None else info.manifest.get("seconds"),
                           "timed": "runner" if timed is not None else "manifest",
                           "commit": info.manifest.get("git_revision"),
                           "threads": (info.manifest.get("recipe") or {}).get("threads")})
            if info.stage == "rl":
                curve, chosen = reward_curve(metrics), selected_step(metrics)
                budget = ((info.manifest.get("recipe") or {}).get("rl") or {}).get("max_completion_length")
            if info.stage == "pretrain":
                probe = {kind: metrics.get(f"probe_{cell.split}_{kind}") for kind in ("pretrained", "scratch")}
        model = combo.found.get("model")
        record = {
            "cell": cell.name, "regime": cell.regime, "table": cell.table, "row": cell.row, "split": cell.split,
            "seed": cell.seed, "settings": self.grid.cell_settings(cell, self.s, self.digest),
            "data": self.data_identity(), "commit": git_revision(),
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"), "cores": os.cpu_count(),
            "processes": processes(), "load_1min": round(os.getloadavg()[0], 2),
            "model_parameters": (model.manifest.get("metrics") or {}).get("parameters") if model else None,
            "stages": stages, "sets": self.metrics(combo.ws, eval_ref, cell.sets), "rl_curve": curve,
            "rl_select": chosen, "rl_max_completion_length": budget, "probe": probe,
        }
        append_cell(self.cells, record)
        test = record["sets"]["test"]
        answers = "" if test["format_rate"] is None else f"  format {test['format_rate']:.0f}%"
        console.print(f"{cell.name}: HTER@dev {test['hter_dev']:.2f}  HTER@oracle {test['hter_oracle']:.2f}  "
                      f"AUC {test['auc']:.2f}{answers}")
        return record

    @staticmethod
    def metrics(ws: Workspace, eval_ref: str, sets: tuple[str, ...]) -> dict[str, dict]:
        """Headline numbers per eval set, read from the eval version's metrics.json."""
        resolved = ws.resolve(eval_ref)
        data = json.loads((resolved.path / "metrics.json").read_text(encoding="utf-8"))
        (model,) = data["models"].values()
        return {name: headline(model["sets"][name]) for name in sets}

    # -- the report ------------------------------------------------------------------------------------------
    def shown(self) -> list:
        return shown_records(self.grid, self.s, read_cells(self.cells), self.data_identity(), self.digest)

    def write_report(self) -> int:
        """Rewrite the page from the recorded cells of these settings; without any, leave it as it is (a
        page of empty tables never replaces one that has numbers). Returns the number of cells shown."""
        from pafas_cli.workspace import disk_error

        shown = self.shown()
        if not shown:
            return 0
        text = render(self.grid, self.paper, self.s, shown, self.commits, cells_file=_display(self.cells))
        try:
            self.report.parent.mkdir(parents=True, exist_ok=True)
            self.report.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise disk_error(exc, self.report) from exc
        return len(shown)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on `path` (created if absent) for the duration of the block."""
    import fcntl

    from pafas_cli.workspace import disk_error

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a")
    except OSError as exc:
        raise disk_error(exc, path) from exc
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _display(path: Path) -> str:
    """`path` relative to the current folder when it is under it (the page names the committed file)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
