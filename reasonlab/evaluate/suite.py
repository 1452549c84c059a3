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

The fields are read by ``core.spec`` from the dataclasses below, as recipes are: an unknown or
mistyped field fails with ``file:line: field 'tasks[2].difficulties': message``. A null value
means the field's default.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reasonlab.core.errors import ConfigError, InputError
from reasonlab.core.spec import build, builtin_names, builtin_or_file, locator
from reasonlab.core.yamlfile import load_yaml

BUILTIN_DIR = "suites"
BUILTIN_SUITES = tuple(builtin_names(BUILTIN_DIR))
# With several samples per item the point is the model's distribution (pass@k, maj@k); 0.8 is
# the Codex paper's choice for pass@k at k > 1.
DEFAULT_SAMPLING_TEMPERATURE = 0.8
AT_LEAST_1 = {"min": 1}


@dataclass
class TaskEntry:
    task: str
    difficulties: list[int]
    items: int = field(metadata=AT_LEAST_1)     # default: the suite's items
    samples: int = field(metadata=AT_LEAST_1)   # default: the suite's samples
    config: dict[str, Any] = field(default_factory=dict)


@dataclass
class Suite:
    name: str
    tasks: list[TaskEntry]
    seed: int = 0
    items: int = field(default=8, metadata=AT_LEAST_1)
    samples: int = field(default=1, metadata=AT_LEAST_1)
    temperature: float | None = field(default=None, metadata={"min": 0.0})  # 0 or 0.8 at load
    top_p: float = 1.0
    max_tokens: int = field(default=256, metadata=AT_LEAST_1)
    template: str = "default"
    confidence: bool = False
    thinking_budget: int | None = field(default=None, metadata=AT_LEAST_1)
    min_thinking_tokens: int | None = field(default=None, metadata=AT_LEAST_1)
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


def suite_path(name_or_path: str) -> Path:
    """A built-in suite's packaged file, or the given path. "suites/generalization.yaml" names
    the packaged file unless a file of that name exists where the user runs the command."""
    return builtin_or_file(name_or_path, BUILTIN_DIR, what="suite")


def load_suite(name_or_path: str, *, limit: int | None = None, **overrides: Any) -> Suite:
    """Read, validate and return a suite; ``overrides`` (CLI flags, None = keep) replace
    top-level fields before validation, and ``items``/``samples`` then apply to every task.
    ``limit`` caps the items per cell (a quick look at a big suite)."""
    path = suite_path(name_or_path)
    raw, lines = load_yaml(path)   # bad bytes or YAML: file and line
    suite = parse_suite(raw, source=str(path), default_name=path.stem, lines=lines, **overrides)
    if limit is not None:
        if limit < 1:
            raise ConfigError(f"must be at least 1, got {limit}", field="--limit")
        for entry in suite.tasks:
            entry.items = min(entry.items, limit)
    return suite


def parse_suite(raw: Any, *, source: str, default_name: str = "suite",
                lines: dict[str, int] | None = None, prefix: str = "",
                **overrides: Any) -> Suite:
    """A suite from a mapping: a file's document (``lines`` locates its fields) or one inline in
    a recipe (``prefix`` such as ``eval.suite``, with the recipe's ``lines``)."""
    from_cli = {key for key, value in overrides.items() if value is not None}
    locate = locator(source or None, lines, prefix=prefix)

    def fail(where: str, message: str) -> ConfigError:
        top = where.split(".")[0].split("[")[0]
        if top in from_cli:   # the bad value came from a command-line flag, not the file
            flag = {"thinking_budgets": "budgets"}.get(top, top).replace("_", "-")
            return ConfigError(message, field="--" + flag)
        return locate(where, message)

    if not isinstance(raw, dict):
        raise fail("(top level)", f"a suite is a mapping of fields, got {type(raw).__name__}")
    raw = {key: value for key, value in raw.items() if value is not None}
    raw.update({key: overrides[key] for key in from_cli})
    tasks = raw.get("tasks")
    if isinstance(raw.get("name"), int) and not isinstance(raw["name"], bool):
        raw["name"] = str(raw["name"])   # "name: 2024" is a name, not a number
    # Entries are built one by one below: they take the suite's items and samples as defaults.
    suite = build(Suite, {"name": default_name, **raw, "tasks": []}, fail, skip={"source"},
                  unknown="unknown suite field; known: {known}")
    suite.source = source
    suite.thinking_budgets = sorted(set(suite.thinking_budgets))
    if any(b < 1 for b in suite.thinking_budgets):
        raise fail("thinking_budgets", "must be a list of positive integers, got "
                                       f"{raw['thinking_budgets']!r}")
    if suite.budget_mode not in ("cap", "exact"):
        raise fail("budget_mode", f"must be 'cap' or 'exact', got {suite.budget_mode!r}")
    if not 0.0 < suite.top_p <= 1.0:
        raise fail("top_p", f"must be in (0, 1], got {suite.top_p}")

    from reasonlab.core.prompting import resolve_template

    try:
        resolve_template(suite.template)
    except ConfigError as exc:
        raise fail("template", exc.message) from None

    if not isinstance(tasks, list) or not tasks:
        raise fail("tasks", "is required: a non-empty list of {task, difficulties} entries")
    # A CLI --items/--samples applies to every task, over the entries' own values.
    forced = {key for key in ("items", "samples") if key in from_cli}
    seen: dict[str, int] = {}
    for index, entry in enumerate(tasks):
        if forced and isinstance(entry, dict):
            entry = {k: v for k, v in entry.items() if k not in forced}
        task_entry = _parse_entry(entry, f"tasks[{index}]", suite, fail)
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


def _parse_entry(entry: Any, where: str, suite: Suite, fail) -> TaskEntry:
    """One ``tasks`` entry: its fields typed by ``TaskEntry``, then the task made with its
    config, so that unknown tasks, bad settings and impossible cells fail here."""
    if isinstance(entry, str):   # "- addition": read as {task: addition}, so the error
        entry = {"task": entry}  # that follows says which difficulties it has
    if not isinstance(entry, dict):
        raise fail(where, f"must be a mapping with 'task' and 'difficulties', got {entry!r}")
    entry = {key: value for key, value in entry.items() if value is not None}
    if isinstance(entry.get("difficulties"), int) and not isinstance(entry["difficulties"], bool):
        entry["difficulties"] = [entry["difficulties"]]   # "difficulties: 3"
    # A missing task or difficulties list is reported below, with what it should hold.
    given = {"task": "", "difficulties": [], "items": suite.items, "samples": suite.samples,
             **entry}
    parsed = build(TaskEntry, given, fail, where=where,
                   unknown="unknown task-entry field; known: {known}")
    name, config = parsed.task, parsed.config
    if not name:
        raise fail(f"{where}.task", "is required: the task's registry name "
                                    "(`reasonlab tasks list` shows them)")
    task = _make_task(name, config, where, fail)
    low, high = task.min_difficulty, task.max_difficulty
    difficulties = parsed.difficulties
    if "difficulties" not in entry:
        raise fail(f"{where}.difficulties",
                   f"is required (task {name!r} has difficulties {low}..{high})")
    if not difficulties:
        raise fail(f"{where}.difficulties", f"must be a non-empty list of integers, "
                                            f"got {difficulties!r}")
    for d in difficulties:
        if not low <= d <= high:
            raise fail(f"{where}.difficulties", f"{d} is outside task {name!r}'s range "
                       f"{low}..{high}")
    if len(set(difficulties)) != len(difficulties):
        raise fail(f"{where}.difficulties", f"lists a difficulty twice: {difficulties!r}")
    # Sources with a fixed number of items (files, datasets) must hold enough for every cell;
    # asking for the last item of each cell finds out before anything is generated.
    for d in difficulties:
        try:
            task.item(parsed.items - 1, d, suite.seed)
        except ConfigError as exc:
            raise fail(f"{where}.items", f"task {name!r} cannot give {parsed.items} items at "
                                         f"difficulty {d}: {exc.message}") from None
    parsed.difficulties = sorted(difficulties)
    parsed.config = dict(config)
    return parsed


def _make_task(name: str, config: dict[str, Any], where: str, fail):
    from reasonlab.tasks import family_names, get_task
    from reasonlab.tasks.registry import entry_field
    from reasonlab.verifiers import check_task

    try:
        task = get_task(name, **config)
        check_task(task)
    except ConfigError as exc:
        path = entry_field(exc, where, config, name_key="task")
        if path.endswith(".task"):
            raise fail(path, f"unknown task {name!r} ({exc.message}); built-in "
                       f"families: {', '.join(family_names())}") from None
        raise fail(path, exc.message) from None
    except InputError as exc:   # a file: task whose file is missing or malformed
        raise fail(f"{where}.task", f"task {name!r}: {exc}") from None
    except TypeError as exc:
        raise fail(f"{where}.config", f"task {name!r} does not take settings ({exc})") from None
    return task
