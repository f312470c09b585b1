"""`distributed.close` at the CLI's exit: a launcher's group is torn down, also a group of one process
(`accelerate launch --num_processes 1`, DeepSpeed's one-GPU case); a command without torch imports none."""

import socket
import subprocess
import sys

from pafas_cli.train import distributed


def test_a_one_process_group_is_destroyed(monkeypatch):
    import torch.distributed as dist

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("WORLD_SIZE", "1")
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=0, world_size=1)
    try:
        distributed.close()
        assert not dist.is_initialized()
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def test_close_without_torch_imports_nothing():
    code = ("import sys; from pafas_cli.train import distributed; distributed.close(); "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
