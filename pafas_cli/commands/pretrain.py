"""`pafas pretrain`: give the tiny VLM perception learned elsewhere before it meets a FAS label.

Next-token training (TRL SFTTrainer, as `pafas sft`) on the pretraining corpus: scenes of materials and
objects, never faces, seen through the benchmark's sensor models under randomised capture settings, each
described per sensor in the reasoning tree's observation words (docs/pretraining.md). Then the perception
probe: a logistic regression on the vision features of the model before and after, fitted on each Protocol-1
split's labelled source faces and scored on its held-out domain. The three-stream CNN is pretrained on the
same scenes' attributes, so the baseline can start from the same advantage (`baseline.init: pretrain:latest`).

    pafas init-model --set model.corpus=true      # a start whose tokenizer covers the corpus (= the scratch model)
    pafas pretrain                                # -> pretrain/vNNN: model/, cnn_trunk.pt, metrics.json
    pafas sft --set sft.model=pretrain:latest

Writes pretrain/vNNN: model/ (HF folder + processor), metrics.jsonl, loss.png, metrics.json (`probe`:
{split: {pretrained_auc, scratch_auc}}, the CNN's attribute loss), cnn_trunk.pt, spec.json, manifest.json.
"""

from __future__ import annotations

from pathlib import Path

from pafas_cli.train.plan import TrainPlan


def run(plan: TrainPlan) -> Path | None:
    """Pretrain the plan's model on the corpus and probe it; the version folder on rank 0, else None."""
    from dataclasses import replace

    from pafas_cli.console import console, kv_table
    from pafas_cli.data.pretrain.version import ensure_corpus
    from pafas_cli.errors import PafasError
    from pafas_cli.model.loader import load_model
    from pafas_cli.pretrain.leaks import find_leaks
    from pafas_cli.pretrain.probe import probe, probe_sets
    from pafas_cli.pretrain.rows import corpus_texts, load_corpus
    from pafas_cli.spec import write_spec
    from pafas_cli.train import launch, sft
    from pafas_cli.train.checks import check_dataset, check_model
    from pafas_cli.train.fit import fit, print_summary, summarise
    from pafas_cli.train.plots import plot_curves
    from pafas_cli.train.save import save_trained
    from pafas_cli.train.session import quiet_libraries, training_version
    from pafas_cli.workspace import write_json

    if plan.relaunch:
        launch.relaunch("pretrain", plan.recipe, plan.workspace.root, plan.resume, plan.processes)
        return None
    cfg, ws, recipe = plan.section, plan.workspace, plan.recipe
    quiet_libraries()
    corpus = ensure_corpus(cfg.corpus, ws)
    leaks = find_leaks(list(corpus_texts(corpus.path)), _taxonomy(plan).nodes)
    if leaks:
        raise PafasError(f"{corpus.ref}: {len(leaks)} corpus texts name what the corpus must not teach, e.g. "
                         f"'{leaks[0].term}' ({leaks[0].kind}) in: {leaks[0].text}")
    dataset = load_corpus(corpus.path, "train")
    check_dataset(dataset, sft.SFT_COLUMNS, "prompt", f"pretrain corpus ({corpus.ref} -> {corpus.path})")
    loaded = load_model(plan.model.ref, ws)
    check_model(loaded.model, loaded.processor, f"pretrain.model ({cfg.model})")
    side = plan.spec.image_size
    sets = probe_sets(ws, plan.seed, cfg.probe.n_train, tuple(cfg.probe.splits), recipe.data)
    with console.status(f"probing {plan.model.ref}'s vision features before pretraining"):
        scratch = probe(loaded.model, loaded.processor, sets, plan.seed, cfg.probe.batch_size, side)
    with training_version(plan, inputs=[corpus.as_input("corpus")]) as run:
        trainer = sft.build_trainer(cfg, plan.seed, loaded.model, loaded.processor, dataset, run)
        records = fit(trainer, run, "pretrain", sft.SHOWN)
        save_trained(trainer, cfg, run.path, run.is_main, loaded.processor,
                     load_base=lambda: load_model(plan.model.ref, ws, device="cpu").model)
        if run.is_main:
            with console.status("probing the pretrained model's vision features"):
                pretrained = probe(trainer.model, loaded.processor, sets, plan.seed, cfg.probe.batch_size, side)
            cnn = _pretrain_cnn(recipe, corpus.path, run.path, side or recipe.paths.image_size, corpus.ref)
            found = {split: {"pretrained_auc": pretrained[split], "scratch_auc": scratch[split]} for split in sets}
            write_json(run.path / "metrics.json", {"probe": found, "start": plan.model.ref, "corpus": corpus.ref,
                                                   "cnn": cnn})
            metrics = {**summarise(records, sft.SUMMARY_KEYS), "world_size": run.world_size,
                       **{f"probe_{split}_pretrained": v["pretrained_auc"] for split, v in found.items()},
                       **{f"probe_{split}_scratch": v["scratch_auc"] for split, v in found.items()},
                       "cnn_val_loss": cnn["val_loss"]}
            plot_curves(records, ("loss", "grad_norm", "learning_rate"), run.path / "loss.png",
                        f"pretrain ({cfg.model})")
            write_spec(run.path, replace(plan.spec, details={"corpus": corpus.ref}))
            run.record(metrics)
            print_summary("pretrain: key metrics", metrics)
            console.print(kv_table("perception probe (held-out domain AUC of a logistic regression on the vision "
                                   "features)", {split: f"{v['scratch_auc']:.3f} -> {v['pretrained_auc']:.3f}"
                                                 for split, v in found.items()}))
    return run.writer.path if run.writer else None


def _taxonomy(plan: TrainPlan):
    """The taxonomy the start model's data uses (its paths version's copy), else the shipped one."""
    from pafas_cli.paths.taxonomy import default_taxonomy, version_taxonomy

    paths = plan.spec.paths if plan.spec else None
    return version_taxonomy(Path(paths)) if paths and Path(paths).is_dir() else default_taxonomy()


def _pretrain_cnn(recipe, corpus: Path, out: Path, side: int, corpus_ref: str) -> dict:
    """The three-stream CNN's attribute pretraining on the same corpus, saved as `out/cnn_trunk.pt`."""
    from pafas_cli.baseline.data import load_corpus_faces
    from pafas_cli.baseline.pretrain import TRUNK_FILE, attribute_loss, pretrain_trunk, save_trunk

    faces = load_corpus_faces(corpus, "train", side)
    held_out = load_corpus_faces(corpus, "val", side)
    model, heads = pretrain_trunk(faces, recipe.pretrain.cnn, recipe.baseline.width, recipe.seed)
    loss = round(attribute_loss(model, heads, held_out), 4)
    save_trunk(model, out / TRUNK_FILE, recipe.baseline.width, {"corpus": corpus_ref, "val_loss": loss})
    return {"val_loss": loss, "scenes": len(faces), "val_scenes": len(held_out), "width": recipe.baseline.width,
            "epochs": recipe.pretrain.cnn.epochs}
