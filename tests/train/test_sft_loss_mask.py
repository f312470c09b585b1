"""SFT trains on the assistant turn only: what the collated labels keep is exactly the answer text."""

from __future__ import annotations

import torch

from pafas_cli.config import load_recipe
from pafas_cli.model.loader import load_model
from pafas_cli.paths.store import load_sft
from pafas_cli.train import sft
from pafas_cli.train.session import RunDir


def test_labels_cover_the_assistant_answer_and_nothing_else(workspace, tmp_path):
    recipe = load_recipe("quickstart/sft.yaml", [])
    loaded = load_model("model:latest", workspace)
    data = load_sft(workspace.latest("paths").path)
    run = RunDir(path=tmp_path, checkpoint=None, is_main=True, rank=0, world_size=1)
    trainer = sft.build_trainer(recipe.sft, 0, loaded.model, loaded.processor, data, run)

    rows = [data[0], data[1]]
    batch = trainer.data_collator([dict(r) for r in rows])
    tokenizer = loaded.processor.tokenizer
    for i, row in enumerate(rows):
        kept = batch["labels"][i][batch["labels"][i] != -100]
        answer = row["completion"][0]["content"][0]["text"]
        assert tokenizer.decode(kept).startswith(answer)
        assert tokenizer.decode(kept)[len(answer):].strip() == "<|im_end|>"
        image_token = loaded.model.config.image_token_id
        assert int((batch["input_ids"][i] == image_token).sum()) > 0
        assert not torch.any((batch["input_ids"][i] == image_token) & (batch["labels"][i] != -100))
