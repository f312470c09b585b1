"""`pafas sft`: supervised fine-tuning on the path-augmented, answer-shuffled SFT set (TRL SFTTrainer).

One process:  pafas sft --recipe quickstart/sft.yaml
N processes:  pafas sft --num-processes N   (torchrun; or `accelerate launch --config_file
              recipes/accelerate/ddp.yaml -m pafas_cli sft` on GPUs)
Writes sft/vNNN: model/ (HF folder + processor), metrics.jsonl, loss.png, manifest.json.
"""

from __future__ import annotations

from pafas_cli.config import Recipe
from pafas_cli.train import launch
from pafas_cli.workspace import Workspace


def run(recipe: Recipe, ws: Workspace, resume: str = "auto", num_processes: int = 1) -> None:
    if launch.needs_relaunch(num_processes):
        launch.relaunch("sft", recipe, ws.root, resume, num_processes)
        return
    from pafas_cli.paths.store import load_sft
    from pafas_cli.train import sft
    from pafas_cli.train.stage import StageSpec, train_stage

    spec = StageSpec(
        name="sft",
        load_dataset=load_sft,
        columns=sft.SFT_COLUMNS,
        conversation_column="prompt",
        build_trainer=sft.build_trainer,
        shown=sft.SHOWN,
        summary_keys=sft.SUMMARY_KEYS,
        plot_keys=("loss", "grad_norm", "learning_rate"),
        plot_file="loss.png",
    )
    train_stage(spec, recipe.sft, recipe, ws, resume)
