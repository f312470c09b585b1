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
node. Cross-modal verification clauses confirm a class with a second modality, and the final clause
states the verdict so that `answer.stated_conclusion` can read it back.
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
class _Plan:
    levels: tuple[_Level, ...]
    conclude: tuple[int, ...]
    modalities: tuple[str, ...]


class PathSampler:
    """Draws reasoning paths for label paths; one instance shares its clause table across a whole build."""

    def __init__(self, tree: ReasoningTree, alpha: float = 2.0, explore_rate: float = 0.35,
                 verify_rate: float = 0.2, table: ClauseTable | None = None):
        self.tree = tree
        self.taxonomy = tree.taxonomy
        self.max_steps = math.floor(alpha * self.taxonomy.depth + 1e-9)
        self.explore_rate = explore_rate
        self.verify_rate = verify_rate
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
        cursor = 0

        def next_modality(options: dict[str, tuple[int, ...]], avoid: str | None = None) -> str | None:
            """The next modality in this path's rotating order that has something to say."""
            nonlocal cursor
            for k in range(len(order)):
                modality = order[(cursor + k) % len(order)]
                if modality in options and modality != avoid:
                    cursor = (cursor + k + 1) % len(order)
                    return modality
            return None

        steps: list[Step] = []
        clauses: list[int] = []
        last = len(plan.levels) - 1
        for i, level in enumerate(plan.levels):
            true_steps_left = len(plan.levels) - i
            if (rng is not None and level.wrong and rng.random() < self.explore_rate
                    and len(steps) + 2 + true_steps_left <= self.max_steps):
                sibling, explore, reflect = choose(level.wrong)
                cue = next_modality(reflect)
                steps += [Step(FORWARD, sibling, None), Step(BACKWARD, sibling, cue)]
                clauses += [choose(explore), choose(reflect[cue])]
            modality = next_modality(level.step)
            steps.append(Step(FORWARD, level.node, modality))
            clauses.append(choose(level.step[modality]) if modality else choose(level.fallback))
            wants_check = i == last or (rng is not None and rng.random() < self.verify_rate)
            if wants_check and modality and (second := next_modality(level.verify, avoid=modality)):
                clauses.append(choose(level.verify[second]))
        clauses.append(choose(plan.conclude))
        return ReasoningPath(tuple(steps), tuple(clauses))

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
        return _Plan(tuple(levels), conclude, modalities)


def _sentence(text: str) -> str:
    """Capitalise a rendered clause whose template starts with an observation."""
    return text[:1].upper() + text[1:]
