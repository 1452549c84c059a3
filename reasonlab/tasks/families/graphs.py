"""Graphs: shortest path length by breadth-first search in an undirected graph. Harder = the
target lies further away in a bigger graph, so the search expands more nodes, one line each."""

from __future__ import annotations

import random
import string
from collections import deque
from dataclasses import dataclass
from typing import Any

from reasonlab.tasks.base import Problem, ProceduralTask, TaskConfig
from reasonlab.tasks.families.common import level
from reasonlab.tasks.registry import register


def bfs_distances(adjacency: dict[str, set[str]], source: str) -> dict[str, int]:
    dist = {source: 0}
    queue = deque([source])
    while queue:
        node = queue.popleft()
        for other in adjacency[node]:
            if other not in dist:
                dist[other] = dist[node] + 1
                queue.append(other)
    return dist


@dataclass
class ShortestPathConfig(TaskConfig):
    base_distance: int = 2       # most edges on the shortest path at difficulty 1
    distance_per_level: int = 1  # each level moves the target up to this many edges further
    extra_nodes_every: int = 1   # one more side node every this many levels (1 at level 1)
    extra_edges_percent: int = 30  # extra edges (that create no shortcut), % of the node count

    def validate(self) -> None:
        self.check(1 <= self.base_distance <= 15, "base_distance", "must be in 1..15")
        self.check(0 <= self.distance_per_level <= 2, "distance_per_level", "must be in 0..2")
        self.check(1 <= self.extra_nodes_every <= 10, "extra_nodes_every", "must be in 1..10")
        self.check(0 <= self.extra_edges_percent <= 100, "extra_edges_percent",
                   "must be in 0..100")
        # Nodes are the letters A..Z; check the hardest level fits.
        top = ShortestPath.max_difficulty
        most = (level(self.base_distance, self.distance_per_level, top) + 2
                + (top - 1) // self.extra_nodes_every)
        self.check(most <= 26, "base_distance",
                   f"with distance_per_level and extra_nodes_every makes {most} nodes at "
                   f"difficulty {top}, over the 26 letters A..Z")


@register
class ShortestPath(ProceduralTask):
    """How many edges on a shortest path between two nodes? Breadth-first search, one expanded
    node a line."""

    name = "shortest_path"
    domain = "graphs"
    version = 1
    verifier = "exact"
    config_class = ShortestPathConfig
    min_difficulty, max_difficulty = 1, 8

    def params(self, difficulty: int) -> dict[str, Any]:
        c = self.config
        distance = level(c.base_distance, c.distance_per_level, difficulty)
        extra = 1 + (difficulty - 1) // c.extra_nodes_every
        nodes = distance + 1 + extra
        # The distance itself varies (the most or one less), so the answer cannot be read off
        # the size of the graph.
        return {"min_distance": max(1, distance - 1), "distance": distance, "nodes": nodes,
                "extra_edges": nodes * c.extra_edges_percent // 100}

    def generate(self, rng: random.Random, params: dict[str, Any]) -> Problem:
        names = rng.sample(string.ascii_uppercase, params["nodes"])
        distance = rng.randint(params["min_distance"], params["distance"])
        path = names[:distance + 1]
        source, target = path[0], path[-1]
        adjacency: dict[str, set[str]] = {n: set() for n in names}
        depth = {n: i for i, n in enumerate(path)}

        def connect(a: str, b: str) -> None:
            adjacency[a].add(b)
            adjacency[b].add(a)

        for a, b in zip(path, path[1:], strict=False):
            connect(a, b)
        for node in names[distance + 1:]:
            parent = rng.choice(list(depth))
            connect(node, parent)
            depth[node] = depth[parent] + 1
        # An edge between nodes whose depths differ by at most one shortens no distance from the
        # source, so the target stays exactly `distance` edges away.
        candidates = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]
                      if b not in adjacency[a] and abs(depth[a] - depth[b]) <= 1]
        for a, b in rng.sample(candidates, min(params["extra_edges"], len(candidates))):
            connect(a, b)
        assert bfs_distances(adjacency, source)[target] == distance
        edges = [f"{a}-{b}" if rng.random() < 0.5 else f"{b}-{a}"
                 for i, a in enumerate(names) for b in names[i + 1:] if b in adjacency[a]]
        rng.shuffle(edges)
        steps = self._search(adjacency, source, target)
        prompt = (f"Undirected edges: {' '.join(edges)}. How many edges are on a shortest path "
                  f"from {source} to {target}? Answer with a number.")
        return Problem(prompt=prompt, answer=str(distance), steps=steps,
                       meta={"source": source, "target": target})

    @staticmethod
    def _search(adjacency: dict[str, set[str]], source: str, target: str) -> list[str]:
        """BFS trace: each expanded node with its distance and the new nodes it reaches
        (neighbours in alphabetical order), until the target is reached."""
        dist = {source: 0}
        queue = deque([source])
        steps = []
        while queue:
            node = queue.popleft()
            new = [n for n in sorted(adjacency[node]) if n not in dist]
            for n in new:
                dist[n] = dist[node] + 1
                queue.append(n)
            steps.append(f"{node} ({dist[node]}): {' '.join(new) or '-'}")
            if target in dist:
                steps.append(f"{target} reached at distance {dist[target]}")
                return steps
        raise AssertionError("target unreachable")  # the generator always connects it
