import itertools
import math
import random
import re
from collections import Counter

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


# Function-scoped on purpose: mutation testing credits a module fixture's calls to the first test only.
@pytest.fixture
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
    # Brute force: draw one path at a time from the same seed until 50 distinct texts; the rest were duplicates.
    rng, texts, draws = random.Random("s"), [], 0
    while len(set(texts)) < 50:
        texts.append(sampler.text(sampler.sample(known, ("rgb", "depth", "ir"), rng)))
        draws += 1
    assert dups == draws - 50 and [sampler.text(p) for p in first] == list(dict.fromkeys(texts))
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


@pytest.fixture
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


def _explored_levels(path, taxonomy) -> set[int]:
    return {taxonomy.level(s.node) for s in path.steps if s.op == BACKWARD}


def _binomial_capped_mean(m: int, p: float, cap: int) -> float:
    """E[min(X, cap)] for X ~ Binomial(m, p), by summing the distribution."""
    return sum(min(x, cap) * math.comb(m, x) * p ** x * (1 - p) ** (m - x) for x in range(m + 1))


@pytest.mark.parametrize("leaf", ["Flat Print Attack", "Mobile Screen Replay Attack", "Makeup Attack"])
def test_spoof_exploration_rate_per_level_at_the_default_rates(tree, taxonomy, leaf):
    """At the defaults (explore 0.35, alpha 2), each level with a wrong sibling to rule out explores with
    probability 0.35, and when more levels drew than the cap leaves room for (two steps each), the kept ones
    are chosen uniformly: every such level, the live/spoof one included, explores at E[min(X, room)] / m."""
    known, mods = taxonomy.path_to(leaf), ("rgb", "depth", "ir")
    explorable = set().union(*(_explored_levels(PathSampler(tree, alpha=20, explore_rate=1.0).sample(
        known, mods, random.Random(k)), taxonomy) for k in range(5)))
    assert 1 in explorable and len(explorable) >= 3
    room = (math.floor(2.0 * taxonomy.depth) - len(known)) // 2
    expected = _binomial_capped_mean(len(explorable), 0.35, room) / len(explorable)
    sampler, rng, n = PathSampler(tree), random.Random(f"rate:{leaf}"), 3000
    counts = Counter(level for _ in range(n) for level in _explored_levels(sampler.sample(known, mods, rng), taxonomy))
    assert set(counts) == explorable
    tolerance = 4 * math.sqrt(expected * (1 - expected) / n)
    for level in sorted(explorable):
        assert abs(counts[level] / n - expected) < tolerance, (level, counts[level] / n, expected)


def test_live_walks_descend_below_the_top_attack_classes_at_the_default_rate(tree, taxonomy):
    """`live_descend_rate` 0.9: a live walk keeps the top-level cover (what a walk that never descends rules out)
    only when its first draw declines, 1 time in 10."""
    mods = ("rgb", "depth", "ir")
    top = {frozenset(s.node for s in PathSampler(tree, live_descend_rate=0.0).sample(("Real Face",), mods,
                                                                                     random.Random(k)).steps
                     if s.op == BACKWARD) for k in range(20)}
    assert len(top) == 1
    sampler, rng, n = PathSampler(tree), random.Random("descend"), 2000
    kept = sum(frozenset(s.node for s in sampler.sample(("Real Face",), mods, rng).steps if s.op == BACKWARD) in top
               for _ in range(n))
    assert abs(kept / n - 0.1) < 4 * math.sqrt(0.1 * 0.9 / n), kept / n


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


def _verifications(path) -> int:
    """Clauses beyond one per step and the conclusion: the cross-modal verifications."""
    return len(path.clauses) - len(path.steps) - 1


def test_verification_rate_at_the_default(tree, taxonomy):
    """The deepest class is always verified in a second modality; every other level with probability 0.2."""
    known, mods = taxonomy.path_to("Flat Print Attack"), ("rgb", "depth", "ir")
    for rate, expected in ((0.0, 1), (1.0, len(known))):
        sampler = PathSampler(tree, verify_rate=rate)
        assert {_verifications(sampler.sample(known, mods, random.Random(k))) for k in range(50)} == {expected}
    sampler, rng, n = PathSampler(tree), random.Random("verify"), 4000
    mean = sum(_verifications(sampler.sample(known, mods, rng)) for _ in range(n)) / n
    levels = len(known) - 1
    assert abs(mean - (1 + 0.2 * levels)) < 4 * math.sqrt(levels * 0.2 * 0.8 / n), mean
    assert _verifications(sampler.canonical(known, mods)) == 1
    assert _verifications(sampler.sample(known, ("rgb",), random.Random(0))) == 0  # no second modality


def test_a_live_walk_examines_the_face_at_any_point_among_its_hypotheses(tree):
    """The live class's step is placed uniformly among the ruled-out hypotheses (first, between, last)."""
    sampler, rng = PathSampler(tree), random.Random("live position")
    places = Counter()
    for _ in range(600):
        steps = sampler.sample(("Real Face",), ("rgb", "depth", "ir"), rng).steps
        before = sum(s.op == BACKWARD for s in steps[:[s.node for s in steps].index("Real Face")])
        places[(before, sum(s.op == BACKWARD for s in steps))] += 1
    assert any(b == 0 for b, _ in places) and any(b == n for b, n in places) and any(0 < b < n for b, n in places)


def test_modality_order_and_sentences(tree, taxonomy):
    """The modalities given in any order are the same set to the sampler; clauses start with a capital and
    name modalities by name; the canonical path says each level with the first template and observation."""
    sampler = PathSampler(tree)
    for k in range(20):
        assert "None" not in sampler.text(sampler.sample(("Real Face",), ("rgb", "ir"), random.Random(k)))
    flat = taxonomy.path_to("Flat Print Attack")
    first = tree.templates["step"][0].format(modality="RGB", obs=tree.options("support", flat[0], "rgb", flat)[0],
                                             node=flat[0])
    assert sampler.table.texts[sampler.canonical(flat, ("rgb",)).clauses[0]] == first[:1].upper() + first[1:]
    known = taxonomy.path_to("Cut Print Attack")
    assert sampler.sample(known, ("ir", "rgb"), random.Random(5)) == sampler.sample(known, ("rgb", "ir"),
                                                                                    random.Random(5))
    path = sampler.sample(known, ("rgb", "depth", "ir"), random.Random(1))
    assert all(sampler.table.texts[i][:1].isupper() for i in path.clauses)
    assert sampler.text(path) == " ".join(sampler.table.texts[i] for i in path.clauses)
    with pytest.raises(ValueError, match=r"^\['Real Face', 'Print Attacks'\] is not a top-down path of the taxonomy "):
        sampler.sample(("Real Face", "Print Attacks"), ("rgb",), random.Random(0))


def test_a_shared_clause_table_stores_each_clause_once(tree, taxonomy):
    from pafas_cli.paths.pnrps import ClauseTable

    table = ClauseTable()
    assert [table.intern("a"), table.intern("b"), table.intern("a")] == [0, 1, 0] and table.texts == ["a", "b"]
    assert table.render([1, 0, 1]) == "b a b"
    one, two = PathSampler(tree, table=table), PathSampler(tree, table=table)
    known = taxonomy.path_to("Makeup Attack")
    assert one.text(one.canonical(known, ("rgb",))) == two.text(two.canonical(known, ("rgb",)))
    assert len(table.texts) == len(set(table.texts))


def test_the_length_cap_is_alpha_times_depth_rounded_down(tree, taxonomy):
    """alpha 1.4 leaves 7 steps for a 5-level label: room for exactly one exploration (two steps); alpha 2.2 leaves
    11, so a live walk that always descends rules out (11 - 1) // 2 = 5 attack classes."""
    flat, mods = taxonomy.path_to("Flat Print Attack"), ("rgb", "depth", "ir")
    tight = PathSampler(tree, alpha=1.4, explore_rate=1.0)
    assert {sum(s.op == BACKWARD for s in tight.sample(flat, mods, random.Random(k)).steps) for k in range(20)} == {1}
    wide = PathSampler(tree, alpha=2.2, live_descend_rate=1.0)
    assert {sum(s.op == BACKWARD for s in wide.sample(("Real Face",), mods, random.Random(k)).steps)
            for k in range(20)} == {5}


def test_walks_by_hand(tree, taxonomy):
    """A shallow spoof label explores the live sibling like any spoof; the deepest class's verification follows
    its own step; explored siblings are named; the live step carries the modality it observes."""
    mods = ("rgb", "depth", "ir")
    eager = PathSampler(tree, explore_rate=1.0)
    shallow = eager.sample(("Spoof Face",), mods, random.Random(0))
    assert [(s.op, s.node) for s in shallow.steps] == [("+", "Real Face"), ("-", "Real Face"), ("+", "Spoof Face")]
    flat = taxonomy.path_to("Flat Print Attack")
    for k in range(10):
        spoof = eager.sample(flat, mods, random.Random(k))
        assert "None" not in eager.text(spoof)
    sampler = PathSampler(tree, alpha=1.0, verify_rate=0.0)
    plain = sampler.sample(flat, mods, random.Random(3))
    said = [sampler.table.texts[i] for i in plain.clauses]
    assert flat[-1] in said[-3] and flat[-1] not in said[-2]  # step, then its verification, then the verdict
    for k in range(10):
        live = PathSampler(tree).sample(("Real Face",), mods, random.Random(k))
        (step,) = [s for s in live.steps if s.node == "Real Face"]
        assert step.modality in mods


def test_the_rotation_takes_the_next_modality_that_has_something_to_say():
    from pafas_cli.paths.pnrps import _Rotation

    rotation = _Rotation(["rgb", "depth", "ir"])
    assert rotation.next({"depth": (1,), "ir": (2,)}) == "depth"
    assert rotation.next({"rgb": (1,), "depth": (2,), "ir": (3,)}) == "ir"
    assert rotation.next({"depth": (1,)}, avoid="depth") is None
    assert rotation.next({"rgb": (1,), "depth": (2,)}) == "rgb"
