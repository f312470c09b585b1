"""The thresholds `pafas serve` decides at per missing-modality condition: read from the newest eval of this very
model (fake eval versions in a real workspace), given by hand, or start-up refused."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pafas_cli.commands.serve import prepare
from pafas_cli.config import load_recipe
from pafas_cli.errors import PafasError
from serve_helpers import add_eval

CONDITIONS = {"missing_depth": (0.71, 0.3), "missing_ir": (0.82, None), "missing_both": (0.93, 0.45)}


def _prepare(ws, *args, **kwargs):
    """`pafas serve`'s start-up plan (the model, its reading, its thresholds) with the default recipe."""
    return prepare(load_recipe(None, []), ws, *args, **kwargs)


def test_the_condition_thresholds_come_from_the_eval_the_full_threshold_comes_from(ws):
    from pafas_cli.infer.models import model_condition_thresholds, model_dev_threshold

    model = ws.resolve("model:v001")
    assert model_condition_thresholds(ws, model) == {}, "no eval evaluated it"
    add_eval(ws, ["model:v001"], [0.2], conditions=CONDITIONS)  # eval:v001
    add_eval(ws, ["model:v002", "model:v001"], [0.9, 0.6], conditions={"missing_ir": (0.55, 0.25)},
             test_hter=0.125)  # eval:v002: model:v001 is its second model
    add_eval(ws, ["model:v002"], [0.8])  # eval:v003: another model only
    with pytest.raises(RuntimeError):
        add_eval(ws, ["model:v001"], [0.1], status_ok=False, conditions=CONDITIONS)  # failed, never read
    found = model_condition_thresholds(ws, model)
    assert list(found) == ["missing_ir"], "the newest eval of this model, not an older one with more conditions"
    ir = found["missing_ir"]
    assert (ir.value, ir.eval_ref, ir.dev_set, ir.test_set, ir.hter) == (0.55, "eval:v002", "dev_missing_ir",
                                                                        "test_missing_ir", 0.25)
    full = model_dev_threshold(ws, model)
    assert (full.value, full.eval_ref, full.hter) == (0.6, "eval:v002", 0.125)
    assert model_condition_thresholds(ws, ws.resolve("model:v002")) == {}, "eval:v003 measured none"


@pytest.mark.fault
@pytest.mark.parametrize(("conditions", "why"), [
    ("a list", "'conditions' is not a mapping"),
    ({"missing_ir": {"hter": 0.2}}, "conditions.missing_ir has no dev_threshold"),
    ({"missing_ir": {"dev_threshold": "high"}}, "'high' is not a number"),
    ({"missing_ir": {"dev_threshold": float("nan")}}, "a non-finite value"),
])
def test_a_malformed_conditions_entry_is_an_error_naming_the_file(ws, conditions, why):
    import json

    from pafas_cli.infer.models import model_condition_thresholds

    folder = add_eval(ws, ["model:v001"], [0.2])
    metrics = json.loads((folder / "metrics.json").read_text())
    metrics["models"]["model:v001"]["conditions"] = conditions
    (folder / "metrics.json").write_text(json.dumps(metrics))
    with pytest.raises(PafasError) as exc:
        model_condition_thresholds(ws, ws.resolve("model:v001"))
    message = str(exc.value)
    assert message.startswith("eval:v001 evaluated model:v001, but its ") and str(folder / "metrics.json") in message
    assert why in message and "--condition-threshold" in message and "\n" not in message


def test_serve_takes_each_reachable_condition_from_the_eval_or_the_command_line(ws):
    add_eval(ws, ["model:v001"], [0.4], conditions={"missing_ir": (0.82, 0.3), "missing_depth": (0.71, None)})
    strict = _prepare(ws, "model:v001").policy
    assert strict.allow_missing == () and list(strict.thresholds) == ["full"]
    policy = _prepare(ws, "model:v001", allow_missing=["ir"]).policy
    assert list(policy.thresholds) == ["full", "missing_ir"]
    ir = policy.thresholds["missing_ir"]
    assert (ir.value, ir.source, ir.hter) == (0.82, "eval:v001", 0.3) and "dev_missing_ir" in ir.rule
    both = _prepare(ws, "model:v001", allow_missing=["depth,ir"], condition_thresholds=["missing_both=0.9",
                                                                                        "missing_ir=0.65"]).policy
    assert {name: (t.value, t.source) for name, t in both.thresholds.items()} == {
        "full": (0.4, "eval:v001"), "missing_depth": (0.71, "eval:v001"),
        "missing_both": (0.9, "--condition-threshold"), "missing_ir": (0.65, "--condition-threshold")}
    assert both.thresholds["missing_ir"].hter is None, "no HTER was measured at a threshold given by hand"


@pytest.mark.fault
def test_allowing_a_modality_without_a_calibrated_threshold_refuses_to_start(ws, monkeypatch):
    from pafas_cli.infer import models

    add_eval(ws, ["model:v001"], [0.4], conditions={"missing_ir": (0.82, 0.3)})
    with pytest.raises(PafasError, match=r"--allow-missing depth,ir: no threshold is calibrated for missing_depth "
                                         r"\(no eval of model:v001 measured one\): run `pafas eval --protocol P2 "
                                         r"--model model:v001`, or pass --condition-threshold missing_depth=T"):
        _prepare(ws, "model:v001", allow_missing=["depth", "ir"])
    with pytest.raises(PafasError, match="no threshold is calibrated for missing_ir"):
        _prepare(ws, "model:v002", allow_missing=["ir"], threshold=0.5)  # no eval at all, a full threshold given
    calls = []
    monkeypatch.setattr(models, "model_condition_thresholds", lambda *a: calls.append(a) or {})
    given = _prepare(ws, "model:v002", allow_missing=["ir"], threshold=0.5, condition_thresholds=["missing_ir=0.7"])
    assert given.policy.thresholds["missing_ir"].value == 0.7 and not calls, "no eval is read when none is needed"


@pytest.mark.fault
@pytest.mark.parametrize(("kwargs", "message"), [
    ({"allow_missing": ["rgb"]}, "--allow-missing rgb: the RGB image is always required"),
    ({"allow_missing": ["IR", "dpeth"]}, "--allow-missing dpeth: not a modality that may be missing; did you mean "
                                         "'depth'?"),
    ({"condition_thresholds": ["missing_ir"]}, "--condition-threshold missing_ir: expected CONDITION=THRESHOLD"),
    ({"condition_thresholds": ["mising_ir=0.5"]}, "'mising_ir' is no condition; did you mean 'missing_ir'?"),
    ({"condition_thresholds": ["missing_ir=1.5"]}, "the threshold must be a liveness score within 0-1"),
    ({"condition_thresholds": ["missing_ir=nan"]}, "the threshold must be a liveness score within 0-1"),
    ({"allow_missing": ["ir"], "condition_thresholds": ["missing_ir=0.5", "missing_ir=0.6"]}, "given twice"),
    ({"allow_missing": ["ir"], "condition_thresholds": ["missing_depth=0.5"]},
     "--condition-threshold missing_depth: no face can be in that condition unless --allow-missing includes depth"),
])
def test_bad_modality_options_are_refused_by_name(ws, kwargs, message):
    add_eval(ws, ["model:v001"], [0.4], conditions=CONDITIONS)
    with pytest.raises(PafasError) as exc:
        _prepare(ws, "model:v001", **kwargs)
    assert message in str(exc.value) and "\n" not in str(exc.value)


@pytest.mark.fault
def test_the_cli_refuses_an_uncalibrated_allow_missing_in_one_line_before_the_model_loads(ws):
    add_eval(ws, ["model:v001"], [0.4])
    env = {**os.environ, "PAFAS_WORKSPACE": str(ws.root), "HF_HUB_OFFLINE": "1", "COLUMNS": "400"}
    proc = subprocess.run([sys.executable, "-m", "pafas_cli", "serve", "--port", "0", "--model", "model:v001",
                           "--allow-missing", "ir"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --allow-missing ir: no threshold is calibrated for "
                                                   "missing_ir"), proc.stderr
    assert "serving" not in proc.stdout
