"""Reference answers for reasoning-gym datasets that generate items without one.

``rush_hour`` and ``boxnet`` accept many plans, so reasoning-gym leaves ``answer`` empty and scores
a plan by simulating it. An item still needs one known-good answer (for the oracle contract and for
warm-start traces), so these solvers compute one from the entry's metadata. Whatever they return
is checked by the dataset's own scorer before an item is made (see ``GymTask.item``).
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any

SIDE = 6                       # rush_hour's board is 6x6, cells numbered row by row
EXIT = 2 * SIDE + SIDE - 2     # the red car "A" (length 2) is out when its first cell is here


def rush_hour_plan(entry: dict[str, Any]) -> str | None:
    """A shortest plan ("A+1 B-2 …") for a rush_hour board, by breadth-first search over
    positions, one move being one piece slid any distance (as reasoning-gym counts moves)."""
    board = entry["metadata"]["board_config"]
    cells: dict[str, list[int]] = {}
    walls = set()
    for i, label in enumerate(board):
        if label == "x":
            walls.add(i)
        elif label != "o":
            cells.setdefault(label, []).append(i)
    labels = sorted(cells)
    # The prompt (and the scorer) names pieces A, B, C, … in sorted order, skipping no letter,
    # while board strings may skip some: "A B C D E F H" is shown and moved as "A … G".
    names = [chr(ord("A") + i) for i in range(len(labels))]
    strides = [cells[k][1] - cells[k][0] for k in labels]
    lengths = [len(cells[k]) for k in labels]
    start = tuple(cells[k][0] for k in labels)
    red = labels.index("A")

    def occupied(state: tuple[int, ...]) -> set[int]:
        taken = set(walls)
        for pos, stride, length in zip(state, strides, lengths, strict=True):
            taken.update(pos + stride * j for j in range(length))
        return taken

    parents: dict[tuple[int, ...], tuple[tuple[int, ...], str] | None] = {start: None}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        if state[red] == EXIT:
            moves = []
            while parents[state] is not None:
                state, move = parents[state]
                moves.append(move)
            return " ".join(reversed(moves))
        taken = occupied(state)
        for i, (pos, stride, length) in enumerate(zip(state, strides, lengths, strict=True)):
            for sign in (1, -1):
                steps, head = 0, pos
                while True:
                    # The cell the piece would enter next, and whether it is on the board.
                    nxt = head + stride * length if sign > 0 else head - stride
                    if stride == 1 and (nxt // SIDE != pos // SIDE or nxt < 0):
                        break
                    if not 0 <= nxt < SIDE * SIDE or nxt in taken:
                        break
                    head += sign * stride
                    steps += 1
                    new = state[:i] + (head,) + state[i + 1:]
                    if new not in parents:
                        parents[new] = (state, f"{names[i]}{'+' if sign > 0 else '-'}{steps}")
                        queue.append(new)
    return None


def boxnet_plan(entry: dict[str, Any]) -> str | None:
    """A plan that walks each box, one square per step, to a target of its color and matches it
    there (one action per step: simple, valid, and as short as the walks)."""
    state: dict[str, list[str]] = entry["metadata"]["initial_state"]
    boxes: list[tuple[str, float, float]] = []
    targets: dict[str, list[tuple[float, float]]] = {}
    for key, things in state.items():
        x, y = (float(v) for v in key.split("_"))
        for thing in things:
            if thing.startswith("box_"):
                boxes.append((thing[4:], x, y))
            elif thing.startswith("target_"):
                targets.setdefault(thing[7:], []).append((x, y))
    plan: list[dict[str, str]] = []
    for color, x, y in boxes:
        if not targets.get(color):
            return None
        tx, ty = targets[color].pop(0)
        while (x, y) != (tx, ty):
            nx, ny = (x + (1 if tx > x else -1), y) if x != tx else (x, y + (1 if ty > y else -1))
            plan.append({f"Agent[{x}, {y}]": f"move(box_{color}, square[{nx}, {ny}])"})
            x, y = nx, ny
        plan.append({f"Agent[{x}, {y}]": f"move(box_{color}, target_{color})"})
    return json.dumps(plan)


SOLVERS = {"rush_hour": rush_hour_plan, "boxnet": boxnet_plan}
