"""`pafas eval` end to end on a real paths version and two tiny models."""

from __future__ import annotations

import json

import pytest

from pafas_cli.commands.eval import run
from pafas_cli.errors import PafasError
from pafas_cli.infer.faithfulness import reasoning_rates
from pafas_cli.infer.plan import eval_set_names, resolve_eval
from pafas_cli.paths.clauses import ClauseReader
from pafas_cli.paths.tree import version_tree


def _eer_threshold_by_counting(labels, scores):
    """The observed score where the share of spoofs accepted (score >= t) and of lives rejected are closest, then
    the fewest errors, then the highest score: plain counting in exact fractions, independent of pafas."""
    from fractions import Fraction

    spoofs = [s for s, y in zip(scores, labels) if y == 0]
    lives = [s for s, y in zip(scores, labels) if y == 1]
    keys = []
    for t in set(scores):
        fpr = Fraction(sum(s >= t for s in spoofs), len(spoofs))
        fnr = Fraction(sum(s < t for s in lives), len(lives))
        keys.append((abs(fpr - fnr), fpr + fnr, -t))
    return -min(keys)[2]


def _hter_by_counting(labels, scores, threshold):
    spoofs = [s for s, y in zip(scores, labels) if y == 0]
    lives = [s for s, y in zip(scores, labels) if y == 1]
    return (sum(s >= threshold for s in spoofs) / len(spoofs) + sum(s < threshold for s in lives) / len(lives)) / 2


def test_set_names_and_option_errors():
    assert eval_set_names("test", None) == ["test"]
    assert eval_set_names("test", "P2") == ["test", "test_missing_depth", "test_missing_ir", "test_missing_both"]
    assert eval_set_names("dev", "P1") == ["dev"]
    with pytest.raises(PafasError, match="--split must be dev or test"):
        eval_set_names("train", None)
    with pytest.raises(PafasError, match="--protocol must be one of P1, P2, P3"):
        eval_set_names("test", "P9")


@pytest.mark.slow
def test_eval_two_models_p2_writes_recomputable_results(mini_workspace, capsys):
    ws, recipe = mini_workspace
    run(resolve_eval(recipe, ws, models=["model:v001", "model:v002"], protocol="P2"))
    out = capsys.readouterr().out
    version = ws.latest("eval")
    assert version is not None and version.status == "complete"
    folder = version.path
    for name in ("metrics.json", "predictions.jsonl", "roc.png", "confusion.png"):
        assert (folder / name).stat().st_size > 0
    assert (folder / "roc.png").read_bytes()[:4] == b"\x89PNG"
    metrics = json.loads((folder / "metrics.json").read_text())
    assert list(metrics["models"]) == ["model:v001", "model:v002"]
    assert metrics["sets"] == ["test", "test_missing_depth", "test_missing_ir", "test_missing_both"]
    rows = [json.loads(line) for line in (folder / "predictions.jsonl").read_text().splitlines()]
    reader = ClauseReader(version_tree(ws.resolve("paths:latest").path))
    # 2 models x (dev 8 + its 3 missing-modality copies x 8 + 4 test sets x 8)
    assert len(rows) == 2 * 64
    assert {"id", "domain", "attack", "modalities", "label", "score", "decision", "threshold", "reasoning",
            "answer"} <= set(rows[0])
    for model, m in metrics["models"].items():
        dev = [r for r in rows if r["model"] == model and r["set"] == "dev"]
        assert m["dev_threshold"] == _eer_threshold_by_counting([r["label"] for r in dev], [r["score"] for r in dev])
        for set_name in metrics["sets"]:
            sub = [r for r in rows if r["model"] == model and r["set"] == set_name]
            assert {r["threshold"] for r in sub} == {m["dev_threshold"]}
            again = _hter_by_counting([r["label"] for r in sub], [r["score"] for r in sub], m["dev_threshold"])
            assert m["sets"][set_name]["honest"]["hter"] == pytest.approx(again)
            assert all(r["decision"] == int(r["score"] >= r["threshold"]) for r in sub)
            # the reasoning rates, recomputed from the file with the paths version's tree
            assert m["sets"][set_name]["reasoning"] == reasoning_rates(sub, reader)
            assert m["sets"][set_name]["reasoning"]["counts"]["faces"] == 8
            assert (m["sets"][set_name]["reasoning"]["hallucination_rate"] is None) == (set_name == "test")
        missing = [r for r in rows if r["model"] == model and r["set"] == "test_missing_both"]
        assert all(r["modalities"] == ["rgb"] for r in missing)
        # Each condition's threshold is the EER threshold of the dev set with the same modalities missing, and
        # its HTER is the matching test set's at that threshold (counted here, not by pafas).
        assert set(m["conditions"]) == {"missing_depth", "missing_ir", "missing_both"}
        for condition, c in m["conditions"].items():
            dev_c = [r for r in rows if r["model"] == model and r["set"] == f"dev_{condition}"]
            test_c = [r for r in rows if r["model"] == model and r["set"] == f"test_{condition}"]
            assert (c["dev_set"], c["test_set"]) == (f"dev_{condition}", f"test_{condition}")
            assert len(dev_c) == 8 and all(r["modalities"] != ["rgb", "depth", "ir"] for r in dev_c)
            assert c["dev_threshold"] == _eer_threshold_by_counting([r["label"] for r in dev_c],
                                                                    [r["score"] for r in dev_c])
            assert c["hter"] == pytest.approx(_hter_by_counting([r["label"] for r in test_c],
                                                                [r["score"] for r in test_c], c["dev_threshold"]))
        assert set(m["sets"]["test"]["per_domain"]) == {"C"}
        assert {"Flat Print Attack", "Mobile Screen Replay Attack"} == set(
            m["sets"]["test"]["honest"]["apcer_per_attack"])
    assert "model:v001" in out and "model:v002" in out and "HTER @oracle thr" in out
    assert "clause accuracy" in out and "cites a missing modality" in out
    assert version.manifest["metrics"]["HTER @dev thr"] == metrics["models"]["model:v001"]["sets"]["test"][
        "honest"]["hter"]


@pytest.mark.slow
def test_eval_errors_are_clear(mini_workspace):
    ws, recipe = mini_workspace
    with pytest.raises(PafasError, match="at least one model"):
        run(resolve_eval(recipe, ws, models=[]))
    with pytest.raises(PafasError, match="no complete 'rl' version"):
        run(resolve_eval(recipe, ws, models=["rl:latest"]))
    with pytest.raises(PafasError, match="given twice"):
        run(resolve_eval(recipe, ws, models=["model:v001", "model:v001"]))


def test_protocol_2_on_paths_without_its_sets_names_the_build_that_makes_them(mini_workspace, tmp_path):
    """A Protocol-1 paths version (the demo's) has no missing-modality copies: the error says how to build them."""
    import shutil

    ws, recipe = mini_workspace
    copy = tmp_path / "paths-p1"
    shutil.copytree(ws.latest("paths").path, copy, ignore=shutil.ignore_patterns("test_missing_*"))
    with pytest.raises(PafasError, match=r"no eval set 'test_missing_depth'.*`pafas build-paths --set "
                                         r"data\.protocol=P2`"):
        resolve_eval(recipe, ws, models=["model:v001"], paths=str(copy), protocol="P2")
    shutil.rmtree(copy / "eval" / "test")
    with pytest.raises(PafasError, match=r"no eval set 'test'.*`pafas build-paths`$"):
        resolve_eval(recipe, ws, models=["model:v001"], paths=str(copy))
