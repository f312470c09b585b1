"""`pafas rl`: GRPO on the RL set with registry rewards (TRL GRPOTrainer), from `sft:latest` by default.

One process:  pafas rl --recipe quickstart/grpo.yaml
N processes:  pafas rl --num-processes N   (torchrun; or `accelerate launch --config_file
              recipes/accelerate/zero2.yaml -m pafas_cli rl --recipe paper/grpo.yaml` on GPUs)
Writes rl/vNNN: model/, metrics.jsonl (per-reward means, frac_reward_zero_std, lengths),
completions.jsonl (sampled completions per logging step), rewards.png, spec.json, manifest.json; with
`rl.select`, select.jsonl (the dev reward curve) and the chosen step as the model (train/select.py).
The plan (`train.plan.resolve_rl`) has settled the answer format and the completion budget and holds the
starting model's processor; this reads top to bottom: data, model, train, save, summarise.
"""

from __future__ import annotations

from pathlib import Path

from pafas_cli.train.plan import TrainPlan


def run(plan: TrainPlan) -> Path | None:
    """GRPO from the plan's model on its paths version's RL set; the version folder on rank 0, else None."""
    from pafas_cli.model.loader import load_model
    from pafas_cli.paths.store import load_rl
    from pafas_cli.spec import write_spec
    from pafas_cli.train import grpo, launch, select
    from pafas_cli.train.checks import check_dataset, check_model
    from pafas_cli.train.fit import fit, print_summary, summarise
    from pafas_cli.train.plots import plot_curves
    from pafas_cli.train.save import save_trained
    from pafas_cli.train.session import quiet_libraries, training_version
    from pafas_cli.train.tracking import attach as attach_trackers, tracking_environment

    if plan.relaunch:
        launch.relaunch("rl", plan.recipe, plan.workspace.root, plan.resume, plan.processes)
        return None
    cfg, ws = plan.section, plan.workspace
    quiet_libraries()
    dataset = load_rl(plan.paths.path)
    columns = grpo.columns(cfg)
    check_dataset(dataset, columns, "prompt", f"rl.paths ({plan.paths.ref} -> {plan.paths.path})")
    loaded = load_model(plan.model.ref, ws, processor=plan.processor)
    check_model(loaded.model, loaded.processor, f"rl.model ({cfg.model})")
    keys = grpo.summary_keys(cfg)
    with training_version(plan) as run:
        trainer = grpo.build_trainer(cfg, plan.seed, loaded.model, loaded.processor, dataset, run, plan.taxonomy)
        selection = None
        if cfg.select.every:  # the best dev step's weights are put back at the end of training
            score = select.dev_scorer(cfg, plan.paths.path, loaded.processor, plan.taxonomy, plan.seed)
            selection = select.DevSelection(score, cfg.select, run.path if run.is_main else None, run.checkpoint)
            trainer.add_callback(selection)
        attach_trackers(trainer, run.path)
        with tracking_environment(cfg.report_to, run.path):
            records = fit(trainer, run, "rl", grpo.shown_metrics(cfg), cfg.log_completions)
        save_trained(trainer, cfg, run.path, run.is_main, loaded.processor,
                     load_base=lambda: load_model(plan.model.ref, ws, device="cpu").model)
        if run.is_main:
            metrics = {**summarise(records, keys), "world_size": run.world_size,
                       **(selection.summary() if selection else {})}
            plot_curves(records, keys, run.path / "rewards.png", f"rl ({cfg.model})")
            write_spec(run.path, plan.spec)
            run.record(metrics)
            print_summary("rl: key metrics", metrics)
    return run.writer.path if run.writer else None
