"""The two commands docs/data.md gives per dataset, run as written on release-shaped fixtures, then `eval` of a
tiny model on each paths version; and the MMDG preset built from the four prepared outputs."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from release_layouts import casia_surf_kit, cefa_current, padisi_release, wmca_release
from pafas_cli.cli import app
from pafas_cli.workspace import Workspace

DOCS = Path(__file__).resolve().parents[3] / "docs" / "data.md"


def doc_commands() -> list[list[str]]:
    """Every `pafas ...` line of the bash blocks of docs/data.md, split as a shell would."""
    blocks = re.findall(r"```bash\n(.*?)```", DOCS.read_text(), re.S)
    return [shlex.split(line) for block in blocks for line in block.splitlines() if line.startswith("pafas ")]


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def pafas(*args: object) -> str:
    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.slow
def test_each_release_goes_from_download_to_an_evaluated_paths_version(tmp_path: Path):
    raws = {"casia-surf": casia_surf_kit(tmp_path / "CASIA-SURF"), "cefa": cefa_current(tmp_path / "CeFA"),
            "wmca": wmca_release(tmp_path / "WMCA"), "padisi": padisi_release(tmp_path / "PADISI")}
    out, ws_root = tmp_path / "prepared", tmp_path / "ws"
    ws = Workspace(ws_root)
    commands = doc_commands()
    refs = {}
    for dataset, raw in raws.items():
        (prepare,) = [c for c in commands if c[:3] == ["pafas", "prepare", dataset]]
        (build,) = [c for c in commands if c[:4] == ["pafas", "build-paths", "--data", dataset]]
        assert option(build, "--root") == option(prepare, "--out")  # the second command reads what the first wrote
        given = {option(prepare, "--root"): str(raw), option(prepare, "--out"): str(out)}
        printed = pafas(*[given.get(a, a) for a in prepare[1:]])
        assert f"next: pafas build-paths --data {dataset} --root {out}" in printed
        if dataset == "wmca":
            # A prepared frame that went missing is counted in build-paths' summary, not dropped silently.
            lost = next(out.glob("W/001_01_000_0_00/depth/*.png"))
            lost.unlink()
        printed = pafas("--workspace", ws_root, *[given.get(a, a) for a in build[1:]])
        if dataset == "wmca":
            assert "lines skipped" in printed and "train 1 of 30" in printed and lost.name in printed
        latest = ws.latest("paths")
        manifest = json.loads((latest.path / "manifest.json").read_text())
        assert manifest["data"]["protocol"] == "intra" and manifest["data"]["test"] > 0
        refs[dataset] = f"paths:{latest.version}"

    (preset,) = [c for c in commands if c[:4] == ["pafas", "build-paths", "--data", "list"]]
    pafas("--workspace", ws_root, *[str(out) if a == option(preset, "--root") else a for a in preset[1:]])
    latest = ws.latest("paths")
    data = json.loads((latest.path / "manifest.json").read_text())["data"]
    assert (data["protocol"], data["sources"], data["targets"]) == ("P1", "CPS", "W")
    assert {row["domain"] for row in data["counts"] if row["split"] == "train"} == {"C", "P", "S"}
    assert {row["domain"] for row in data["counts"] if row["split"] == "test"} == {"W"}
    assert "Funny Eyeglasses Attack" in {row["attack"] for row in data["counts"] if row["split"] == "test"}  # W only

    pafas("--workspace", ws_root, "init-model", "--paths", f"paths:{latest.version}")
    for dataset, ref in refs.items():
        pafas("--workspace", ws_root, "eval", "--model", "model:latest", "--paths", ref,
              "--set", "eval.max_new_tokens=4", "--set", "eval.max_samples=6")
        metrics = json.loads((ws.latest("eval").path / "metrics.json").read_text())
        (scores,) = metrics["models"].values()
        honest = scores["sets"]["test"]["honest"]
        assert honest["n"] <= 6 and honest["n_live"] >= 1 and honest["n_spoof"] >= 1, dataset
        assert list(scores["sets"]["test"]["per_domain"]) == [{"casia-surf": "S", "cefa": "C", "wmca": "W",
                                                              "padisi": "P"}[dataset]]
