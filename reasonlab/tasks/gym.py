"""reasoning-gym adapter: every registered reasoning-gym dataset is a task ``gym:<name>``.

Difficulty *d* is the dataset's curriculum at global level *d − 1* (every attribute at
``min(d − 1, its last level)``, ranges as reasoning-gym's default context builds them); datasets
without a curriculum have the single difficulty 1 with their default config. Curriculum levels
whose config reasoning-gym itself rejects, or whose generator does not finish, are skipped (listed
in ``BROKEN_LEVELS`` or found by validating the config), so difficulties stay 1..L with no holes.

An item records the full dataset config, the dataset seed and the index it came from
(``meta.gym``), so the ``gym`` verifier rebuilds exactly that entry and scores with the dataset's
own ``score_answer``. reasoning-gym is imported lazily: it takes about a second.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import enum
import hashlib
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from reasonlab.core.errors import ConfigError, ReasonlabError
from reasonlab.core.item import Item
from reasonlab.core.spec import coerce, locator
from reasonlab.tasks.base import Task, item_id
from reasonlab.tasks.registry import Prefix, TaskInfo, register_prefix

PREFIX = "gym"

# Datasets that are not offered as tasks, and why (each is reported upstream-worthy or by design).
KNOWN_BROKEN: dict[str, str] = {
    "composite": "a weighted mix of other datasets, not a dataset of its own; use their gym: tasks",
}

# Scorers that pay for answers they should not. The guard must pass before the dataset's own
# score_answer counts; each is a reasoning-gym bug worth reporting upstream.
SCORE_GUARDS: dict[str, tuple[Callable[[str, dict[str, Any]], bool], str]] = {
    "game_of_life_halting": (
        lambda answer, entry: answer.strip().lower() == str(entry["answer"]).strip().lower(),
        "score_answer compares bool(answer) with bool(oracle), so any non-empty answer, "
        "'False' for 'True' included, scores 1.0"),
}

# Curriculum levels (0-based, reasoning-gym's numbering) whose generator does not finish.
BROKEN_LEVELS: dict[str, tuple[frozenset[int], str]] = {
    "sokoban": (frozenset({0}), "6x6 boards: most items never finish generating"),
    "jugs": (frozenset({2, 3}), "6-7 jugs at puzzle difficulty >= 20: over 10 s per item"),
    "rubiks_cube": (frozenset({1, 2, 3, 4}), "no example solution for cubes larger than 3x3"),
    "zebra_puzzles": (frozenset({5}), "7 people x 7 attributes: about 20 s per item"),
}

# Datasets whose answer is None because many answers are right, but whose metadata records one
# (rush_hour and boxnet record none: gym_solvers computes one).
ORACLE_FIELDS: dict[str, str] = {
    "graph_color": "possible_answer",
    "propositional_logic": "example_answer",
    "rubiks_cube": "example_correct_answer",
}

# Most datasets draw item i from Random(seed + i) and ignore their size; these precompute `size`
# items when built, so items are taken in blocks of this size, each block its own dataset seed.
BLOCK_SIZES: dict[str, int] = {"acre": 500, "list_functions": 500, "word_ladder": 20000}
DEFAULT_BLOCK = 1 << 20

# An item's oracle is checked against the dataset's own scorer when generated; a failing one
# (e.g. propositional_logic's trivial fallback conclusion) is redrawn from a new seed this often.
MAX_REDRAWS = 8


class GymError(ReasonlabError):
    """reasoning-gym could not produce a checkable item."""


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Some generators print (codeio runs code, bf prints dots); stdout carries our JSONL."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield


@cache
def gym_version() -> str:
    from importlib.metadata import version

    return version("reasoning-gym")


@lru_cache(maxsize=1)
def _registry() -> tuple[dict[str, tuple[type, type]], dict[str, Any]]:
    with quiet():
        import reasoning_gym  # noqa: F401  (registers every dataset)
        from reasoning_gym.factory import CURRICULA, DATASETS
    return DATASETS, CURRICULA


def gym_names() -> list[str]:
    """Every dataset offered as a task (the registry less ``KNOWN_BROKEN``)."""
    return sorted(n for n in _registry()[0] if n not in KNOWN_BROKEN)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=_encode))


def _encode(value: Any) -> Any:
    # Config values JSON has no type for (arc's BoardFormattingOptions, time_intervals' dates).
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _config_dict(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot record a config value of type {type(value).__name__}")


def _decode(config_cls: type, values: dict[str, Any]) -> Any:
    """The config object from its JSON form, restoring types from the class's defaults."""
    default = config_cls()
    out = {}
    for key, value in values.items():
        kind = getattr(default, key, None)
        if dataclasses.is_dataclass(kind) and isinstance(value, dict):
            value = type(kind)(**value)
        elif isinstance(kind, (datetime.date, datetime.time)) and isinstance(value, str):
            value = type(kind).fromisoformat(value)
        elif isinstance(kind, enum.Enum):
            value = type(kind)(value)
        elif isinstance(kind, (list, tuple)) and isinstance(value, list):
            if kind and isinstance(kind[0], enum.Enum):
                value = [type(kind[0])(v) for v in value]
            value = tuple(value) if isinstance(kind, tuple) else value
        out[key] = value
    return config_cls(**out)


def _config_dict(config: Any) -> dict[str, Any]:
    return {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}


@dataclass(frozen=True)
class GymInfo:
    """What listing needs, computed without generating items: the domain and, per difficulty,
    the curriculum level and the config params it gives (seed and size excluded)."""

    name: str
    domain: str
    description: str
    levels: tuple[int | None, ...]
    params: tuple[dict[str, Any], ...]
    note: str = ""


@cache
def gym_info(name: str) -> GymInfo:
    datasets, curricula = _registry()
    if name not in datasets:
        raise ConfigError(f"unknown reasoning-gym dataset {name!r}; `reasonlab tasks list` shows "
                          "the gym: tasks", field="task")
    if name in KNOWN_BROKEN:
        raise ConfigError(f"gym:{name} is not offered: {KNOWN_BROKEN[name]}", field="task")
    dataset_cls, config_cls = datasets[name]
    domain = dataset_cls.__module__.split(".")[1]
    description = (dataset_cls.__doc__ or "").strip().split("\n")[0]
    levels: list[int | None] = []
    params: list[dict[str, Any]] = []
    skipped: list[str] = []
    if name in curricula:
        curriculum = curricula[name]()
        count = max((len(a.levels) for a in curriculum.attributes.values()), default=1)
        bad = BROKEN_LEVELS.get(name, (frozenset(), ""))[0]
        for level in range(count):
            if level in bad:
                skipped.append(f"{level}: {BROKEN_LEVELS[name][1]}")
                continue
            curriculum.set_global_level(level)
            try:
                config = curriculum.generate_configuration()
                if hasattr(config, "validate"):
                    config.validate()
            except (AssertionError, ValueError, TypeError) as exc:
                # reasoning-gym's own curriculum asks for a config its validate() rejects.
                skipped.append(f"{level}: {exc}")
                continue
            levels.append(level)
            params.append(_params(config))
    if not levels:
        levels, params = [None], [_params(config_cls())]
    note = f"curriculum levels skipped ({'; '.join(skipped)})" if skipped else ""
    return GymInfo(name, domain, description, tuple(levels), tuple(params), note)


def _params(config: Any) -> dict[str, Any]:
    return _jsonable({k: v for k, v in _config_dict(config).items() if k not in ("seed", "size")})


@lru_cache(maxsize=32)
def _dataset(name: str, config_json: str) -> Any:
    """The dataset object for a full config (cached: some take seconds to build)."""
    datasets = _registry()[0]
    dataset_cls, config_cls = datasets[name]
    try:
        config = _decode(config_cls, json.loads(config_json))
        with quiet():
            if hasattr(config, "validate"):
                config.validate()
            return dataset_cls(config=config)
    except (AssertionError, ValueError, TypeError) as exc:
        raise ConfigError(f"gym:{name} rejects the config {config_json}: {exc}",
                          field="config") from None


def build_dataset(gym: dict[str, Any]) -> Any:
    return _dataset(gym["name"], json.dumps(gym["config"], sort_keys=True))


@lru_cache(maxsize=2048)
def _entry(name: str, config_json: str, index: int) -> dict[str, Any]:
    dataset = _dataset(name, config_json)
    with quiet():
        return dataset[index]


def rebuild_entry(gym: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The dataset and its entry recorded in an item's ``meta.gym``."""
    config_json = json.dumps(gym["config"], sort_keys=True)
    return _dataset(gym["name"], config_json), _entry(gym["name"], config_json, int(gym["index"]))


def oracle_answer(name: str, entry: dict[str, Any]) -> str | None:
    from reasonlab.tasks.gym_solvers import SOLVERS

    answer = entry.get("answer")
    if answer is None and name in SOLVERS:
        return SOLVERS[name](entry)
    if answer is None and name in ORACLE_FIELDS:
        answer = entry.get("metadata", {}).get(ORACLE_FIELDS[name])
        if answer is not None and not isinstance(answer, str):
            answer = json.dumps(answer)  # graph_color's coloring: the JSON its prompt asks for
    return None if answer is None else str(answer)


def score(dataset: Any, answer: str, entry: dict[str, Any]) -> float:
    """The dataset's own score, as a float; a non-number is a scorer bug, raised."""
    guard = SCORE_GUARDS.get(entry.get("metadata", {}).get("source_dataset", ""))
    if guard is not None and not guard[0](answer, entry):
        return 0.0
    with quiet():
        value = dataset.score_answer(answer, entry)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise GymError(f"score_answer returned {value!r}, not a number")
    return float(value)


def _gym_seed(name: str, difficulty: int, seed: int, block: int, attempt: int) -> int:
    # reasoning-gym draws item i from Random(seed + i): seeds 0 and 1 would share all but one
    # item. Hashing (seed, difficulty, block) keeps different seeds and difficulties apart; 31 bits
    # keep seed + index a valid numpy seed.
    key = f"{name}|{difficulty}|{seed}|{block}|{attempt}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:4], "big") >> 1


class GymTask(Task):
    """A reasoning-gym dataset; scored by its own ``score_answer``, strictly unless opted in."""

    version = 1

    def __init__(self, dataset: str, *, partial_credit: bool = False, **overrides: Any):
        info = gym_info(dataset)
        self.info = info
        self.dataset = dataset
        self.name = f"{PREFIX}:{dataset}"
        self.domain = info.domain
        self.description = info.description
        self.min_difficulty, self.max_difficulty = 1, len(info.levels)
        fail = locator(None)
        self.partial_credit = coerce(bool, partial_credit, "partial_credit", fail)
        defaults = info.params[0]
        for key, value in overrides.items():
            if key not in defaults:
                raise ConfigError(f"gym:{dataset} has no setting {key!r}; known: "
                                  f"{', '.join(sorted(defaults))}, partial_credit", field=key)
            # The dataset's own config is untyped here; its level-1 value says what is meant.
            kind = type(defaults[key])
            if kind in (bool, int, float, str):
                overrides[key] = coerce(kind, value, key, fail)
        self.overrides = _jsonable(overrides)

    def params(self, difficulty: int) -> dict[str, Any]:
        return {**self.info.params[difficulty - 1], **self.overrides}

    def item(self, index: int, difficulty: int, seed: int = 0) -> Item:
        self.check_difficulty(difficulty)
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise ConfigError(f"item index must be a non-negative integer, got {index!r}",
                              field="index")
        params = self.params(difficulty)
        block_size = BLOCK_SIZES.get(self.dataset, DEFAULT_BLOCK)
        block, inner = divmod(index, block_size)
        failures: list[str] = []
        for attempt in range(MAX_REDRAWS):
            gym_seed = _gym_seed(self.dataset, difficulty, seed, block, attempt)
            config = {**params, "seed": gym_seed, "size": block_size}
            gym = {"name": self.dataset, "config": config, "seed": gym_seed, "index": inner,
                   "level": self.info.levels[difficulty - 1]}
            dataset = build_dataset(gym)
            try:
                _, entry = rebuild_entry(gym)
            except Exception as exc:  # noqa: BLE001  (some generators give up on some seeds)
                failures.append(f"the generator failed: {type(exc).__name__}: {exc}")
                continue
            answer = oracle_answer(self.dataset, entry)
            if answer is None:
                failures.append("no reference answer")
                continue
            got = score(dataset, answer, entry)
            if got == 1.0:
                return self._make(index, difficulty, seed, entry, answer, gym, params, attempt)
            failures.append(f"its own scorer gives the oracle {got}")
        raise GymError(f"gym:{self.dataset} produced no item with a checkable answer at difficulty "
                       f"{difficulty}, index {index} in {MAX_REDRAWS} draws: {failures[-1]}")

    def _make(self, index: int, difficulty: int, seed: int, entry: dict[str, Any], answer: str,
              gym: dict[str, Any], params: dict[str, Any], attempt: int) -> Item:
        from reasonlab.core.answer import MAX_ANSWER_CHARS

        verify: dict[str, Any] = {}
        if 2 * len(answer) > MAX_ANSWER_CHARS:
            # Grids and sorted lists run to thousands of characters; leave room for formatting.
            verify["max_answer_chars"] = 2 * len(answer)
        if self.partial_credit:
            verify["partial_credit"] = True
        meta: dict[str, Any] = {"seed": seed, "index": index, "version": gym_version(),
                                "params": params, "gym": gym}
        if attempt:
            meta["redraws"] = attempt
        if verify:
            meta["verify"] = verify
        return Item(id=item_id(self.name, difficulty, seed, index), task=self.name,
                    domain=self.domain, difficulty=difficulty, prompt=str(entry["question"]),
                    answer=answer, verifier="gym", meta=meta)

    def versions(self) -> dict[str, Any]:
        return {"task": self.name, "version": self.version, "reasoning_gym": gym_version(),
                "overrides": self.overrides, "partial_credit": self.partial_credit}


def _info(name: str) -> TaskInfo:
    info = gym_info(name)
    return TaskInfo(f"{PREFIX}:{name}", info.domain, 1, len(info.levels), info.description)


register_prefix(PREFIX, Prefix(make=GymTask, names=gym_names, info=_info))
