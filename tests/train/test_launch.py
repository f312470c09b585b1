"""The multi-process worker entry (`python -m pafas_cli.train.launch`): its error line."""

from __future__ import annotations

import pytest

from pafas_cli.env import OFFLINE_VARS
from pafas_cli.errors import PafasError
from pafas_cli.train import launch


@pytest.mark.fault
def test_worker_error_line_prints_bracketed_names_verbatim(tmp_path, monkeypatch, capsys):
    """The worker printed its PafasError as Rich markup: `[/x]` in a path crashed the printer on every rank."""
    import pafas_cli.commands.sft as sft

    for var in (*OFFLINE_VARS, "HF_HUB_DISABLE_TELEMETRY", "TOKENIZERS_PARALLELISM",
                "HF_DATASETS_DISABLE_PROGRESS_BARS", "HF_HUB_DISABLE_PROGRESS_BARS"):
        monkeypatch.setenv(var, "1")  # configure_network() writes these; monkeypatch restores them
    message = f"{tmp_path}/b[/x]_rgb.png: cannot read the rgb image; also [bold]a[x][/bold]"

    def fail(*args, **kwargs):
        raise PafasError(message)

    monkeypatch.setattr(sft, "run", fail)
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("seed: 0\n")
    with pytest.raises(SystemExit) as exit_:
        launch._worker(["sft", str(recipe), str(tmp_path / "ws"), "never"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.strip() == f"error: {message}"


@pytest.mark.fault
def test_worker_recipe_error_is_one_line_too(tmp_path, monkeypatch, capsys):
    for var in (*OFFLINE_VARS, "HF_HUB_DISABLE_TELEMETRY", "TOKENIZERS_PARALLELISM",
                "HF_DATASETS_DISABLE_PROGRESS_BARS", "HF_HUB_DISABLE_PROGRESS_BARS"):
        monkeypatch.setenv(var, "1")
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("sft:\n  learning_rate: .nan\n")
    with pytest.raises(SystemExit) as exit_:
        launch._worker(["sft", str(recipe), str(tmp_path / "ws"), "never"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.strip().startswith(f"error: {recipe}: 'sft.learning_rate' must be a finite number")
