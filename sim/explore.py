"""``sim explore``: walk every path through a scenario (or a seeded sample) and score each.

Up to ``limit`` complete paths are enumerated depth-first. A scenario with more paths than that is
explored by ``limit`` seeded random walks, after which the best and the worst path found are
improved by local search (change one decision, keep the rest). The result says which mode was used.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sim.engine import ChoiceError, Engine, RunState
from sim.scenario import Scenario

REFLECTION_PLACEHOLDER = "-"


@dataclass(frozen=True)
class PathResult:
    """One complete path: the choices, its score and the ending reached."""

    choices: tuple[str, ...]
    score: float
    ending: str
    steps: frozenset[str]


@dataclass
class Exploration:
    """What exploring a scenario found."""

    scenario: str
    paths: int
    exhaustive: bool
    limit: int
    results: list[PathResult] = field(repr=False)
    unfinished: int
    all_options: list[tuple[str, str]] = field(repr=False)
    all_endings: list[str] = field(repr=False)

    @property
    def best(self) -> PathResult:
        """Highest score (first such path in exploration order)."""
        return max(self.results, key=lambda r: r.score)

    @property
    def worst(self) -> PathResult:
        """Lowest score (first such path)."""
        return min(self.results, key=lambda r: r.score)

    @property
    def endings(self) -> list[str]:
        """Endings reached, in the scenario's order."""
        reached = {r.ending for r in self.results}
        return [e for e in self.all_endings if e in reached]

    @property
    def steps(self) -> list[str]:
        """Protocol steps a trainee can take in this scenario (on some explored path)."""
        return sorted(set().union(*(r.steps for r in self.results))) if self.results else []

    def used_options(self) -> set[tuple[str, str]]:
        """(node, option) pairs that lie on at least one explored path."""
        used: set[tuple[str, str]] = set()
        for r in self.results:
            used.update(_pairs(r.choices, self._nodes_of(r)))
        return used

    def _nodes_of(self, r: PathResult) -> list[str]:
        return self._node_paths[r.choices]

    _node_paths: dict[tuple[str, ...], list[str]] = field(default_factory=dict, repr=False)

    def unused_options(self) -> list[str]:
        """``node.option`` of options on no explored path."""
        used = self.used_options()
        return [f"{n}.{o}" for n, o in self.all_options if (n, o) not in used]

    def best_share(self) -> dict[str, dict[str, float]]:
        """Per decision point: the share of best-scoring paths on which each option lies."""
        top = self.best.score
        best = [r for r in self.results if r.score == top]
        counts: dict[str, Counter[str]] = {}
        for r in best:
            for node, opt in _pairs(r.choices, self._nodes_of(r)):
                counts.setdefault(node, Counter())[opt] += 1
        return {node: {opt: round(c / len(best), 3) for opt, c in sorted(cnt.items())} for node, cnt in counts.items()}

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape printed by ``sim explore --json``."""
        scores = [r.score for r in self.results]
        return {
            "scenario": self.scenario,
            "paths": self.paths,
            "exhaustive": self.exhaustive,
            "limit": self.limit,
            "unfinished": self.unfinished,
            "endings": self.endings,
            "unreached_endings": [e for e in self.all_endings if e not in self.endings],
            "best": {"score": self.best.score, "choices": list(self.best.choices), "ending": self.best.ending},
            "worst": {"score": self.worst.score, "choices": list(self.worst.choices), "ending": self.worst.ending},
            "mean": round(sum(scores) / len(scores), 1),
            "steps": self.steps,
            "unused_options": self.unused_options(),
            "best_share": self.best_share(),
        }


def _pairs(choices: tuple[str, ...], nodes: list[str]) -> list[tuple[str, str]]:
    out = []
    for node, choice in zip(nodes, choices, strict=False):
        for sep in ("+", ">"):
            if sep in choice:
                out.extend((node, part) for part in choice.split(sep))
                break
        else:
            out.append((node, choice))
    return out


def choices_at(engine: Engine, state: RunState) -> list[str]:
    """Every canonical choice possible at the current decision point."""
    node = engine.node(state)
    if node is None:
        return []
    offered = [o.id for o in engine.options(state)]
    if node.kind == "reflectie":
        return [REFLECTION_PLACEHOLDER]
    if node.kind == "keuze":
        return offered
    if node.kind == "meerkeuze":
        top = min(node.max or len(offered), len(offered))
        return ["+".join(c) for n in range(1, top + 1) for c in itertools.combinations(offered, n)]
    return [">".join(p) for p in itertools.permutations(offered)]


class _TooMany(Exception):
    pass


def explore(scenario: Scenario, limit: int = 20000, seed: int = 1, max_depth: int = 60) -> Exploration:
    """Explore ``scenario``: all paths when there are at most ``limit``, else a seeded sample."""
    engine = Engine(scenario)
    results: list[PathResult] = []
    node_paths: dict[tuple[str, ...], list[str]] = {}
    unfinished = 0

    def finish(state: RunState) -> None:
        report = engine.report(state)
        choices = tuple(c.choice for c in state.choices)
        node_paths[choices] = [c.node for c in state.choices]
        results.append(PathResult(choices, report.score, state.ending or "", frozenset(state.taken)))

    def dfs(state: RunState, depth: int) -> None:
        nonlocal unfinished
        if state.finished:
            if len(results) >= limit:
                raise _TooMany
            finish(state)
            return
        if depth >= max_depth:
            unfinished += 1
            return
        for choice in choices_at(engine, state):
            dfs(engine.choose(state, choice), depth + 1)

    start = engine.start(seed)
    exhaustive = True
    try:
        dfs(start, 0)
    except _TooMany:
        exhaustive = False
        results.clear()
        node_paths.clear()
        unfinished = 0
        rng = random.Random(f"explore:{scenario.id}:{seed}")
        seen: set[tuple[str, ...]] = set()
        for _ in range(limit):
            state = _walk(engine, start, [], rng, max_depth)
            if state is None:
                unfinished += 1
                continue
            key = tuple(c.choice for c in state.choices)
            if key not in seen:
                seen.add(key)
                finish(state)
        for sign in (1, -1):
            _improve(engine, start, results, node_paths, finish, rng, sign, max_depth)
    all_options = [(n.id, o.id) for n in scenario.data.nodes for o in n.options]
    exploration = Exploration(
        scenario.id,
        len(results),
        exhaustive,
        limit,
        results,
        unfinished,
        all_options,
        [e.id for e in scenario.data.endings],
    )
    exploration._node_paths = node_paths
    return exploration


def _walk(engine: Engine, state: RunState, prefix: list[str], rng: random.Random, max_depth: int) -> RunState | None:
    """Play ``prefix`` (as far as it stays possible), then random choices to an ending."""
    for choice in prefix:
        if state.finished:
            break
        try:
            state = engine.choose(state, choice)
        except ChoiceError:
            break
    depth = len(state.choices)
    while not state.finished:
        if depth >= max_depth:
            return None
        state = engine.choose(state, rng.choice(choices_at(engine, state)))
        depth += 1
    return state


def _improve(
    engine: Engine,
    start: RunState,
    results: list[PathResult],
    node_paths: dict,
    finish: Any,
    rng: random.Random,
    sign: int,
    max_depth: int,
    rounds: int = 6,
) -> None:
    """Local search from the best (sign 1) or worst (sign -1) path: change one decision at a time."""
    known = {r.choices: r.score for r in results}
    current = max(results, key=lambda r: sign * r.score) if results else None
    for _ in range(rounds):
        if current is None:
            return
        improved = False
        for i in range(len(current.choices)):
            state = start
            for c in current.choices[:i]:
                state = engine.choose(state, c)
            for alt in choices_at(engine, state):
                if alt == current.choices[i]:
                    continue
                end = _walk(engine, engine.choose(state, alt), list(current.choices[i + 1 :]), rng, max_depth)
                if end is None:
                    continue
                key = tuple(c.choice for c in end.choices)
                if key in known:
                    continue
                finish(end)
                known[key] = results[-1].score
                if sign * results[-1].score > sign * current.score:
                    current = results[-1]
                    improved = True
        if not improved:
            return
