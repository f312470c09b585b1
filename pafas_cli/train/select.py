"""GRPO step selection on the source-domain dev set: keep the best step, stop when the dev reward stops rising.

The paper runs GRPO "as many steps as the reward keeps rising"; on a held-out domain that choice must not look at
the test faces. `DevSelection` scores the policy at the start, every `rl.select.every` optimiser steps and at the last step on a
fixed stratified subset of the paths version's *dev* set (source domains), keeps a copy of the weights of the
best step, stops training once `patience` evaluations in a row did not beat it, and at the end of training puts
the best weights back, so the version's saved model is the chosen step's (step 0 = the starting model, when
GRPO never beat it). The curve goes to `select.jsonl` (step, reward, each reward's mean); a checkpoint carries
the selection's state, so a resumed run continues it exactly.

Scoring is greedy, one answer per face: eval decodes greedily, so the chosen weights are those whose answers
eval will read, and a greedy score has no sampling noise, which with 64 faces and one sample each would let
`patience` stop a run at random. The reward functions and weights are the run's own.

Every rank scores (the same faces, deterministically, so all ranks make the same decision); rank 0 writes.
ZeRO-3 shards the weights, whose copy this keeps whole: use selection with one process, DDP or ZeRO-2.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from pafas_cli.train.callbacks import SELECT_FILE
from pafas_cli.train.config import RLSection, SelectSection

STATE_FILE = "select_state.json"
WEIGHTS_FILE = "select_best.safetensors"

Score = Callable[[Any], dict[str, float]]


class DevSelection(TrainerCallback):
    """Score every `cfg.every` steps with `score(model) -> {"reward": mean, ...}`; keep and restore the best.

    `log` is the version folder (rank 0; None on the others); `resume` the checkpoint a resumed run starts
    from (its selection state is read from there)."""

    def __init__(self, score: Score, cfg: SelectSection, log: Path | None = None, resume: Path | None = None):
        self.score, self.cfg, self.log, self.resume = score, cfg, log, resume
        self.curve: list[dict] = []
        self.best_step: int | None = None
        self.best_reward = float("-inf")
        self.best_state: dict | None = None
        self.since = 0  # evaluations since the best

    # -- the trainer's events --------------------------------------------------------------------------------
    def on_train_begin(self, args, state, control, model=None, **kwargs):
        if self.resume is not None and (self.resume / STATE_FILE).is_file():
            self._load(self.resume)
            return
        from pafas_cli.train.resume import checkpoint_step

        self._evaluate(checkpoint_step(self.resume) if self.resume else state.global_step, model, control,
                       state.is_world_process_zero)

    def on_step_end(self, args, state, control, model=None, **kwargs):
        if state.global_step % self.cfg.every == 0:
            self._evaluate(state.global_step, model, control, state.is_world_process_zero)

    def on_save(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            self._save(Path(args.output_dir) / f"checkpoint-{state.global_step}")

    def on_train_end(self, args, state, control, model=None, **kwargs):
        if self.curve and self.curve[-1]["step"] != state.global_step and self.since < self.cfg.patience:
            self._evaluate(state.global_step, model, control, state.is_world_process_zero)  # the last step too
        if self.best_state is not None:
            model.load_state_dict(self.best_state)

    # -- what a run records ----------------------------------------------------------------------------------
    def summary(self) -> dict[str, float | int | bool]:
        """Manifest metrics: the chosen step, its dev reward, the first one, how many evaluations, stopped early."""
        if not self.curve:
            return {}
        return {"select_step": self.best_step, "select_reward": round(self.best_reward, 4),
                "select_reward_start": round(self.curve[0]["reward"], 4), "select_evaluations": len(self.curve),
                "select_stopped": self.since >= self.cfg.patience}

    # -- inside ------------------------------------------------------------------------------------------------
    def _evaluate(self, step: int, model: Any, control: Any, main: bool) -> None:
        point = {"step": step, **self.score(model)}
        self.curve.append(point)
        if point["reward"] > self.best_reward:
            self.best_step, self.best_reward, self.since = step, point["reward"], 0
            self.best_state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
        else:
            self.since += 1
            control.should_training_stop = self.since >= self.cfg.patience
        if main and self.log is not None:
            with (self.log / SELECT_FILE).open("a", encoding="utf-8") as fh:
                fh.write(json.dumps({**point, "best_step": self.best_step}) + "\n")

    def _save(self, folder: Path) -> None:
        from safetensors.torch import save_file

        folder.mkdir(parents=True, exist_ok=True)
        state = {"curve": self.curve, "best_step": self.best_step, "best_reward": self.best_reward,
                 "since": self.since}
        (folder / STATE_FILE).write_text(json.dumps(state), encoding="utf-8")
        if self.best_state is not None:
            save_file({k: v.contiguous() for k, v in self.best_state.items()}, str(folder / WEIGHTS_FILE))

    def _load(self, folder: Path) -> None:
        from safetensors.torch import load_file

        state = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
        self.curve, self.best_step = state["curve"], state["best_step"]
        self.best_reward, self.since = float(state["best_reward"]), int(state["since"])
        weights = folder / WEIGHTS_FILE
        self.best_state = load_file(str(weights)) if weights.is_file() else None


def dev_scorer(cfg: RLSection, paths_dir: Path, processor: Any, taxonomy: Any, seed: int) -> Score:
    """`score(model)`: the greedy answers' mean weighted reward on `cfg.select.faces` dev faces (drawn once,
    stratified by label, domain and attack type, with `seed`), and each reward's mean (None = no credit, as
    TRL sums them)."""
    from pafas_cli.infer.generate import chat_texts, generate
    from pafas_cli.infer.report import attack_type
    from pafas_cli.infer.subsample import stratified_indices
    from pafas_cli.paths.store import load_eval
    from pafas_cli.train.grpo import reward_functions

    ds = load_eval(paths_dir, "dev")
    strata = list(zip(ds["label"], ds["domain"], map(attack_type, ds["attack"])))
    ds = ds.select(stratified_indices(strata, cfg.select.faces, seed))
    chats, images = chat_texts(processor, ds["prompt"]), [list(i) for i in ds["images"]]
    columns = {c: ds[c] for c in ds.column_names if c not in ("prompt", "images")}  # what GRPO hands rewards
    funcs, weights = reward_functions(cfg, taxonomy)

    def score(model: Any) -> dict[str, float]:
        training = model.training
        model.eval()
        texts: list[str] = []
        try:
            for start in range(0, len(chats), cfg.batch_size):
                end = start + cfg.batch_size
                texts += generate(model, processor, chats[start:end], images[start:end],
                                  cfg.max_completion_length).texts
        finally:
            model.train(training)
        per_face = {fn.__name__: fn(texts, **columns) for fn in funcs}
        total = [sum(w * (values[i] or 0.0) for w, values in zip(weights, per_face.values()))
                 for i in range(len(texts))]
        means = {f"rewards/{name}": statistics.fmean(v for v in values if v is not None)
                 for name, values in per_face.items() if any(v is not None for v in values)}
        return {"reward": statistics.fmean(total), **means}

    return score
