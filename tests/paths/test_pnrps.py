import itertools
from collections import Counter
import random
import re

import pytest

from pafas_cli.paths.answer import format_answer, parse_answer, stated_conclusion
from pafas_cli.paths.pnrps import BACKWARD, FORWARD, PathSampler

SUBSETS = [m for r in (1, 2, 3) for m in itertools.combinations(("rgb", "depth", "ir"), r) if "rgb" in m]
SUBSETS.append(("depth", "ir"))
NAMES = {"rgb": "RGB", "depth": "Depth", "ir": "IR"}


def labels(taxonomy):
    """Every leaf path plus the shallow (binary) annotations."""
    shallow = [("Spoof Face",), ("Spoof Face", "Partial Spoofing Attacks")]
    return [taxonomy.path_to(leaf) for leaf in taxonomy.leaves] + shallow


@pytest.fixture(scope="module")
def drawn(tree, taxonomy):
    """20 paths for every label and modality subset."""
    sampler = PathSampler(tree, alpha=2.0, explore_rate=0.7, verify_rate=0.5)
    out = []
    for known, mods in itertools.product(labels(taxonomy), SUBSETS):
        rng = random.Random(f"t:{known}:{mods}")
        out += [(known, mods, sampler.sample(known, mods, rng)) for _ in range(20)]
    return sampler, out


def test_every_path_parses_and_concludes_the_true_class(drawn, taxonomy):
    sampler, paths = drawn
    for known, _, path in paths:
        text = format_answer(sampler.text(path), known)
        parsed = parse_answer(text, taxonomy)
        assert parsed.well_formed and parsed.nodes == known and parsed.deepest == known[-1]
        assert stated_conclusion(parsed.think, taxonomy) == known


def test_the_walk_enters_exactly_the_true_path_and_stops_at_the_known_depth(drawn):
    for known, _, path in drawn[1]:
        ruled_out = {s.node for s in path.steps if s.op == BACKWARD}
        entered = [s.node for s in path.steps if s.op == FORWARD and s.node not in ruled_out]
        assert tuple(entered) == known


def test_only_present_modalities_are_used(drawn):
    for _, mods, path in drawn[1]:
        assert {s.modality for s in path.steps} - {None} <= set(mods)
        text = drawn[0].text(path)
        for missing in set(NAMES) - set(mods):
            assert not re.search(rf"\b{NAMES[missing]}\b", text), (mods, text)


def test_length_cap_holds(drawn, tree, taxonomy):
    cap = 2.0 * taxonomy.depth
    assert all(len(path.steps) <= cap for _, _, path in drawn[1])
    tight = PathSampler(tree, alpha=1.0, explore_rate=1.0)
    path = tight.sample(taxonomy.path_to("Cut Print Attack"), ("rgb", "ir"), random.Random(0))
    assert len(path.steps) == 5 and all(s.op == FORWARD for s in path.steps)


def test_no_node_is_explored_or_reflected_twice(drawn):
    explored = 0
    for known, _, path in drawn[1]:
        ops = [(s.op, s.node) for s in path.steps]
        assert len(ops) == len(set(ops))
        for i, step in enumerate(path.steps):
            if step.op == BACKWARD:
                explored += 1
                assert step.node not in known and step.modality is not None
                assert path.steps[i - 1] == type(step)(FORWARD, step.node, None)
    assert explored > 0


def test_distinct_paths_are_distinct_and_seeded(tree, taxonomy):
    sampler = PathSampler(tree)
    known = taxonomy.path_to("Wrapped Print Attack")
    first, dups = sampler.distinct(known, ("rgb", "depth", "ir"), 50, random.Random("s"), 1000)
    again, _ = sampler.distinct(known, ("rgb", "depth", "ir"), 50, random.Random("s"), 1000)
    assert len(first) == 50 and len({p.clauses for p in first}) == 50
    assert [p.clauses for p in first] == [p.clauses for p in again]
    other, _ = sampler.distinct(known, ("rgb", "depth", "ir"), 50, random.Random("t"), 1000)
    assert [p.clauses for p in other] != [p.clauses for p in first]


def test_draws_are_capped_when_few_paths_exist(tree, taxonomy):
    sampler = PathSampler(tree, alpha=1.0)
    paths, dups = sampler.distinct(("Spoof Face",), ("rgb",), 500, random.Random(0), 600)
    assert 1 < len(paths) < 500 and dups == 600 - len(paths)


def test_canonical_path_is_fixed_and_plain(tree, taxonomy):
    sampler = PathSampler(tree)
    known = taxonomy.path_to("Large Screen Replay Attack")
    a, b = sampler.canonical(known, ("rgb", "depth", "ir")), sampler.canonical(known, ("rgb", "depth", "ir"))
    assert a == b
    assert all(s.op == FORWARD for s in a.steps) and [s.modality for s in a.steps][:3] == ["rgb", "depth", "ir"]


# -- shortcuts: what the reasoning text gives away without the images ----------------------------------------
# The quickstart build's training mix (synthetic CPS, 800 samples) at one fifth: class -> samples.
QUICKSTART_MIX = {"Real Face": 51, "Wrapped Print Attack": 31, "Flat Print Attack": 31, "Cut Print Attack": 15,
                  "Large Screen Replay Attack": 13, "Flexible Silicone Mask Attack": 3, "Makeup Attack": 3,
                  "Partial Paper Cutout Attack": 3, "Rigid Resin Mask Attack": 3, "Paper Mask Attack": 2,
                  "Mobile Screen Replay Attack": 2, "Tattoo Attack": 2}
ALL = ("rgb", "depth", "ir")


@pytest.fixture(scope="module")
def quickstart_paths(tree, taxonomy):
    """(label, known, paths) per sample: 50 distinct paths each at the default rates."""
    sampler = PathSampler(tree)
    out = []
    for leaf, count in QUICKSTART_MIX.items():
        known = taxonomy.path_to(leaf)
        for k in range(count):
            paths, _ = sampler.distinct(known, ALL, 50, random.Random(f"q:{leaf}:{k}"), 1000)
            out.append((taxonomy.decision(known), known, paths))
    return sampler, out


def test_reasoning_length_does_not_reveal_the_label(quickstart_paths):
    from sklearn.metrics import roc_auc_score

    sampler, samples = quickstart_paths
    labels = [label for label, _, paths in samples for _ in paths]
    words = [len(sampler.text(p).split()) for _, _, paths in samples for p in paths]
    separation = roc_auc_score(labels, words)
    assert max(separation, 1 - separation) <= 0.75


def test_live_samples_get_as_varied_walks_as_spoof_samples(quickstart_paths):
    distinct = {0: [], 1: []}
    for label, _, paths in quickstart_paths[1]:
        distinct[label].append(len({p.steps for p in paths}))
    live, spoof = (sum(v) / len(v) for v in (distinct[1], distinct[0]))
    assert live >= 0.9 * spoof


def test_spoof_exploration_rate_is_the_same_at_every_level(quickstart_paths, taxonomy):
    depth5 = [p for label, known, paths in quickstart_paths[1] if label == 0 and len(known) == 5 for p in paths]
    rates = [sum(any(s.op == BACKWARD and taxonomy.level(s.node) == level for s in p.steps) for p in depth5)
             / len(depth5) for level in range(1, 6)]
    assert max(rates) - min(rates) <= 0.05, rates
    assert min(rates) >= 0.25


def test_live_walks_rule_out_attack_classes_at_several_depths(quickstart_paths, taxonomy):
    levels = Counter()
    live = [p for label, _, paths in quickstart_paths[1] if label == 1 for p in paths]
    for path in live:
        ruled_out = [s.node for s in path.steps if s.op == BACKWARD]
        assert ruled_out, "every live walk raises and rules out at least one attack class"
        levels.update({taxonomy.level(n) for n in ruled_out})
    assert sum(n >= 0.1 * len(live) for n in levels.values()) >= 4, levels


def test_live_hypotheses_cover_every_attack_when_all_modalities_are_present(quickstart_paths, taxonomy):
    """Ruling out every hypothesis of a live walk excludes every attack: each attack leaf has exactly one
    ruled-out ancestor (or itself)."""
    attack_leaves = [leaf for leaf in taxonomy.leaves if taxonomy.decision(taxonomy.path_to(leaf)) == 0]
    for label, _, paths in quickstart_paths[1]:
        for path in paths if label == 1 else ():
            ruled_out = {s.node for s in path.steps if s.op == BACKWARD}
            assert all(len(ruled_out & set(taxonomy.path_to(leaf))) == 1 for leaf in attack_leaves), ruled_out


@pytest.mark.parametrize("mods", SUBSETS)
def test_live_walks_examine_every_present_modality(tree, mods):
    sampler = PathSampler(tree)
    for k in range(30):
        text = sampler.text(sampler.sample(("Real Face",), mods, random.Random(k)))
        for m in mods:
            assert re.search(rf"\b{NAMES[m]}\b", text), (m, text)
