"""Positive-Negative Random Path Sampling (PNRPS), the paper's reasoning-path augmentation.

A path is a rule-guided depth-first walk from the root of the taxonomy to the sample's deepest known
class. At each level the walk may first step forward into one wrong sibling (a negative exploration,
stated as a hypothesis) and then step back, ruling it out with a cue of a present modality (the
reflection); it then steps forward into the true class with a supporting observation. Rules:

* single-node operation: each node gets at most one forward and one backward step;
* length cap: at most `alpha * (D - 1)` steps, D counting the root (so D - 1 = taxonomy depth);
* semantic consistency: every step renders a clause template of its node from the reasoning tree;
* structural sampling: modality order, which sibling to explore, templates and paraphrases are random,
  seeded per sample, and duplicates are dropped until N distinct paths exist.

A wrong sibling is only explored when an observation of a present modality can rule it out (that is
the "rule" guiding the walk), and annotations shallower than the tree end the walk at their deepest
node. Whether a level explores is drawn for every level at once, and when more levels drew an
exploration than the length cap allows, the ones kept are chosen uniformly: the exploration rate is
then the same at every depth (a greedy root-first walk used the room up near the root).

A live face has a one-node label, so a walk that only descended its label would be short and would name
one or two modalities: its length and shape alone would give the label away. A live walk therefore
examines every present modality (a step into the live class, then one verification per other
modality), and raises attack classes at several depths of the attack subtree as hypotheses, ruling
each out with what a live face shows in a modality where it looks unlike that class
(`ReasoningTree.live_cues`). The hypotheses form a cover of the attack subtree: it starts from the
top-level attack classes and, with probability `live_descend_rate` at a time, replaces one class by
all of its subclasses (while the length cap allows), so ruling them all out excludes every attack.
Cross-modal verification clauses confirm a class with a second modality, and the final clause states
the verdict so that `answer.stated_conclusion` can read it back.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pafas_cli.data.sample import MODALITIES
from pafas_cli.paths.tree import ReasoningTree

FORWARD, BACKWARD = "+", "-"


@dataclass(frozen=True)
class Step:
    """One node operation: `+` enters `node`, `-` rules it out; `modality` is the cue used (None: a bare guess)."""

    op: str
    node: str
    modality: str | None


@dataclass(frozen=True)
class ReasoningPath:
    steps: tuple[Step, ...]
    clauses: tuple[int, ...]  # ids into the sampler's ClauseTable, in reading order


class ClauseTable:
    """Every distinct rendered clause, stored once; paths are tuples of ids into it."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self._ids: dict[str, int] = {}

    def intern(self, text: str) -> int:
        found = self._ids.get(text)
        if found is None:
            found = self._ids[text] = len(self.texts)
            self.texts.append(text)
        return found

    def render(self, ids: Sequence[int]) -> str:
        return " ".join(self.texts[i] for i in ids)


@dataclass(frozen=True)
class _Level:
    node: str
    step: dict[str, tuple[int, ...]]  # modality -> clause ids stating the node
    verify: dict[str, tuple[int, ...]]
    fallback: tuple[int, ...]
    wrong: tuple[tuple[str, tuple[int, ...], dict[str, tuple[int, ...]]], ...]  # (sibling, explore ids, reflect ids)


@dataclass(frozen=True)
class _Hypothesis:
    """An attack class a live walk may raise (explore ids) and rule out (reflect ids per modality)."""

    explore: tuple[int, ...]
    reflect: dict[str, tuple[int, ...]]
    children: tuple[str, ...]  # its subclasses when every one of them can be ruled out, else ()


@dataclass(frozen=True)
class _Plan:
    levels: tuple[_Level, ...]
    conclude: tuple[int, ...]
    modalities: tuple[str, ...]
    # Live samples only: the attack classes that can be ruled out (directly, or through all their subclasses).
    hypotheses: dict[str, _Hypothesis]
    roots: tuple[str, ...]


class PathSampler:
    """Draws reasoning paths for label paths; one instance shares its clause table across a whole build."""

    def __init__(self, tree: ReasoningTree, alpha: float = 2.0, explore_rate: float = 0.35,
                 verify_rate: float = 0.2, live_descend_rate: float = 0.9, table: ClauseTable | None = None):
        self.tree = tree
        self.taxonomy = tree.taxonomy
        self.max_steps = math.floor(alpha * self.taxonomy.depth + 1e-9)
        self.explore_rate = explore_rate
        self.verify_rate = verify_rate
        self.live_descend_rate = live_descend_rate
        self.table = table or ClauseTable()
        self._plans: dict[tuple[tuple[str, ...], tuple[str, ...]], _Plan] = {}

    # -- public ---------------------------------------------------------------------------------
    def sample(self, known: Sequence[str], modalities: Sequence[str], rng: random.Random) -> ReasoningPath:
        """One random path to the deepest known class of `known`, using only `modalities`."""
        return self._walk(self._plan(known, modalities), rng.choice, rng)

    def canonical(self, known: Sequence[str], modalities: Sequence[str]) -> ReasoningPath:
        """The fixed path of the `single` variant: no exploration, modalities in order, first phrasing."""
        return self._walk(self._plan(known, modalities), lambda seq: seq[0], None)

    def distinct(self, known: Sequence[str], modalities: Sequence[str], n: int, rng: random.Random,
                 max_draws: int) -> tuple[list[ReasoningPath], int]:
        """Up to `n` paths with distinct text, and how many duplicate draws were dropped."""
        plan = self._plan(known, modalities)
        seen: set[tuple[int, ...]] = set()
        paths: list[ReasoningPath] = []
        draws = 0
        while len(paths) < n and draws < max_draws:
            draws += 1
            path = self._walk(plan, rng.choice, rng)
            if path.clauses not in seen:
                seen.add(path.clauses)
                paths.append(path)
        return paths, draws - len(paths)

    def text(self, path: ReasoningPath) -> str:
        return self.table.render(path.clauses)

    # -- walking --------------------------------------------------------------------------------
    def _walk(self, plan: _Plan, choose: Callable, rng: random.Random | None) -> ReasoningPath:
        order = list(plan.modalities)
        if rng is not None:
            rng.shuffle(order)
        rotation = _Rotation(order)
        if plan.levels[0].node == self.taxonomy.live and len(plan.levels) == 1:
            steps, clauses = self._live(plan, choose, rng, rotation)
        else:
            steps, clauses = self._descend(plan, choose, rng, rotation)
        clauses.append(choose(plan.conclude))
        return ReasoningPath(tuple(steps), tuple(clauses))

    def _descend(self, plan: _Plan, choose: Callable, rng: random.Random | None,
                 rotation: "_Rotation") -> tuple[list[Step], list[int]]:
        """Down the known label path, exploring wrong siblings at uniformly chosen levels."""
        explore = self._exploring_levels(plan, rng)
        steps: list[Step] = []
        clauses: list[int] = []
        last = len(plan.levels) - 1
        for i, level in enumerate(plan.levels):
            if i in explore:
                sibling, ideas, reflect = choose(level.wrong)
                cue = rotation.next(reflect)
                steps += [Step(FORWARD, sibling, None), Step(BACKWARD, sibling, cue)]
                clauses += [choose(ideas), choose(reflect[cue])]
            modality = rotation.next(level.step)
            steps.append(Step(FORWARD, level.node, modality))
            clauses.append(choose(level.step[modality]) if modality else choose(level.fallback))
            wants_check = i == last or (rng is not None and rng.random() < self.verify_rate)
            if wants_check and modality and (second := rotation.next(level.verify, avoid=modality)):
                clauses.append(choose(level.verify[second]))
        return steps, clauses

    def _exploring_levels(self, plan: _Plan, rng: random.Random | None) -> set[int]:
        """Levels that explore a wrong sibling: each with `explore_rate`, thinned uniformly to the length cap."""
        if rng is None:
            return set()
        drawn = [i for i, level in enumerate(plan.levels) if level.wrong and rng.random() < self.explore_rate]
        room = max(0, (self.max_steps - len(plan.levels)) // 2)
        return set(drawn if len(drawn) <= room else rng.sample(drawn, room))

    def _live(self, plan: _Plan, choose: Callable, rng: random.Random | None,
              rotation: "_Rotation") -> tuple[list[Step], list[int]]:
        """A live face: attack hypotheses ruled out, and the live class examined in every present modality."""
        level = plan.levels[0]
        units: list[tuple[list[Step], list[int]]] = []
        for node in self._cover(plan, rng):
            hypothesis = plan.hypotheses[node]
            cue = rotation.next(hypothesis.reflect)
            units.append(([Step(FORWARD, node, None), Step(BACKWARD, node, cue)],
                          [choose(hypothesis.explore), choose(hypothesis.reflect[cue])]))
        modality = rotation.next(level.step)
        examined = [choose(level.step[modality]) if modality else choose(level.fallback)]
        used = {modality}
        while modality and (other := rotation.next({m: v for m, v in level.verify.items() if m not in used})):
            used.add(other)
            examined.append(choose(level.verify[other]))
        at = rng.randint(0, len(units)) if rng is not None else len(units)
        units.insert(at, ([Step(FORWARD, level.node, modality)], examined))
        return [s for unit, _ in units for s in unit], [c for _, unit in units for c in unit]

    def _cover(self, plan: _Plan, rng: random.Random | None) -> list[str]:
        """Attack classes whose exclusion excludes every attack, within the length cap (none without rng).

        Starts from the top-level attack classes; a class that cannot be ruled out directly is replaced
        by its subclasses, then one class at a time is, with `live_descend_rate`, replaced by its
        subclasses while the cap allows (one forward step for the live class, two per hypothesis).
        """
        if rng is None:
            return []
        budget = (self.max_steps - 1) // 2
        cover = list(plan.roots)
        rng.shuffle(cover)

        def split(i: int) -> None:
            kids = list(plan.hypotheses[cover[i]].children)
            rng.shuffle(kids)
            cover[i:i + 1] = kids

        while forced := [i for i, n in enumerate(cover) if not plan.hypotheses[n].reflect]:
            split(forced[0])
        while rng.random() < self.live_descend_rate:
            options = [i for i, n in enumerate(cover)
                       if plan.hypotheses[n].children and len(cover) - 1 + len(plan.hypotheses[n].children) <= budget]
            if not options:
                break
            split(rng.choice(options))
        return cover[:budget]

    # -- plans: every clause a walk may say for one (label path, modalities), rendered once ------
    def _plan(self, known: Sequence[str], modalities: Sequence[str]) -> _Plan:
        key = (tuple(known), tuple(m for m in MODALITIES if m in modalities))
        plan = self._plans.get(key)
        if plan is None:
            if not self.taxonomy.is_valid_path(key[0]):
                raise ValueError(f"{list(known)} is not a top-down path of the taxonomy {self.taxonomy.source}")
            plan = self._plans[key] = self._build_plan(*key)
        return plan

    def _build_plan(self, known: tuple[str, ...], modalities: tuple[str, ...]) -> _Plan:
        tree, templates, intern = self.tree, self.tree.templates, self.table.intern

        def render(kind: str, node: str, template_kind: str) -> dict[str, tuple[int, ...]]:
            out = {}
            for m in modalities:
                phrases = tree.options(kind, node, m, known)
                if phrases:
                    out[m] = tuple(intern(_sentence(t.format(modality=tree.name(m), obs=p, node=node)))
                                   for p in phrases for t in templates[template_kind])
            return out

        levels = []
        for node in known:
            wrong = []
            for sibling in self.taxonomy.siblings(node):
                reflect = render("rule_out", sibling, "reflect")
                if reflect:
                    explore = tuple(intern(t.format(node=sibling)) for t in templates["explore"])
                    wrong.append((sibling, explore, reflect))
            levels.append(_Level(
                node=node,
                step=render("support", node, "step"),
                verify=render("support", node, "verify"),
                fallback=tuple(intern(t.format(node=node)) for t in templates["fallback"]),
                wrong=tuple(wrong),
            ))
        conclude = tuple(intern(t.format(node=known[-1])) for t in templates["conclude"])
        hypotheses: dict[str, _Hypothesis] = {}
        roots: tuple[str, ...] = ()
        if known == (self.taxonomy.live,):
            roots = tuple(n for n in self.taxonomy.children(None) if n != known[0])
            for root in roots:
                self._add_hypotheses(root, modalities, hypotheses)
            roots = tuple(r for r in roots if r in hypotheses)
        return _Plan(tuple(levels), conclude, modalities, hypotheses, roots)

    def _add_hypotheses(self, node: str, modalities: tuple[str, ...], out: dict[str, _Hypothesis]) -> None:
        """Add `node` and its subclasses that a live face can rule out (directly, or through every subclass)."""
        tree, templates, intern, live = self.tree, self.tree.templates, self.table.intern, self.taxonomy.live
        children = self.taxonomy.children(node)
        for child in children:
            self._add_hypotheses(child, modalities, out)
        reflect = {m: tuple(intern(_sentence(t.format(modality=tree.name(m), obs=p, node=node)))
                            for p in tree.options("support", live, m, (live,)) for t in templates["reflect"])
                   for m in tree.live_cues(node) if m in modalities}
        reflect = {m: ids for m, ids in reflect.items() if ids}
        splits = children if children and all(c in out for c in children) else ()
        if reflect or splits:
            out[node] = _Hypothesis(tuple(intern(t.format(node=node)) for t in templates["explore"]), reflect,
                                    splits)


class _Rotation:
    """A path's modality order, taken in turn: each clause uses the next modality that has something to say."""

    def __init__(self, order: Sequence[str]):
        self.order = list(order)
        self.cursor = 0

    def next(self, options: dict[str, tuple[int, ...]], avoid: str | None = None) -> str | None:
        for k in range(len(self.order)):
            modality = self.order[(self.cursor + k) % len(self.order)]
            if modality in options and modality != avoid:
                self.cursor = (self.cursor + k + 1) % len(self.order)
                return modality
        return None


def _sentence(text: str) -> str:
    """Capitalise a rendered clause whose template starts with an observation."""
    return text[:1].upper() + text[1:]
