"""`pafas sft`: supervised fine-tuning on the path-augmented, answer-shuffled SFT set (TRL SFTTrainer).

One process:  pafas sft --recipe quickstart/sft.yaml
N processes:  pafas sft --num-processes N   (torchrun; or `accelerate launch --config_file
              recipes/accelerate/ddp.yaml -m pafas_cli sft` on GPUs)
Writes sft/vNNN: model/ (HF folder + processor), metrics.jsonl, loss.png, spec.json, manifest.json.
The plan (`train.plan.resolve_sft`) has checked the inputs; this reads top to bottom: data, model, train,
save, summarise.
"""

from __future__ import annotations

from pathlib import Path

from pafas_cli.train.plan import TrainPlan


def run(plan: TrainPlan) -> Path | None:
    """Train the plan's model on its paths version's SFT set; the version folder on rank 0, else None."""
    from pafas_cli.model.loader import load_model
    from pafas_cli.paths.store import load_sft
    from pafas_cli.spec import write_spec
    from pafas_cli.train import launch, sft
    from pafas_cli.train.checks import check_dataset, check_model
    from pafas_cli.train.fit import fit, print_summary, summarise
    from pafas_cli.train.plots import plot_curves
    from pafas_cli.train.save import save_trained
    from pafas_cli.train.session import quiet_libraries, training_version
    from pafas_cli.train.tracking import attach as attach_trackers, tracking_environment

    if plan.relaunch:
        launch.relaunch("sft", plan.recipe, plan.workspace.root, plan.resume, plan.processes)
        return None
    cfg, ws = plan.section, plan.workspace
    quiet_libraries()
    dataset = load_sft(plan.paths.path)
    check_dataset(dataset, sft.SFT_COLUMNS, "prompt", f"sft.paths ({plan.paths.ref} -> {plan.paths.path})")
    loaded = load_model(plan.model.ref, ws)
    check_model(loaded.model, loaded.processor, f"sft.model ({cfg.model})")
    with training_version(plan) as run:
        trainer = sft.build_trainer(cfg, plan.seed, loaded.model, loaded.processor, dataset, run)
        attach_trackers(trainer, run.path)
        with tracking_environment(cfg.report_to, run.path):
            records = fit(trainer, run, "sft", sft.SHOWN)
        save_trained(trainer, cfg, run.path, run.is_main, loaded.processor,
                     load_base=lambda: load_model(plan.model.ref, ws, device="cpu").model)
        if run.is_main:
            metrics = {**summarise(records, sft.SUMMARY_KEYS), "world_size": run.world_size}
            plot_curves(records, ("loss", "grad_norm", "learning_rate"), run.path / "loss.png", f"sft ({cfg.model})")
            write_spec(run.path, plan.spec)
            run.record(metrics)
            print_summary("sft: key metrics", metrics)
    return run.writer.path if run.writer else None
