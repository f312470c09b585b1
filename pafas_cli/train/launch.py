"""Multi-process training: `--num-processes N` re-executes the stage under torchrun.

Run on one device:   pafas sft
Run on N processes:  pafas sft --num-processes N          (torchrun; gloo on CPU, NCCL on GPUs)
or, with an accelerate config (DDP / DeepSpeed ZeRO-2/3 on GPUs):
    accelerate launch --config_file recipes/accelerate/zero2.yaml -m pafas_cli sft --recipe paper/sft.yaml
(On CPU, `accelerate launch --cpu --num_processes 2` silently runs ONE process; use torchrun semantics.)

Every rank runs the same `pafas` command (the CLI entry point, `python -m pafas_cli`); what the ranks
share lives in `train.distributed`. This module only starts them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from pafas_cli.console import console
from pafas_cli.errors import PafasError
from pafas_cli.train.distributed import world_size


def needs_relaunch(num_processes: int) -> bool:
    """True when the user asked for N > 1 processes and we are not already inside a launcher."""
    if num_processes < 1:
        raise PafasError(f"--num-processes must be >= 1, got {num_processes}")
    return num_processes > 1 and world_size() == 1


def relaunch(stage: str, recipe: Any, workspace: Path, resume: str, num_processes: int) -> None:
    """Run `stage` under `torch.distributed.run` with `num_processes` ranks and wait for it."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", prefix=f"pafas-{stage}-", delete=False) as fh:
        yaml.safe_dump(recipe.to_dict(), fh, sort_keys=False)
        recipe_file = Path(fh.name)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(num_processes),
           "-m", "pafas_cli", "--workspace", str(workspace), stage, "--recipe", str(recipe_file), "--resume", resume]
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // num_processes)))
    console.print(f"launching {num_processes} processes: torchrun --standalone --nproc_per_node {num_processes} "
                  f"-m pafas_cli {stage} ...")
    try:
        code = subprocess.call(cmd, env=env)
    finally:
        recipe_file.unlink(missing_ok=True)
    if code != 0:
        raise PafasError(f"{stage}: a training process exited with code {code} (see the output above); "
                         f"the unfinished version is kept for `pafas {stage} --resume auto`")
