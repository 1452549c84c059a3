"""Evaluation suites: which tasks, at which difficulties, how many items and samples, with which
prompt and token budgets. A suite is a YAML file (built-ins ship in ``reasonlab/suites/``):

```yaml
name: generalization
seed: 0
items: 8              # items per task × difficulty cell (a task entry may override)
samples: 1            # samples per item; > 1 needs temperature > 0
temperature: null     # default: 0 (greedy) with one sample per item, else 0.8
max_tokens: 128       # per completion
template: default     # or a str.format string with {prompt}; "raw" = the item's prompt as is
confidence: false     # append HLE's "Confidence: NN%" instruction
thinking_budget: null # cap on thinking tokens (local backends: budget forcing)
min_thinking_tokens: null  # extend a shorter think by appending "Wait"
thinking_budgets: []  # budget-forcing sweep: the suite again at each cap
budget_mode: cap      # cap | exact (exact also extends every think to the budget)
tasks:
  - task: addition
    difficulties: [1, 2, 3]
    config: {}        # the family's config overrides
```

Every error names the suite file and the field path (``tasks[2].difficulties``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from reasonlab.core.errors import ConfigError, InputError

BUILTIN_SUITES = ("smoke", "generalization")
# With several samples per item the point is the model's distribution (pass@k, maj@k); 0.8 is
# the Codex paper's choice for pass@k at k > 1.
DEFAULT_SAMPLING_TEMPERATURE = 0.8


@dataclass
class TaskEntry:
    task: str
    difficulties: list[int]
    items: int
    samples: int
    config: dict[str, Any] = field(default_factory=dict)


@dataclass
class Suite:
    name: str
    tasks: list[TaskEntry]
    seed: int = 0
    items: int = 8
    samples: int = 1
    temperature: float | None = None   # resolved at load: 0 for one sample, else 0.8
    top_p: float = 1.0
    max_tokens: int = 256
    template: str = "default"
    confidence: bool = False
    thinking_budget: int | None = None
    min_thinking_tokens: int | None = None
    thinking_budgets: list[int] = field(default_factory=list)
    budget_mode: str = "cap"
    description: str = ""
    source: str = ""   # where it was loaded from (file path or builtin:NAME)

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out.pop("source")
        return out

    def cells(self) -> int:
        return sum(len(t.difficulties) for t in self.tasks)

    def total_samples(self) -> int:
        return sum(len(t.difficulties) * t.items * t.samples for t in self.tasks)


_TOP_LEVEL = {f.name for f in dataclasses.fields(Suite)} - {"source"}
_ENTRY_FIELDS = {"task", "difficulties", "items", "samples", "config"}


def suite_path(name_or_path: str) -> Path:
    """A built-in suite's packaged file, or the given path."""
    path = Path(name_or_path)
    # "suites/generalization.yaml" (DESIGN's spelling) names the packaged file unless a file of
    # that name exists where the user runs the command.
    builtin = name_or_path in BUILTIN_SUITES or (
        not path.exists() and path.parent.name in ("suites", "") and
        path.suffix in (".yaml", ".yml") and path.stem in BUILTIN_SUITES)
    if builtin:
        return Path(str(resources.files("reasonlab") / "suites" / f"{path.stem}.yaml"))
    if not path.exists():
        raise InputError(f"no such suite file (built-in suites: {', '.join(BUILTIN_SUITES)})",
                         file=str(path))
    return path


def load_suite(name_or_path: str, *, limit: int | None = None, **overrides: Any) -> Suite:
    """Read, validate and return a suite; ``overrides`` (CLI flags, None = keep) replace
    top-level fields before validation, and ``items``/``samples`` then apply to every task.
    ``limit`` caps the items per cell (a quick look at a big suite)."""
    from reasonlab.core.jsonl import read_text

    path = suite_path(name_or_path)
    text = read_text(path)   # bad bytes: file and line, not a UnicodeDecodeError
    try:
        raw = yaml.safe_load(text)
    except yaml.reader.ReaderError as exc:
        raise InputError(f"not a text file: character #x{exc.character:04x} is not allowed "
                         "in YAML", file=str(path), line=text.count("\n", 0, exc.position) + 1
                         ) from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise InputError(f"invalid YAML: {exc.problem}", file=str(path), line=line) from None
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read suite: {exc}", file=str(path)) from None
    suite = parse_suite(raw, source=str(path), default_name=path.stem, **overrides)
    if limit is not None:
        if limit < 1:
            raise ConfigError(f"must be at least 1, got {limit}", field="--limit")
        for entry in suite.tasks:
            entry.items = min(entry.items, limit)
    return suite


def parse_suite(raw: Any, *, source: str, default_name: str = "suite",
                **overrides: Any) -> Suite:
    from_cli = {key for key, value in overrides.items() if value is not None}

    def fail(where: str, message: str) -> ConfigError:
        if where in from_cli:   # the bad value came from a command-line flag, not the file
            flag = {"thinking_budgets": "budgets"}.get(where, where).replace("_", "-")
            return ConfigError(message, field="--" + flag)
        return ConfigError(message, file=source, field=where)

    if not isinstance(raw, dict):
        raise fail("(top level)", f"a suite is a mapping of fields, got {type(raw).__name__}")
    unknown = sorted(set(raw) - _TOP_LEVEL)
    if unknown:
        raise fail(unknown[0], f"unknown suite field; known: {', '.join(sorted(_TOP_LEVEL))}")
    for key, value in overrides.items():
        if value is not None:
            raw = {**raw, key: value}

    def get(name: str, kind: type | tuple[type, ...], default: Any, *, where: str | None = None,
            obj: dict | None = None, minimum: float | None = None) -> Any:
        where = where or name
        value = (raw if obj is None else obj).get(name, default)
        if value is None:
            return None
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, bool) and kind is not bool or not isinstance(value, kind):
            want = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            raise fail(where, f"must be {want}, got {type(value).__name__} {value!r}")
        if minimum is not None and value < minimum:
            raise fail(where, f"must be at least {minimum}, got {value!r}")
        return value

    def optional_int(name: str) -> int | None:
        return get(name, int, None, minimum=1)

    suite = Suite(
        name=str(get("name", (str, int), default_name)),
        description=get("description", str, "") or "",
        tasks=[],
        seed=get("seed", int, 0) or 0,
        items=get("items", int, 8, minimum=1) or 8,
        samples=get("samples", int, 1, minimum=1) or 1,
        temperature=get("temperature", float, None, minimum=0.0),
        top_p=get("top_p", float, 1.0),
        max_tokens=get("max_tokens", int, 256, minimum=1) or 256,
        template=get("template", str, "default") or "default",
        confidence=bool(get("confidence", bool, False)),
        thinking_budget=optional_int("thinking_budget"),
        min_thinking_tokens=optional_int("min_thinking_tokens"),
        budget_mode=get("budget_mode", str, "cap") or "cap",
        source=source,
    )
    budgets = raw.get("thinking_budgets") or []
    if not isinstance(budgets, list) or not all(
            isinstance(b, int) and not isinstance(b, bool) and b >= 1 for b in budgets):
        raise fail("thinking_budgets", f"must be a list of positive integers, got {budgets!r}")
    suite.thinking_budgets = sorted(set(budgets))
    if suite.budget_mode not in ("cap", "exact"):
        raise fail("budget_mode", f"must be 'cap' or 'exact', got {suite.budget_mode!r}")
    if suite.top_p is None:
        suite.top_p = 1.0
    if not 0.0 < suite.top_p <= 1.0:
        raise fail("top_p", f"must be in (0, 1], got {suite.top_p}")

    from reasonlab.core.prompting import resolve_template

    try:
        resolve_template(suite.template)
    except ConfigError as exc:
        raise fail("template", exc.message) from None

    tasks = raw.get("tasks")
    if not isinstance(tasks, list) or not tasks:
        raise fail("tasks", "is required: a non-empty list of {task, difficulties} entries")
    # A CLI --items/--samples applies to every task, over the entries' own values.
    forced = {key for key in ("items", "samples") if overrides.get(key) is not None}
    seen: dict[str, int] = {}
    for index, entry in enumerate(tasks):
        if forced and isinstance(entry, dict):
            entry = {k: v for k, v in entry.items() if k not in forced}
        task_entry = _parse_entry(entry, f"tasks[{index}]", suite, fail, get)
        if task_entry.task in seen:
            raise fail(f"tasks[{index}].task", f"task {task_entry.task!r} is already listed at "
                       f"tasks[{seen[task_entry.task]}]; merge the difficulties into one entry")
        seen[task_entry.task] = index
        suite.tasks.append(task_entry)

    several = any(t.samples > 1 for t in suite.tasks)
    if suite.temperature is None:
        suite.temperature = DEFAULT_SAMPLING_TEMPERATURE if several else 0.0
    elif suite.temperature == 0.0 and several:
        where = "samples" if suite.samples > 1 else next(
            f"tasks[{i}].samples" for i, t in enumerate(suite.tasks) if t.samples > 1)
        raise fail(where, "several samples per item at temperature 0 are identical (greedy); "
                          "set temperature > 0 (e.g. 0.8) or samples: 1")
    if suite.thinking_budget is not None and suite.min_thinking_tokens is not None and \
            suite.min_thinking_tokens > suite.thinking_budget:
        raise fail("min_thinking_tokens", "cannot exceed thinking_budget "
                   f"({suite.min_thinking_tokens} > {suite.thinking_budget})")
    return suite


def _parse_entry(entry: Any, where: str, suite: Suite, fail, get) -> TaskEntry:
    from reasonlab.tasks import get_task
    from reasonlab.verifiers import check_task

    if isinstance(entry, str):
        entry = {"task": entry}
    if not isinstance(entry, dict):
        raise fail(where, f"must be a mapping with 'task' and 'difficulties', got {entry!r}")
    unknown = sorted(set(entry) - _ENTRY_FIELDS)
    if unknown:
        raise fail(f"{where}.{unknown[0]}",
                   f"unknown task-entry field; known: {', '.join(sorted(_ENTRY_FIELDS))}")
    name = entry.get("task")
    if not isinstance(name, str) or not name:
        raise fail(f"{where}.task", "is required: the task's registry name "
                                    "(`reasonlab tasks list` shows them)")
    config = entry.get("config") or {}
    if not isinstance(config, dict):
        raise fail(f"{where}.config", f"must be a mapping of the family's settings, got {config!r}")
    try:
        task = get_task(name, **config)
        check_task(task)
    except ConfigError as exc:
        if exc.field == "task" or not config:
            from reasonlab.tasks import family_names

            raise fail(f"{where}.task", f"unknown task {name!r} ({exc.message}); built-in "
                       f"families: {', '.join(family_names())}") from None
        raise fail(f"{where}.config" + (f".{exc.field}" if exc.field else ""),
                   exc.message) from None
    except InputError as exc:   # a file: task whose file is missing or malformed
        raise fail(f"{where}.task", f"task {name!r}: {exc}") from None
    except TypeError as exc:
        raise fail(f"{where}.config", f"task {name!r} does not take settings ({exc})") from None
    low, high = task.min_difficulty, task.max_difficulty
    difficulties = entry.get("difficulties")
    if difficulties is None:
        raise fail(f"{where}.difficulties",
                   f"is required (task {name!r} has difficulties {low}..{high})")
    if isinstance(difficulties, int) and not isinstance(difficulties, bool):
        difficulties = [difficulties]
    if not isinstance(difficulties, list) or not difficulties or not all(
            isinstance(d, int) and not isinstance(d, bool) for d in difficulties):
        raise fail(f"{where}.difficulties", f"must be a non-empty list of integers, "
                                            f"got {difficulties!r}")
    for d in difficulties:
        if not low <= d <= high:
            raise fail(f"{where}.difficulties", f"{d} is outside task {name!r}'s range "
                       f"{low}..{high}")
    if len(set(difficulties)) != len(difficulties):
        raise fail(f"{where}.difficulties", f"lists a difficulty twice: {difficulties!r}")
    items = get("items", int, suite.items, where=f"{where}.items", obj=entry, minimum=1)
    samples = get("samples", int, suite.samples, where=f"{where}.samples", obj=entry, minimum=1)
    # Sources with a fixed number of items (files, datasets) must hold enough for every cell;
    # asking for the last item of each cell finds out before anything is generated.
    for d in difficulties:
        try:
            task.item(items - 1, d, suite.seed)
        except ConfigError as exc:
            raise fail(f"{where}.items", f"task {name!r} cannot give {items} items at "
                                         f"difficulty {d}: {exc.message}") from None
    return TaskEntry(task=name, difficulties=sorted(difficulties), items=items, samples=samples,
                     config=dict(config))
